// A real etcd (the Debian etcd-server binary) for tests: its own temp data dir, client and peer
// ports on 127.0.0.1 chosen free at start. stop() kills it by pid; start() brings it back on the same
// ports and data, as an operator restarting etcd would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface EtcdServer {
  /** `etcd://127.0.0.1:PORT`, as `golb controlplane --store` takes it. */
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

export async function startEtcd(binary = process.env.GOLB_TEST_ETCD ?? 'etcd'): Promise<EtcdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'golb-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn(
      binary,
      [
        '--name', 'default',
        '--data-dir', join(dir, 'data'),
        '--listen-client-urls', `http://127.0.0.1:${clientPort}`,
        '--advertise-client-urls', `http://127.0.0.1:${clientPort}`,
        '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
        '--initial-cluster', `default=http://127.0.0.1:${peerPort}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    started.add(proc);
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`etcd did not become ready within 30 s:\n${output}`)), 30_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/ready to serve client requests/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${binary} (install the etcd-server package): ${err.message}`));
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`etcd exited with ${code}:\n${output}`));
      });
    });
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await gone;
    started.delete(proc);
  };
  await start();
  return {
    url: `etcd://127.0.0.1:${clientPort}`,
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// SIGTERM must end a real process whatever its clients hold open: half-sent headers and trickled
// bodies on the traffic and admin ports, a WebSocket client that never answers the close, a sync
// stream that never ACKs, a pending Reload waiting for that ACK, an operator polling drain status.
// Each process runs from the build (`node bin/golb.js`), as it would in production.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { startControlPlane, type ControlPlane } from '../../controlplane/control-plane.js';
import { loadProto } from '../../proto/index.js';
import type { ReloadEvent__Output } from '../../proto/gen/golb/v1/ReloadEvent.js';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { waitFor } from '../helpers/cluster.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHUTDOWN_TIMEOUT_MS = 1000;
/** Generous for a busy shared machine; the defect this guards against is a 330 s hang. */
const EXIT_WITHIN_MS = 10_000;
/** How long the test waits before declaring the process hung (and killing it). */
const GIVE_UP_MS = 30_000;

/** The build must be newer than the sources it runs (`npm run build`). */
function assertBuilt(): void {
  assert.ok(existsSync(join(ROOT, 'dist', 'cli', 'golb', 'main.js')), 'golb is not built: run npm run build');
  for (const dir of ['controlplane', 'dataplane', join('cli', 'golb')]) {
    for (const f of readdirSync(join(ROOT, dir), { recursive: true }) as string[]) {
      if (!f.endsWith('.ts')) continue;
      // The dashboard's browser code is built apart (tsconfig.dashboard.json), into dist/dashboard-assets/.
      const browser = dir === 'controlplane' && f === join('admin', 'dashboard', 'client.ts');
      const built = browser ? join(ROOT, 'dist', 'dashboard-assets', f.replace(/\.ts$/, '.js')) : join(ROOT, 'dist', dir, f.replace(/\.ts$/, '.js'));
      assert.ok(existsSync(built) && statSync(built).mtimeMs >= statSync(join(ROOT, dir, f)).mtimeMs, `dist/ is older than ${dir}/${f}: run npm run build`);
    }
  }
}

interface GolbProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** `node bin/golb.js ...args`; resolves once `ready` matches its output. */
function startGolb(args: string[], ready: RegExp): Promise<GolbProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, GOLB_COOKIE_SECRET: 'shutdown-test' };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'golb.js'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (signal) out += `\n(killed by ${signal})`;
      resolve(code);
    }),
  );
  const proc = { child, output: () => out, exited };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`golb ${args[0]} did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(proc);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`golb ${args[0]} exited with ${code}:\n${out}`));
    });
  });
}

/** SIGTERM, then how long the process took to exit and its code (null code = it had to be killed). */
async function terminate(proc: GolbProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  proc.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([proc.exited, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), GIVE_UP_MS)))]);
  clearTimeout(timer);
  const ms = Date.now() - started;
  if (code === 'hung') {
    proc.child.kill('SIGKILL');
    await proc.exited;
    return { code: null, ms };
  }
  return { code, ms };
}

/** Opens a raw connection, writes `head`, and keeps it open; `trickle` bytes follow every 200 ms. */
function holdOpen(port: number, head: string, trickle?: string): Promise<{ socket: net.Socket; stop(): void }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let timer: NodeJS.Timeout | undefined;
    socket.on('error', () => {});
    socket.on('close', () => clearInterval(timer));
    socket.once('connect', () => {
      socket.write(head);
      if (trickle) timer = setInterval(() => socket.writable && socket.write(trickle), 200);
      resolve({ socket, stop: () => (clearInterval(timer), socket.destroy()) });
    });
    socket.once('error', reject);
  });
}

/** A WebSocket handshake on a raw socket that never reads a frame nor answers a close. */
async function deafWebSocket(port: number): Promise<{ socket: net.Socket; stop(): void }> {
  const held = await holdOpen(port, 'GET /ws HTTP/1.1\r\nHost: lb.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
  let got = '';
  held.socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
  await waitFor('the 101 from the data plane', () => got.startsWith('HTTP/1.1 101'), 15_000);
  held.socket.pause();
  return held;
}

const HALF_HEAD = 'GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
const TRICKLED_BODY = 'POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nx';

describe('SIGTERM with clients holding connections open', () => {
  let dir: string;
  before(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'golb-shutdown-hang-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('a data plane process', () => {
    let backend: FakeBackend;
    let cp: ControlPlane;
    before(async () => {
      backend = await startFakeBackend({ name: 'b1', websocket: true });
      const configPath = join(dir, 'dp.conf');
      writeFileSync(configPath, `health_check off\nbackend ${backend.url}\n`);
      cp = await startControlPlane({ configPath, grpcPort: 0, adminPort: -1, log: () => {} });
    });
    after(async () => {
      await cp.close();
      await backend.close();
    });

    it(`exits 0 within the shutdown timeout plus a margin while clients hold half headers, trickled bodies and a deaf WebSocket on its traffic and admin ports (engine ${process.env.GOLB_ENGINE ?? 'undici'})`, async () => {
      const proc = await startGolb(
        ['dataplane', '--control-plane', `127.0.0.1:${cp.grpcPort}`, '--port', '0', '--host', '127.0.0.1', '--admin-port', '0', '--shutdown-timeout', String(SHUTDOWN_TIMEOUT_MS), ...(process.env.GOLB_ENGINE ? ['--engine', process.env.GOLB_ENGINE] : [])],
        /applied config version/,
      );
      const held: Array<{ stop(): void }> = [];
      try {
        const out = proc.output();
        const port = Number(/traffic on port (\d+)/.exec(out)?.[1]);
        const adminPort = Number(/readiness http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
        assert.ok(port > 0 && adminPort > 0, out);
        held.push(await holdOpen(adminPort, HALF_HEAD, 'a'));
        held.push(await holdOpen(adminPort, TRICKLED_BODY.replace('/upload', '/api/stats'), 'x'));
        held.push(await holdOpen(port, HALF_HEAD, 'a'));
        held.push(await holdOpen(port, TRICKLED_BODY, 'x'));
        held.push(await deafWebSocket(port));
        const { code, ms } = await terminate(proc);
        assert.equal(code, 0, `${code === null ? `still running ${GIVE_UP_MS} ms after SIGTERM` : `exit code ${code}`}:\n${proc.output()}`);
        assert.ok(ms < SHUTDOWN_TIMEOUT_MS + EXIT_WITHIN_MS, `took ${ms} ms`);
      } finally {
        for (const h of held) h.stop();
        if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
      }
    });
  });

  describe('an all-in-one process', () => {
    it('exits 0 within the shutdown timeout plus a margin while clients hold half requests on its traffic and admin ports', async () => {
      const backend = await startFakeBackend({ name: 'aio' });
      const configPath = join(dir, 'aio.conf');
      writeFileSync(configPath, `health_check off\nbackend ${backend.url}\n`);
      const proc = await startGolb(
        ['--config', configPath, '--port', '0', '--host', '127.0.0.1', '--admin-port', '0', '--grpc-port', '0', '--shutdown-timeout', String(SHUTDOWN_TIMEOUT_MS)],
        /listening on http:\/\/[^:]+:\d+/,
      );
      const held: Array<{ stop(): void }> = [];
      try {
        const out = proc.output();
        const port = Number(/listening on http:\/\/[^:]+:(\d+)/.exec(out)?.[1]);
        const adminPort = Number(/admin http:\/\/[^:]+:(\d+)/.exec(out)?.[1]);
        assert.ok(port > 0 && adminPort > 0, out);
        held.push(await holdOpen(adminPort, HALF_HEAD.replace('/ready', '/api/stats'), 'a'));
        held.push(await holdOpen(port, HALF_HEAD, 'a'));
        held.push(await holdOpen(port, TRICKLED_BODY, 'x'));
        const { code, ms } = await terminate(proc);
        assert.equal(code, 0, `${code === null ? `still running ${GIVE_UP_MS} ms after SIGTERM` : `exit code ${code}`}:\n${proc.output()}`);
        assert.ok(ms < SHUTDOWN_TIMEOUT_MS + EXIT_WITHIN_MS, `took ${ms} ms`);
      } finally {
        for (const h of held) h.stop();
        if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
        await backend.close();
      }
    });
  });

  describe('a control plane process', () => {
    it('exits 0 promptly with a sync stream that never ACKs, a pending Reload, a half-sent admin request and an operator polling drain status', async () => {
      const configPath = join(dir, 'cp.conf');
      writeFileSync(configPath, 'health_check off\nbackend http://127.0.0.1:9\n');
      const proc = await startGolb(['controlplane', '--config', configPath, '--grpc-port', '0', '--admin-port', '0'], /control plane: gRPC [^:]+:\d+, admin http:\/\/[^:]+:\d+/);
      const proto = loadProto();
      const clients: grpc.Client[] = [];
      const held: Array<{ stop(): void }> = [];
      let polling = true;
      try {
        const m = /gRPC [^:]+:(\d+), admin http:\/\/[^:]+:(\d+)/.exec(proc.output())!;
        const grpcPort = Number(m[1]);
        const adminPort = Number(m[2]);

        // A data plane that says hello, takes the snapshot and never answers.
        const sync = new proto.golb.v1.Sync(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
        clients.push(sync);
        const stream = (sync as unknown as { Stream(): grpc.ClientDuplexStream<object, { snapshot?: unknown }> }).Stream();
        stream.on('error', () => {});
        let pushed = false;
        stream.on('data', () => (pushed = true));
        stream.write({ hello: { id: 'mute', hostname: 'h', software_version: 't', labels: {}, traffic_address: '', current_version: '', started_unix_ms: String(Date.now()) } });
        await waitFor('the snapshot push', () => pushed, 15_000);

        // A Reload that waits (up to ten minutes) for the mute data plane's ACK.
        const admin = new proto.golb.v1.Admin(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
        clients.push(admin);
        const reload = admin.Reload({ content: 'health_check off\nbackend http://127.0.0.1:10\n', filename: 'new.conf', timeout_ms: 600_000 });
        reload.on('error', () => {});
        let accepted = false;
        reload.on('data', (e: ReloadEvent__Output) => (accepted ||= Boolean(e.accepted)));
        await waitFor('the Reload to be accepted', () => accepted, 15_000);

        // golbctl drain --wait: a drain, then status polls until the control plane goes away.
        await new Promise<void>((resolve, reject) => admin.Drain({ backend: 'http://127.0.0.1:10' }, (err: grpc.ServiceError | null) => (err ? reject(err) : resolve())));
        void (async () => {
          while (polling) {
            await new Promise<void>((resolve) => admin.GetDrainStatus({ backend: 'http://127.0.0.1:10' }, () => resolve()));
            await new Promise((r) => setTimeout(r, 100));
          }
        })();

        held.push(await holdOpen(adminPort, HALF_HEAD.replace('/ready', '/api/stats'), 'a'));
        held.push(await holdOpen(adminPort, 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));

        const { code, ms } = await terminate(proc);
        assert.equal(code, 0, `${code === null ? `still running ${GIVE_UP_MS} ms after SIGTERM` : `exit code ${code}`}:\n${proc.output()}`);
        assert.ok(ms < EXIT_WITHIN_MS, `took ${ms} ms`);
      } finally {
        polling = false;
        for (const h of held) h.stop();
        for (const c of clients) c.close();
        if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
      }
    });
  });
});

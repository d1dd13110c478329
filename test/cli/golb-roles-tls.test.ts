// The launcher's roles as a user runs them: a flag that belongs to another role is refused by
// name (exit 2), and gRPC over TLS works in every mode — all-in-one (its own data plane and
// --workers children dial the control plane with matching TLS), and controlplane + dataplane.
// Certificates are made at test time with openssl.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, waitFor } from '../helpers/cluster.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function golb(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/golb/entry.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', GOLB_TOKEN: '', GOLB_ADMIN_TOKEN: '', GOLB_DATAPLANE_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** Exit code, or 'still running' (then killed) when the process outlives `ms`. */
async function exitWithin(run: Run, ms: number): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), ms)));
  const code = await Promise.race([run.exited, timedOut]);
  clearTimeout(timer);
  if (code === 'still running') run.child.kill('SIGKILL');
  return code;
}

describe('golb roles: flags of another role', () => {
  // Each line ends with flags valid for its role that keep every port at 0 or off, so a launcher
  // that wrongly accepts the line binds nothing fixed (and is killed).
  const cp = ['--grpc-port', '0', '--admin-port=-1'];
  const dp = ['--port', '0', '--host', '127.0.0.1'];
  const all = [...cp, ...dp];
  const cases: Array<[string[], RegExp]> = [
    [['controlplane', '--port', '0', ...cp], /--port does not apply to golb controlplane/],
    [['controlplane', '--workers', '2', ...cp], /--workers does not apply to golb controlplane/],
    [['controlplane', '--engine', 'undici', ...cp], /--engine does not apply to golb controlplane/],
    [['dataplane', '--config', 'x.conf', ...dp], /--config does not apply to golb dataplane/],
    [['dataplane', '--listen', '127.0.0.1', ...dp], /--listen does not apply to golb dataplane/],
    [['dataplane', '--admin-token', 't', ...dp], /--admin-token does not apply to golb dataplane/],
    [['--control-plane', '127.0.0.1:1', ...all], /--control-plane does not apply to golb \(all-in-one\)/],
    [['--tls-server-name', 'x', ...all], /--tls-server-name does not apply to golb \(all-in-one\)/],
    [['dataplane', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', ...dp], /--tls-cert\/--tls-key on golb dataplane .* need --tls-ca/],
    [['controlplane', '--tls-ca', 'ca.pem', ...cp], /--tls-ca on golb controlplane .* needs --tls-cert and --tls-key/],
  ];
  for (const [args, message] of cases) {
    it(`refuses \`golb ${args.slice(0, args[0]!.startsWith('--') ? 2 : 3).join(' ')}\` with exit 2, naming the flag and the role`, async () => {
      const run = golb(args);
      // Generous: only a launcher that wrongly starts ever waits this long.
      assert.equal(await exitWithin(run, 90_000), 2, run.output());
      assert.match(run.output(), message);
    });
  }
});

describe('golb roles: gRPC over TLS in every mode', () => {
  let dir: string;
  let backend: FakeBackend;
  let config: string;
  const started: ChildProcess[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golb-roles-tls-'));
    // A self-signed certificate whose only name is not the address dialled (127.0.0.1).
    openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-out', 'self.crt', '-days', '1', '-subj', '/CN=lb.example.test', '-addext', 'subjectAltName=DNS:lb.example.test']);
    // A CA, a server certificate and a client certificate signed by it (mutual TLS).
    openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=golb test CA']);
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    for (const [name, ext] of [['server', ['-extfile', 'server.ext']], ['client', []]] as const) {
      openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=golb ${name}`]);
      openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...ext]);
    }
    backend = await startFakeBackend({ name: 'tls-backend' });
    config = join(dir, 'lb.conf');
    writeFileSync(config, `health_check off\nbackend ${backend.url}\n`);
  });
  after(async () => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts an all-in-one with extra flags and answers 200 through its data plane(s), then exits 0 on SIGTERM. */
  async function allInOneServes(extra: string[]): Promise<void> {
    const run = golb(['--config', config, '--host', '127.0.0.1', '--port', '0', '--grpc-port', '0', '--admin-port=-1', ...extra]);
    started.push(run.child);
    await waitFor('golb to listen', () => /listening on http:\/\/127\.0\.0\.1:(\d+)/.test(run.output()) || run.child.exitCode !== null, 45_000);
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(run.output())?.[1]);
    assert.ok(port > 0, run.output());
    assert.match(run.output(), /gRPC 127\.0\.0\.1:\d+ \(TLS\)/);
    const r = await waitFor('a request served with the config', async () => {
      const res = await request(port, '/through-tls', { agent: false });
      return res.status === 200 ? res : undefined;
    }, 30_000, 200);
    assert.equal(r.headers['x-backend'], 'tls-backend');
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0, run.output());
  }

  it('all-in-one with a self-signed certificate: its data plane gets the config over TLS', async () => {
    await allInOneServes(['--tls-cert', join(dir, 'self.crt'), '--tls-key', join(dir, 'self.key')]);
  });

  it('all-in-one with mutual TLS (--tls-ca): its data plane presents a client certificate', async () => {
    await allInOneServes(['--tls-cert', join(dir, 'server.crt'), '--tls-key', join(dir, 'server.key'), '--tls-ca', join(dir, 'ca.crt')]);
  });

  it('all-in-one with --workers 2 over TLS: the worker processes get the config too', async () => {
    await allInOneServes(['--workers', '2', '--tls-cert', join(dir, 'self.crt'), '--tls-key', join(dir, 'self.key')]);
  });

  it('controlplane and dataplane processes over mutual TLS', async () => {
    const cp = golb(['controlplane', '--config', config, '--grpc-port', '0', '--admin-port=-1', '--tls-cert', join(dir, 'server.crt'), '--tls-key', join(dir, 'server.key'), '--tls-ca', join(dir, 'ca.crt')]);
    started.push(cp.child);
    await waitFor('the control plane to listen', () => /gRPC 127\.0\.0\.1:(\d+) \(TLS\)/.test(cp.output()) || cp.child.exitCode !== null, 45_000);
    const grpcPort = Number(/gRPC 127\.0\.0\.1:(\d+)/.exec(cp.output())?.[1]);
    assert.ok(grpcPort > 0, cp.output());
    const dp = golb(['dataplane', '--control-plane', `127.0.0.1:${grpcPort}`, '--host', '127.0.0.1', '--port', '0', '--tls-ca', join(dir, 'ca.crt'), '--tls-cert', join(dir, 'client.crt'), '--tls-key', join(dir, 'client.key')]);
    started.push(dp.child);
    await waitFor('the data plane to listen', () => /traffic on port (\d+)/.test(dp.output()) || dp.child.exitCode !== null, 45_000);
    const port = Number(/traffic on port (\d+)/.exec(dp.output())?.[1]);
    assert.ok(port > 0, dp.output());
    const r = await waitFor('a request served with the config', async () => {
      const res = await request(port, '/split-roles', { agent: false });
      return res.status === 200 ? res : undefined;
    }, 30_000, 200);
    assert.equal(r.headers['x-backend'], 'tls-backend');
    dp.child.kill('SIGTERM');
    cp.child.kill('SIGTERM');
    assert.equal(await dp.exited, 0, dp.output());
    assert.equal(await cp.exited, 0, cp.output());
  });
});

// The management plane as an attacker on the network sees it: a hand-written gRPC client with no
// token or with a data plane's token, config pushed through Reload that reads the control plane's
// environment, GetConfig output, a control plane told to listen beyond loopback without
// credentials, and the admin HTTP port (DNS rebinding Host, token, slow clients, a connection flood).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../../proto/index.js';
import { startControlPlane, type ControlPlane } from '../../controlplane/control-plane.js';
import { ADMIN_HEADERS_TIMEOUT_MS, ADMIN_MAX_CONNECTIONS, ADMIN_REQUEST_TIMEOUT_MS } from '../../controlplane/admin/admin-http.js';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN_TOKEN = 'operator-token-for-the-test';
const DP_TOKEN = 'dataplane-token-for-the-test';
const SECRET = 'literal-cookie-secret-of-the-test';

type AdminStub = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function admin(port: number): AdminStub {
  return new (loadProto().golb.v1.Admin)(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as AdminStub;
}

function md(token?: string): grpc.Metadata {
  const m = new grpc.Metadata();
  if (token) m.set('authorization', `Bearer ${token}`);
  return m;
}

function unary<T>(client: AdminStub, method: string, req: unknown, token?: string): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(req, md(token), { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

/** Every event of a Reload stream, or the status it failed with. */
function reload(client: AdminStub, req: unknown, token?: string): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const events: Array<Record<string, unknown>> = [];
    const call = client.Reload!(req, md(token), { deadline: Date.now() + 15_000 }) as grpc.ClientReadableStream<Record<string, unknown>>;
    call.on('data', (e) => events.push(e));
    call.on('error', reject);
    call.on('end', () => resolve(events));
  });
}

/** Opens a Sync stream with a token and resolves with the status it ends with (or 'data' if it got a snapshot). */
function syncOutcome(port: number, token: string): Promise<grpc.status | 'data'> {
  const client = new (loadProto().golb.v1.Sync)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    const call = client.Stream(md(token));
    const done = (v: grpc.status | 'data') => {
      call.cancel();
      client.close();
      resolve(v);
    };
    call.on('data', () => done('data'));
    call.on('error', (err: grpc.ServiceError) => done(err.code));
    call.write({ hello: { id: 'probe', hostname: 'probe', software_version: 'test' } });
  });
}

describe('management plane: gRPC credentials', () => {
  let dir: string;
  let backend: FakeBackend;
  let cp: ControlPlane;
  let client: AdminStub;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golb-mgmt-'));
    backend = await startFakeBackend({ name: 'one' });
    writeFileSync(join(dir, 'lb.conf'), `health_check off\nbackend ${backend.url}\ncookie secret=${SECRET}\n`);
    cp = await startControlPlane({ configPath: join(dir, 'lb.conf'), grpcPort: 0, adminPort: -1, adminToken: ADMIN_TOKEN, dataplaneToken: DP_TOKEN, log: () => {} });
    client = admin(cp.grpcPort);
  });
  after(async () => {
    client.close();
    await cp.close();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses Reload without a token and changes nothing', async () => {
    const before = cp.store.snapshot!.version;
    await assert.rejects(reload(client, { content: 'backend http://127.0.0.1:1\n', filename: 'evil.conf' }), (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED);
    assert.equal(cp.store.snapshot!.version, before);
  });

  it('refuses every Admin RPC to the data-plane token with PERMISSION_DENIED', async () => {
    await assert.rejects(reload(client, { content: 'backend http://127.0.0.1:1\n', filename: 'evil.conf' }, DP_TOKEN), (err: grpc.ServiceError) => err.code === grpc.status.PERMISSION_DENIED);
    for (const method of ['GetConfig', 'GetStats', 'ListDataPlanes', 'Validate', 'GetHealth']) {
      await assert.rejects(unary(client, method, {}, DP_TOKEN), (err: grpc.ServiceError) => err.code === grpc.status.PERMISSION_DENIED, method);
    }
  });

  it('opens the Sync stream to the data-plane token only, not to the operator token', async () => {
    assert.equal(await syncOutcome(cp.grpcPort, DP_TOKEN), 'data');
    assert.equal(await syncOutcome(cp.grpcPort, ADMIN_TOKEN), grpc.status.UNAUTHENTICATED);
  });

  it('rejects env: and file: references in config sent through Reload or Validate, with file:line, and keeps the running config', async () => {
    const before = cp.store.snapshot!.version;
    const beforeSecret = cp.store.snapshot!.cookie!.secret;
    for (const ref of ['env:HOME', 'file:/etc/passwd']) {
      const content = `health_check off\nbackend ${backend.url}\ncookie secret=${ref}\n`;
      const events = await reload(client, { content, filename: 'pushed.conf' }, ADMIN_TOKEN);
      const rejected = events.find((e) => e.rejected) as { rejected: { errors: Array<{ formatted: string }> } } | undefined;
      assert.ok(rejected, JSON.stringify(events));
      assert.match(rejected.rejected.errors[0]!.formatted, /^pushed\.conf:3:\d+: .*own config file/);
      const validated = await unary<{ ok: boolean; errors: Array<{ formatted: string }> }>(client, 'Validate', { content, filename: 'pushed.conf' }, ADMIN_TOKEN);
      assert.equal(validated.ok, false);
      assert.match(validated.errors[0]!.formatted, /^pushed\.conf:3:/);
    }
    assert.equal(cp.store.snapshot!.version, before);
    assert.equal(cp.store.snapshot!.cookie!.secret, beforeSecret);
    assert.ok(!JSON.stringify(cp.store.snapshot).includes(process.env.HOME ?? '/nonexistent-home'));
  });

  it('shows no secret in GetConfig, neither in the text nor in the snapshot', async () => {
    const res = await unary<{ text: string; snapshot_json: string }>(client, 'GetConfig', {}, ADMIN_TOKEN);
    assert.ok(!res.text.includes(SECRET), res.text);
    assert.ok(!res.snapshot_json.includes(SECRET));
    assert.match(res.text, /cookie secret=<redacted>/);
    assert.match(res.text, /^backend /m);
  });

  it('redacts the env: form of a secret in GetConfig too', async () => {
    const path = join(dir, 'env.conf');
    writeFileSync(path, `health_check off\nbackend ${backend.url}\ncookie name=sid secret="env:GOLB_TEST_MGMT_SECRET"; # from the environment\n`);
    process.env.GOLB_TEST_MGMT_SECRET = 'value-from-env';
    const other = await startControlPlane({ configPath: path, grpcPort: 0, adminPort: -1, log: () => {} });
    const c = admin(other.grpcPort);
    try {
      const res = await unary<{ text: string }>(c, 'GetConfig', {});
      assert.ok(!res.text.includes('GOLB_TEST_MGMT_SECRET') && !res.text.includes('value-from-env'), res.text);
      assert.match(res.text, /cookie name=sid secret=<redacted>; # from the environment/);
    } finally {
      delete process.env.GOLB_TEST_MGMT_SECRET;
      c.close();
      await other.close();
    }
  });
});

/** Runs the launcher; resolves with its exit code and output, or 'running' (then kills it) if it started. */
function launch(args: string[]): Promise<{ code: number | null | 'running'; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/golb/entry.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', GOLB_TOKEN: '', GOLB_ADMIN_TOKEN: '', GOLB_DATAPLANE_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('[golb] control plane: gRPC')) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve({ code: 'running', output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('management plane: listening beyond loopback', () => {
  let conf: string;
  before(() => {
    conf = join(mkdtempSync(join(tmpdir(), 'golb-mgmt-listen-')), 'lb.conf');
    writeFileSync(conf, 'health_check off\nbackend http://127.0.0.1:9\n');
  });

  it('refuses to start a control plane whose gRPC listens on 0.0.0.0 without credentials, naming the fix', async () => {
    const r = await launch(['controlplane', '--config', conf, '--listen', '0.0.0.0', '--grpc-port', '0', '--admin-port=-1']);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /gRPC would listen on 0\.0\.0\.0 without .*--token.*--tls-ca/s);
    assert.match(r.output, /--insecure/);
  });

  it('refuses admin HTTP on 0.0.0.0 without a token, even with gRPC on loopback', async () => {
    const r = await launch(['controlplane', '--config', conf, '--grpc-port', '0', '--admin-listen', '0.0.0.0', '--admin-port', '0']);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /admin HTTP would listen on 0\.0\.0\.0 without a token: set --admin-token/);
  });

  it('still starts with no flags beyond ports on loopback, no token needed', async () => {
    const r = await launch(['controlplane', '--config', conf, '--grpc-port', '0', '--admin-port', '0']);
    assert.equal(r.code, 'running', r.output);
  });
});

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('management plane: admin HTTP', () => {
  let dir: string;
  let cp: ControlPlane;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golb-mgmt-http-'));
    writeFileSync(join(dir, 'lb.conf'), 'health_check off\nbackend http://127.0.0.1:9\n');
    cp = await startControlPlane({ configPath: join(dir, 'lb.conf'), grpcPort: 0, adminPort: 0, adminToken: ADMIN_TOKEN, adminHostNames: ['golb-admin.internal'], log: () => {} });
  });
  after(async () => {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a Host that is not its own (DNS rebinding) with 421, before any data', async () => {
    for (const host of ['attacker.example', 'attacker.example:8081', '127.0.0.1.attacker.example', '127.0.0.1@attacker.example']) {
      const r = await get(cp.adminPort, '/api/stats', { host, authorization: `Bearer ${ADMIN_TOKEN}` });
      assert.equal(r.status, 421, `Host: ${host}`);
      assert.ok(!r.body.includes('backends'));
    }
    for (const host of [`127.0.0.1:${cp.adminPort}`, `localhost:${cp.adminPort}`, 'golb-admin.internal', `[::1]:${cp.adminPort}`]) {
      assert.equal((await get(cp.adminPort, '/api/stats', { host, authorization: `Bearer ${ADMIN_TOKEN}` })).status, 200, `Host: ${host}`);
    }
  });

  it('needs the operator token on /api/stats, /metrics and the dashboard, but not on /api/health', async () => {
    for (const path of ['/api/stats', '/metrics', '/']) {
      assert.equal((await get(cp.adminPort, path)).status, 401, path);
      assert.equal((await get(cp.adminPort, path, { authorization: `Bearer ${DP_TOKEN}` })).status, 401, path);
      assert.equal((await get(cp.adminPort, path, { authorization: `Bearer ${ADMIN_TOKEN}` })).status, 200, path);
    }
    assert.equal((await get(cp.adminPort, '/api/health')).status, 200);
  });

  it('lets a browser in through /?token= with a session cookie that does not hold the token', async () => {
    assert.equal((await get(cp.adminPort, '/?token=wrong')).status, 401);
    const r = await get(cp.adminPort, `/?token=${ADMIN_TOKEN}`);
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/');
    const cookie = String(r.headers['set-cookie']?.[0] ?? '');
    assert.match(cookie, /HttpOnly/);
    assert.ok(!cookie.includes(ADMIN_TOKEN));
    const session = cookie.split(';')[0]!;
    assert.equal((await get(cp.adminPort, '/api/stats', { cookie: session })).status, 200);
    assert.equal((await get(cp.adminPort, '/', { cookie: session })).status, 200);
  });

  it('closes a connection that never finishes its request head', async () => {
    assert.ok(ADMIN_HEADERS_TIMEOUT_MS <= 10_000 && ADMIN_REQUEST_TIMEOUT_MS <= 30_000);
    const s = net.connect(cp.adminPort, '127.0.0.1');
    s.on('error', () => {});
    s.resume();
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `);
    // Node's own default would hold it 60 s and more; the admin port lets go after its headers timeout.
    const closed = await new Promise<boolean>((r) => {
      const timer = setTimeout(() => r(false), ADMIN_HEADERS_TIMEOUT_MS + 20_000);
      s.once('close', () => {
        clearTimeout(timer);
        r(true);
      });
    });
    s.destroy();
    assert.equal(closed, true);
  });

  it('caps concurrent connections: beyond the cap a connection is closed without an answer', async () => {
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < ADMIN_MAX_CONNECTIONS; i++) {
        const s = net.connect(cp.adminPort, '127.0.0.1');
        s.on('error', () => {});
        sockets.push(s);
        await new Promise<void>((r) => s.once('connect', () => r()));
      }
      // A request on one of them proves the server has accepted them all before the next arrives.
      sockets[0]!.write(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      await new Promise<void>((r) => sockets[0]!.once('data', () => r()));
      const extra = net.connect(cp.adminPort, '127.0.0.1');
      extra.on('error', () => {});
      let answered = '';
      extra.on('data', (d) => (answered += d.toString()));
      extra.on('connect', () => extra.write(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
      await new Promise<void>((r) => extra.once('close', () => r()));
      assert.equal(answered, '');
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

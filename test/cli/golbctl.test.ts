// golbctl end to end: the real bin/run.js as a subprocess against a real control plane, data
// planes and fake backends on 127.0.0.1. Every command in table and --json form, and every error
// path with its exit status and message.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatConfigError } from '../../controlplane/config/errors.js';
import { loadConfigFile } from '../../controlplane/config/load-config.js';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { adminClient, type AdminClient } from '../helpers/admin-client.js';
import { request, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { freePort } from '../kit/ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'run.js');
const TOKEN = 'golbctl-test-token';

/** Compiles to dist/ when a source golbctl runs from is newer than its build (or missing). */
function ensureBuilt(): void {
  const stale = ['cli', 'proto', join('controlplane', 'config')].some((dir) =>
    (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .some((f) => {
        const built = join(ROOT, 'dist', dir, f.replace(/\.ts$/, '.js'));
        return !existsSync(built) || statSync(built).mtimeMs < statSync(join(ROOT, dir, f)).mtimeMs;
      }),
  );
  if (!stale) return;
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--noEmitOnError', 'false'], { cwd: ROOT, stdio: 'pipe' });
  } catch {
    // Type errors elsewhere in the project still emit; what matters is that golbctl's files exist.
  }
  assert.ok(existsSync(join(ROOT, 'dist', 'cli', 'commands', 'stats.js')), 'golbctl is not built: run npx tsc -p tsconfig.json');
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let server = '';

/** Runs `node bin/run.js ...args` against the test control plane (override with env). */
function golbctl(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const base: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', GOLB_SERVER: server, GOLB_TOKEN: TOKEN };
  delete base.NODE_OPTIONS;
  delete base.FORCE_COLOR;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...base, ...env } as NodeJS.ProcessEnv, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');


describe('golbctl', () => {
  let b1: FakeBackend;
  let b2: FakeBackend;
  let cluster: Cluster;
  let admin: AdminClient;
  let dir: string;
  let baseConfig: string;
  let baseVersion: string;

  before(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'golbctl-test-'));
    b1 = await startFakeBackend({ name: 'b1' });
    b2 = await startFakeBackend({ name: 'b2' });
    baseConfig = `method round_robin\nhealth_check off\nbackend ${b1.url}\nbackend ${b2.url}\n`;
    cluster = await startCluster(baseConfig, { dataPlanes: 1, token: TOKEN });
    server = `127.0.0.1:${cluster.cp.grpcPort}`;
    admin = adminClient(cluster.cp.grpcPort, TOKEN);
    for (let i = 0; i < 10; i++) assert.equal((await request(cluster.dps[0]!.port, `/r${i}`)).status, 200);
    await waitFor('10 requests in the fleet stats', async () => (await admin.stats()).total_requests === '10');
    baseVersion = (await admin.stats()).version;
  });

  after(async () => {
    admin?.close();
    await cluster?.close();
    await Promise.all([b1?.close(), b2?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('help', () => {
    it('lists every command and shows examples per command', async () => {
      const top = await golbctl(['--help']);
      assert.equal(top.code, 0);
      for (const cmd of ['stats', 'reload', 'drain', 'undrain', 'dataplanes', 'health', 'config', 'validate']) assert.match(top.stdout, new RegExp(`^\\s+${cmd}\\s`, 'm'));
      const reload = await golbctl(['reload', '--help']);
      assert.equal(reload.code, 0);
      assert.match(reload.stdout, /EXAMPLES/);
      assert.match(reload.stdout, /golbctl reload conf\/loadbalancer\.conf --dry-run/);
      assert.match(reload.stdout, /--server=<value>.*\n?.*GOLB_SERVER/);
    });
  });

  describe('stats', () => {
    it('prints a table per pool and backend with totals', async () => {
      const r = await golbctl(['stats']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      const lines = r.stdout.split('\n');
      assert.match(lines[0]!, new RegExp(`^version ${baseVersion} .*method round_robin.*1/1 data plane connected`));
      const header = lines.find((l) => l.startsWith('POOL'));
      assert.ok(header, r.stdout);
      assert.deepEqual(header!.trim().split(/\s+/), ['POOL', 'BACKEND', 'STATE', 'HEALTHY', 'WEIGHT', 'REQUESTS', 'ERRORS', 'IN-FLIGHT', 'WS', 'SHARE', 'AVG', 'P99']);
      for (const b of [b1, b2]) {
        // state, healthy on, weight, requests, errors, in-flight, WS, share, avg, p99
        assert.match(r.stdout, new RegExp(`${esc(b.url)}\\s+up\\s+1/1\\s+1\\s+5\\s+0\\s+0\\s+0\\s+50\\.0%\\s+[\\d.]+m?s\\s+[\\d.]+m?s\\n`));
      }
      assert.match(r.stdout, /^TOTAL\s+10\s+0\s+0\s+0$/m);
      assert.match(r.stdout, /^10 requests in total/m);
      // Columns line up: every backend URL starts at the BACKEND column.
      const col = header!.indexOf('BACKEND');
      for (const b of [b1, b2]) assert.equal(lines.find((l) => l.includes(b.url))!.indexOf(b.url), col);
      assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colours when not a terminal');
    });

    it('--json has stable field names and numeric counters', async () => {
      const r = await golbctl(['stats', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout);
      assert.equal(s.version, baseVersion);
      assert.equal(s.total_requests, 10);
      assert.equal(typeof s.uptime_ms, 'number');
      assert.equal(s.method, 'round_robin');
      assert.equal(s.errors, 0);
      assert.equal(s.in_flight, 0);
      assert.deepEqual(s.pools.map((p: { name: string }) => p.name), ['default']);
      const rows = s.pools[0].backends;
      assert.deepEqual(rows.map((b: { url: string }) => b.url).sort(), [b1.url, b2.url].sort());
      for (const b of rows) {
        for (const key of ['id', 'url', 'pool', 'weight', 'admin_state', 'healthy_on', 'dataplanes', 'requests', 'errors', 'in_flight', 'open_websockets', 'share_percent', 'avg_latency_ms', 'p99_latency_ms', 'alive']) {
          assert.ok(key in b, `backend field ${key}`);
        }
        assert.equal(b.requests, 5);
        assert.equal(b.share_percent, 50);
        assert.equal(b.admin_state, 'ready');
        assert.equal(b.healthy_on, 1);
        assert.equal(b.dataplanes, 1);
      }
      assert.equal(s.dataplanes[0].id, cluster.dps[0]!.id);
    });

    it('--pool filters, and an unknown pool is a one-line error', async () => {
      const ok = await golbctl(['stats', '--pool', 'default', '--json']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual(JSON.parse(ok.stdout).pools.map((p: { name: string }) => p.name), ['default']);
      const bad = await golbctl(['stats', '--pool', 'nope']);
      assert.equal(bad.code, 1);
      assert.equal(bad.stderr, 'Error: no pool nope (known: default)\n');
      const dp = await golbctl(['stats', '--dataplane', cluster.dps[0]!.id, '--json']);
      assert.equal(dp.code, 0, dp.stderr);
      assert.deepEqual(JSON.parse(dp.stdout).dataplanes.map((d: { id: string }) => d.id), [cluster.dps[0]!.id]);
    });
  });

  describe('dataplanes, health, config', () => {
    it('dataplanes: id, address, connected since, version, ACK state, last report', async () => {
      const r = await golbctl(['dataplanes']);
      assert.equal(r.code, 0, r.stderr);
      const [header, row] = r.stdout.trim().split('\n');
      assert.deepEqual(header!.split(/\s{2,}/), ['ID', 'STATUS', 'ADDRESS', 'TRAFFIC', 'CONNECTED', 'VERSION', 'ACK', 'LAST REPORT', 'REQUESTS']);
      assert.match(row!, new RegExp(`^${esc(cluster.dps[0]!.id)}\\s+connected\\s+127\\.0\\.0\\.1:\\d+\\s+127\\.0\\.0\\.1:${cluster.dps[0]!.port}\\s+\\S+ ago\\s+${baseVersion}\\s+ACKED\\s+(just now|\\S+ ago)\\s+10$`));
      const j = JSON.parse((await golbctl(['dataplanes', '--json'])).stdout);
      assert.equal(j.dataplanes.length, 1);
      const d = j.dataplanes[0];
      assert.equal(d.id, cluster.dps[0]!.id);
      assert.equal(d.version, baseVersion);
      assert.equal(d.ack_state, 'ACKED');
      assert.equal(d.connected, true);
      assert.equal(typeof d.connected_since_unix_ms, 'number');
      assert.ok(d.connected_since_unix_ms > 0 && d.connected_since_unix_ms <= Date.now());
      assert.equal(typeof d.last_report_unix_ms, 'number');
    });

    it('health: every backend with healthy-on counts', async () => {
      const r = await golbctl(['health']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^version ${baseVersion}$`, 'm'));
      assert.match(r.stdout, /^POOL\s+BACKEND\s+STATE\s+HEALTHY ON$/m);
      for (const b of [b1, b2]) assert.match(r.stdout, new RegExp(`^default\\s+${esc(b.url)}\\s+ready\\s+`, 'm'));
      const j = JSON.parse((await golbctl(['health', '--json'])).stdout);
      assert.equal(j.version, baseVersion);
      assert.deepEqual(j.backends.map((b: { url: string }) => b.url).sort(), [b1.url, b2.url].sort());
      for (const b of j.backends) {
        assert.equal(b.admin_state, 'ready');
        assert.ok(Array.isArray(b.per_dataplane));
      }
    });

    it('config: the running text under a version header; --snapshot; --json', async () => {
      const r = await golbctl(['config']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `# golb config version ${baseVersion} from ${cluster.configPath}\n${baseConfig}`);
      const snap = await golbctl(['config', '--snapshot']);
      assert.equal(snap.code, 0);
      const parsed = JSON.parse(snap.stdout);
      assert.equal(parsed.version, baseVersion);
      assert.equal(parsed.cookie.secret, '<redacted>');
      const j = JSON.parse((await golbctl(['config', '--json'])).stdout);
      assert.equal(j.version, baseVersion);
      assert.equal(j.text, baseConfig);
      assert.equal(j.source, cluster.configPath);
      assert.equal(j.snapshot.version, baseVersion);
    });
  });

  describe('reload', () => {
    const file = () => join(dir, 'next.conf');

    it('--dry-run shows the new version and diff and changes nothing', async () => {
      writeFileSync(file(), `method round_robin\nhealth_check off\nbackend ${b1.url} weight=3\nbackend ${b2.url}\n`);
      const r = await golbctl(['reload', file(), '--dry-run']);
      assert.equal(r.code, 0, r.stderr);
      const m = r.stdout.match(/valid; would become version ([0-9a-f]+) \(running ([0-9a-f]+)\)/);
      assert.ok(m, r.stdout);
      assert.equal(m![2], baseVersion);
      assert.notEqual(m![1], baseVersion);
      assert.match(r.stdout, /^changes: 1 backend changed$/m);
      assert.match(r.stdout, new RegExp(`^  ~ backend default/127\\.0\\.0\\.1:${b1.port} weight 1 → 3$`, 'm'));
      assert.match(r.stdout, /^dry run: nothing applied$/m);
      assert.equal((await admin.stats()).version, baseVersion);
    });

    it('--dry-run lists changed settings (cookie, limits) by name', async () => {
      const settings = join(dir, 'settings.conf');
      writeFileSync(settings, `${baseConfig}cookie ttl=1h\nmax_headers 50\n`);
      const r = await golbctl(['reload', settings, '--dry-run']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^changes: 2 settings changed$/m);
      assert.match(r.stdout, /^  ~ setting cookie$/m);
      assert.match(r.stdout, /^  ~ setting limits$/m);
      assert.equal((await admin.stats()).version, baseVersion);
    });

    it('a valid file: new version, diff, each ACK, exit 0', async () => {
      const r = await golbctl(['reload', file()]);
      assert.equal(r.code, 0, r.stderr);
      const v = r.stdout.match(/: version ([0-9a-f]+) \(was ([0-9a-f]+)\)/);
      assert.ok(v, r.stdout);
      assert.equal(v![2], baseVersion);
      assert.match(r.stdout, /^pushing to 1 data plane, waiting up to 10s:$/m);
      assert.match(r.stdout, new RegExp(`^  ${esc(cluster.dps[0]!.id)}  ACK   running ${v![1]}$`, 'm'));
      assert.match(r.stdout, new RegExp(`^the data plane runs version ${v![1]}$`, 'm'));
      assert.equal((await admin.stats()).version, v![1]);
      assert.equal(cluster.dps[0]!.version(), v![1]);
    });

    it('an invalid file: every error as file:line:col on stderr, exit 1, nothing changed', async () => {
      const before = (await admin.stats()).version;
      const bad = join(dir, 'bad.conf');
      writeFileSync(bad, `method round_robin\nhealth_chek off\nbackend ${b1.url} weight=0\nbackend nope\n`);
      const r = await golbctl(['reload', bad]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 4, r.stderr);
      assert.ok(lines[0]!.startsWith(`${bad}:2:1: unknown directive "health_chek"`), lines[0]);
      assert.match(lines[1]!, new RegExp(`^${esc(bad)}:3:\\d+: weight must be`));
      assert.ok(lines[2]!.startsWith(`${bad}:4:9: bad backend URL "nope"`), lines[2]);
      assert.equal(lines[3], `Error: ${bad} rejected (3 errors); nothing changed`);
      // Same messages as the parser gives locally (and as validate prints).
      const local = await loadConfigFile(bad);
      assert.equal(local.ok, false);
      assert.deepEqual(lines.slice(0, 3), (local as { errors: Parameters<typeof formatConfigError>[0][] }).errors.map(formatConfigError));
      assert.equal((await admin.stats()).version, before);

      const j = await golbctl(['reload', bad, '--json']);
      assert.equal(j.code, 1);
      const out = JSON.parse(j.stdout);
      assert.equal(out.ok, false);
      assert.deepEqual(out.errors.map((e: { line: number }) => e.line), [2, 3, 4]);
      assert.deepEqual(out.errors.map((e: { formatted: string }) => e.formatted), lines.slice(0, 3));
    });

    it('--json of an accepted reload; no FILE re-reads the control plane file', async () => {
      const r = await golbctl(['reload', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.ok, true);
      assert.equal(j.version, baseVersion, 'the file on disk is the original config');
      assert.deepEqual(j.diff.backends_changed, [`default/127.0.0.1:${b1.port} weight 3 → 1`]);
      assert.deepEqual(j.acked, [cluster.dps[0]!.id]);
      assert.deepEqual(j.nacked, []);
      assert.deepEqual(j.results, [{ dataplane_id: cluster.dps[0]!.id, version: baseVersion, acked: true, error: '' }]);
      assert.equal((await admin.stats()).version, baseVersion);
    });

    it('a missing file is a one-line error', async () => {
      const r = await golbctl(['reload', join(dir, 'missing.conf')]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Error: cannot read ${join(dir, 'missing.conf')}: no such file\n`);
    });
  });

  describe('drain and undrain', () => {
    it('drain and undrain by URL; --json shows admin_state', async () => {
      const d = await golbctl(['drain', b1.url, '--json']);
      assert.equal(d.code, 0, d.stderr);
      const dj = JSON.parse(d.stdout);
      assert.deepEqual(dj.backends.map((b: { url: string; pool: string; admin_state: string }) => [b.url, b.pool, b.admin_state]), [[b1.url, 'default', 'draining']]);
      assert.ok(dj.backends[0].drain_deadline_unix_ms > Date.now());
      const table = await golbctl(['stats']);
      assert.match(table.stdout, new RegExp(`${esc(b1.url)}\\s+draining \\(\\d+s left\\)`));
      const u = await golbctl(['undrain', b1.url]);
      assert.equal(u.code, 0, u.stderr);
      assert.equal(u.stdout, `${b1.url} (pool default): ready again (version ${baseVersion})\n`);
      const uj = await golbctl(['undrain', b1.url, '--json']);
      assert.equal(JSON.parse(uj.stdout).backends[0].admin_state, 'ready');
    });

    it('drain --wait ends with safe to remove when the backend carries nothing', async () => {
      const r = await golbctl(['drain', `default/127.0.0.1:${b2.port}`, '--wait', '--timeout', '10000']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.match(lines[0]!, new RegExp(`^draining ${esc(b2.url)} \\(pool default\\): no new requests, 10s before maintenance`));
      assert.match(lines.at(-1)!, new RegExp(`^${esc(b2.url)} carries nothing: safe to remove`));
      assert.match(r.stderr, /0 requests in flight, 0 open WebSockets, draining on 1\/1 data plane/);
      assert.equal((await golbctl(['undrain', b2.url])).code, 0);
    });

    it('drain --wait reports what is still in flight when --timeout passes, exit 1', async () => {
      // Long enough that golbctl (a fresh node process, slow to start on a busy machine) sees it in flight.
      b1.setMode('slow', { delayMs: 10_000 });
      // Round robin: of two concurrent requests one lands on each backend.
      const pending = [request(cluster.dps[0]!.port, '/a'), request(cluster.dps[0]!.port, '/b')].map((p) => p.catch(() => null));
      await waitFor('a request in flight on b1', async () => (await admin.drainStatus({ backend: b1.url })).backends[0]?.in_flight === '1');
      const r = await golbctl(['drain', b1.url, '--wait', '--timeout', '600']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`^Error: ${esc(b1.url)} is still carrying 1 request and 0 WebSockets after \\d+m?s: not safe to remove yet$`, 'm'));
      assert.match(r.stderr, /1 request in flight/);
      await Promise.all(pending);
      b1.setMode('ok');
      assert.equal((await golbctl(['undrain', b1.url])).code, 0);
    });

    it('an unknown backend is a one-line error, exit 1', async () => {
      const r = await golbctl(['drain', 'http://127.0.0.1:1']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.split('\n').filter(Boolean).length, 1);
      assert.match(r.stderr, /^Error: no backend http:\/\/127\.0\.0\.1:1 \(known: .*\)\n$/);
      const j = await golbctl(['undrain', 'http://127.0.0.1:1', '--json']);
      assert.equal(j.code, 1);
      assert.equal(JSON.parse(j.stdout).error.code, 'NOT_FOUND');
    });

    it('an ambiguous backend asks for --pool; --pool picks one', async () => {
      const amb = join(dir, 'amb.conf');
      writeFileSync(amb, `health_check off\nbackend ${b1.url}\nbackend ${b2.url}\nbackend ${b1.url} pool=api\nroute /api/* backend_pool=api\n`);
      assert.equal((await golbctl(['reload', amb])).code, 0);
      // Route hits come from the data planes' reports: send one request down the route first.
      assert.equal((await request(cluster.dps[0]!.port, '/api/x')).status, 200);
      await waitFor('a hit on /api/*', async () => (await admin.stats()).routes.some((r) => r.display === '/api/*' && r.hits === '1'));
      const routes = await golbctl(['stats']);
      assert.match(routes.stdout, /^#\s+ROUTE\s+POOL\s+HITS$/m);
      assert.match(routes.stdout, /^\s*\d+\s+\/api\/\*\s+api\s+1$/m);
      const r = await golbctl(['drain', b1.url]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^Error: .* is in pools .*; name one with --pool\n$/);
      const ok = await golbctl(['drain', b1.url, '--pool', 'api', '--json']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual(JSON.parse(ok.stdout).backends.map((b: { pool: string; admin_state: string }) => [b.pool, b.admin_state]), [['api', 'draining']]);
      assert.equal((await golbctl(['undrain', b1.url, '--pool', 'api'])).code, 0);
      const back = await golbctl(['reload', '--json']);
      assert.equal(JSON.parse(back.stdout).version, baseVersion);
    });
  });

  describe('validate (local, no control plane)', () => {
    it('a valid file: OK with counts, exit 0, even with no control plane', async () => {
      const good = join(dir, 'good.conf');
      writeFileSync(good, `method round_robin\nbackend http://127.0.0.1:8001\nbackend http://127.0.0.1:8002 pool=api\nbackend http://127.0.0.1:8003 pool=api\nroute /api/* backend_pool=api\n`);
      const r = await golbctl(['validate', good], { GOLB_SERVER: `127.0.0.1:${await freePort()}` });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${good}: OK (2 pools, 3 backends, 1 route)\n`);
      const j = JSON.parse((await golbctl(['validate', good, '--json'])).stdout);
      assert.deepEqual([j.ok, j.pools, j.backends, j.routes, j.errors], [true, 2, 3, 1, []]);
    });

    it('every file in conf/ passes', async () => {
      const files = ['conf/loadbalancer.conf', ...readdirSync(join(ROOT, 'conf', 'examples')).filter((f) => f.endsWith('.conf')).map((f) => `conf/examples/${f}`)];
      const r = await golbctl(['validate', ...files]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split('\n').length, files.length);
      for (const f of files) assert.match(r.stdout, new RegExp(`^${esc(f)}: OK \\(`, 'm'));
    });

    it('an invalid file: every error with file:line:col, exit 1', async () => {
      const bad = join(dir, 'invalid.conf');
      writeFileSync(bad, `method round_robin\nhealth_chek off\nbackend http://127.0.0.1:8001 weight=0\nbackend nope\n`);
      const r = await golbctl(['validate', bad]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.deepEqual(lines, [
        `${bad}:2:1: unknown directive "health_chek"; did you mean "health_check"?`,
        `${bad}:3:38: weight must be a positive integer (1 to 1000000), got "0"`,
        `${bad}:4:9: bad backend URL "nope": expected http://HOST[:PORT] or https://HOST[:PORT]`,
        `Error: ${bad} is invalid (3 errors)`,
      ]);
    });
  });

  describe('errors reaching the control plane', () => {
    it('unreachable server: one line, exit 1', async () => {
      const port = await freePort();
      const r = await golbctl(['stats', '--server', `127.0.0.1:${port}`]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `Error: cannot reach control plane at 127.0.0.1:${port}: connection refused\n`);
      const j = await golbctl(['dataplanes', '--json'], { GOLB_SERVER: `127.0.0.1:${port}` });
      assert.equal(j.code, 1);
      assert.deepEqual(JSON.parse(j.stdout).error, { message: `cannot reach control plane at 127.0.0.1:${port}: connection refused`, code: 'UNAVAILABLE', exit: 1 });
    });

    it('wrong or missing token: exit 1 with UNAUTHENTICATED', async () => {
      for (const env of [{ GOLB_TOKEN: 'wrong' }, { GOLB_TOKEN: undefined }]) {
        const r = await golbctl(['stats'], env);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^Error: control plane refused the token \(UNAUTHENTICATED\): .*--token.*\n$/);
      }
      const reload = await golbctl(['reload', '--dry-run', '--token', 'wrong']);
      assert.equal(reload.code, 1);
      assert.match(reload.stderr, /UNAUTHENTICATED/);
    });

    it('a usage mistake exits 2', async () => {
      const r = await golbctl(['stats', '--bogus']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^Error: Nonexistent flag: --bogus/);
    });
  });

  describe('a data plane that refuses a config', () => {
    it('reload shows the NACK with its reason and exits 1', async () => {
      const refuser = await cluster.addDataPlane({ rejectRegexContaining: 'nack-me' });
      await refuser.ready;
      const f = join(dir, 'nack.conf');
      writeFileSync(f, `method round_robin\nhealth_check off\nbackend ${b1.url}\nbackend ${b2.url}\nroute ~^/nack-me/ backend_pool=default\n`);
      const r = await golbctl(['reload', f, '--timeout', '5000']);
      assert.equal(r.code, 1);
      assert.match(r.stdout, new RegExp(`^  ${esc(cluster.dps[0]!.id)}  ACK   `, 'm'));
      assert.match(r.stdout, new RegExp(`^  ${esc(refuser.id)}  NACK  \\S`, 'm'));
      assert.match(r.stderr, new RegExp(`^Error: 1 data plane rejected version [0-9a-f]+ \\(NACK\\) and keeps running the previous one: ${esc(refuser.id)}: `));
      const dps = JSON.parse((await golbctl(['dataplanes', '--json'])).stdout).dataplanes;
      const refused = dps.find((d: { id: string }) => d.id === refuser.id);
      assert.equal(refused.ack_state, 'NACKED');
      assert.notEqual(refused.nack_error, '');
      const table = await golbctl(['dataplanes']);
      assert.match(table.stdout, new RegExp(`^${esc(refuser.id)}\\s.*NACKED: \\S`, 'm'));
      // Back to the original file: both data planes take it.
      const back = JSON.parse((await golbctl(['reload', '--json'])).stdout);
      assert.equal(back.ok, true);
      assert.equal(back.acked.length, 2);
    });
  });
});

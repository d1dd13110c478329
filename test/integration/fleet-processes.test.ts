// A fleet as it runs in production: one control plane and three data planes, each its own OS
// process started through the `golb` launcher, and demo backends. Checked without golbctl:
// traffic through every data plane, a reload (SIGHUP) reaching all, a drain (Admin gRPC) seen on
// all, stats aggregated in the control plane's /api/stats, and a clean exit on SIGTERM.
//
// Twice: on loopback, and — when running as root with `ip netns` — with every process in its
// own network namespace and address on a bridge, so the sync stream and the traffic cross a
// real network boundary (the namespace variant is skipped with its reason otherwise).
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../../proto/index.js';
import type { DrainResponse__Output } from '../../proto/gen/golb/v1/DrainResponse.js';
import { startDemoBackend, type DemoBackend } from '../../cli/demo/demo-backends.js';
import { request, waitFor } from '../helpers/cluster.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const DATA_PLANES = 3;

// ---- processes --------------------------------------------------------------------------------

interface Proc {
  name: string;
  child: ChildProcess;
  output: string[];
  /** Resolves with the first output line (past or future) matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` and resolves with the exit code (null if killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Every process and network namespace this file made, so nothing outlives it even when a test fails. */
const started = new Set<ChildProcess>();
const namespacesMade = new Set<string>();
process.on('exit', () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const ns of namespacesMade) spawnSync('ip', ['netns', 'del', ns]);
});

const FLEET_TOKEN = 'fleet-processes-test-token';

function startGolb(name: string, args: string[], netns?: string): Proc {
  const node = [process.execPath, '--import', 'tsx', 'cli/golb/entry.ts', ...args];
  // `ip netns exec` execs the command in place, so the pid is node's own.
  const [cmd, ...argv] = netns ? ['ip', 'netns', 'exec', netns, ...node] : node;
  // One token for the fleet, as in a deployment: a control plane listening beyond loopback (the
  // namespace variant) does not start without one.
  const child = spawn(cmd!, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', GOLB_TOKEN: FLEET_TOKEN, GOLB_ADMIN_TOKEN: '', GOLB_DATAPLANE_TOKEN: '' } });
  started.add(child);
  const output: string[] = [];
  const waiters = new Set<() => void>();
  let exited: string | undefined;
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      for (const w of waiters) w();
    });
  }
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      started.delete(child);
      exited = `${name} exited (code ${code}, signal ${signal})`;
      for (const w of waiters) w();
      resolve(code);
    }),
  );
  return {
    name,
    child,
    output,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of output) {
            const m = re.exec(line);
            if (m) return done(() => resolve(m));
          }
          if (exited) done(() => reject(new Error(`${exited} before printing ${re}; output:\n${output.join('\n')}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${name}: no line matching ${re} within ${timeoutMs} ms; output:\n${output.join('\n')}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exit;
      clearTimeout(killer);
      return code;
    },
  };
}

// ---- the network the fleet runs on ------------------------------------------------------------

interface Net {
  label: string;
  /** Where the test process, and the backends, are reached from the fleet. */
  backendHost: string;
  /** Control plane flags and the address others use to reach it. */
  cp: { netns?: string; host: string; args: string[]; fixedPorts?: { grpc: number; admin: number } };
  dps: Array<{ netns?: string; host: string; args: string[]; fixedPorts?: { traffic: number; admin: number } }>;
  teardown(): Promise<void>;
}

const loopback = async (): Promise<Net> => ({
  label: 'loopback',
  backendHost: '127.0.0.1',
  // Port 0 everywhere: the launcher prints the ports it got.
  cp: { host: '127.0.0.1', args: ['--grpc-port', '0', '--admin-port', '0'] },
  dps: Array.from({ length: DATA_PLANES }, () => ({ host: '127.0.0.1', args: ['--host', '127.0.0.1', '--port', '0', '--admin-port', '0'] })),
  teardown: async () => {},
});

function ip(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: !r.error && r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
}

/** Why the namespace variant cannot run here, or undefined when it can. */
function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (run the tests as root to cross a real network boundary)';
  if (spawnSync('ip', ['-V']).error) return '`ip` (iproute2) is not installed';
  const probe = `golbprobe${process.pid}`;
  const add = ip(['netns', 'add', probe]);
  if (!add.ok) return `\`ip netns add\` failed: ${add.out}`;
  ip(['netns', 'del', probe]);
  return undefined;
}

/** A /24 in 10.0.0.0/8 that no route of this machine already covers. */
function freeSubnet(): string | undefined {
  for (let i = 0; i < 40; i++) {
    const prefix = `10.${200 + ((process.pid + i) % 50)}.${(process.pid * 7 + i * 13) % 250}`;
    const routes = ip(['-4', '-o', 'route', 'show', 'match', `${prefix}.1`]).out.split('\n').filter((l) => l && !l.startsWith('default'));
    if (routes.length === 0) return prefix;
  }
  return undefined;
}

/**
 * A bridge in its own namespace with one veth per member: the test process (root namespace,
 * .1), the control plane (.2) and each data plane (.3, .4, ...), each in its own namespace with
 * its own address. Nothing is routed or forwarded; the root namespace only gains one interface,
 * which goes away with the bridge's namespace.
 */
async function namespaces(): Promise<Net | string> {
  const why = netnsUnavailable();
  if (why) return why;
  const prefix = freeSubnet();
  if (!prefix) return 'no free 10.x.y.0/24 subnet for the test network';
  const tag = `g${process.pid % 1_000_000}`;
  const sw = `golb-${tag}-sw`;
  const members = ['root', 'cp', ...Array.from({ length: DATA_PLANES }, (_, i) => `dp${i + 1}`)];
  const nsOf = (m: string) => (m === 'root' ? undefined : `golb-${tag}-${m}`);
  const created: string[] = [];
  const teardown = async () => {
    for (const ns of created.reverse()) {
      ip(['netns', 'del', ns]);
      namespacesMade.delete(ns);
    }
    ip(['link', 'del', `${tag}a0`]); // gone already with its peer; harmless if so
  };
  const steps: string[][] = [['netns', 'add', sw], ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge'], ['-n', sw, 'link', 'set', 'br0', 'up']];
  try {
    const run = (args: string[]) => {
      const r = ip(args);
      if (!r.ok) throw new Error(`ip ${args.join(' ')}: ${r.out}`);
      if (args[0] === 'netns' && args[1] === 'add') {
        created.push(args[2]!);
        namespacesMade.add(args[2]!);
      }
    };
    for (const s of steps) run(s);
    members.forEach((m, k) => {
      const ns = nsOf(m);
      const a = `${tag}a${k}`;
      const b = `${tag}b${k}`;
      const inNs = ns ? ['-n', ns] : [];
      if (ns) {
        run(['netns', 'add', ns]);
        run(['-n', ns, 'link', 'set', 'lo', 'up']);
      }
      run(['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
      run(['link', 'set', b, 'netns', sw]);
      run(['-n', sw, 'link', 'set', b, 'master', 'br0', 'up']);
      if (ns) run(['link', 'set', a, 'netns', ns]);
      run([...inNs, 'addr', 'add', `${prefix}.${k + 1}/24`, 'dev', a]);
      run([...inNs, 'link', 'set', a, 'up']);
    });
  } catch (err) {
    await teardown();
    return `could not build the test network: ${(err as Error).message}`;
  }
  const host = (k: number) => `${prefix}.${k + 1}`;
  const blocked = await blockedBetween(nsOf('cp')!, host(0));
  if (blocked) {
    await teardown();
    return `the namespaces were built but cannot reach each other (${blocked}); a firewall on this machine?`;
  }
  return {
    label: `namespaces ${prefix}.0/24`,
    backendHost: host(0),
    // The launcher's default ports, as in a container: each namespace has its own port space.
    cp: { netns: nsOf('cp'), host: host(1), args: ['--listen', '0.0.0.0', '--admin-listen', '0.0.0.0'], fixedPorts: { grpc: 50051, admin: 8081 } },
    dps: Array.from({ length: DATA_PLANES }, (_, i) => ({
      netns: nsOf(`dp${i + 1}`),
      host: host(2 + i),
      args: ['--admin-port', '8081', '--admin-listen', '0.0.0.0'],
      fixedPorts: { traffic: 8080, admin: 8081 },
    })),
    teardown,
  };
}

/** Connects from namespace `ns` to a listener at `host` in this one; an error text, or undefined. */
async function blockedBetween(ns: string, host: string): Promise<string | undefined> {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const script = `require('node:net').connect(${port}, '${host}').on('connect', () => process.exit(0)).on('error', (e) => { console.error(e.message); process.exit(1); })`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return code === 0 ? undefined : err.trim() || `exit ${code}`;
}

// ---- the fleet --------------------------------------------------------------------------------

interface Fleet {
  backends: DemoBackend[];
  configPath: string;
  cp: Proc & { grpc: string; admin: string };
  dps: Array<Proc & { host: string; port: number; admin: string; id: string }>;
}

const configText = (backends: DemoBackend[], host: string) =>
  `method round_robin\npersistence none\nhealth_check off\n${backends.map((b) => `backend http://${host}:${b.port}`).join('\n')}\n`;

interface ApiStats {
  totalRequests: number;
  version: string;
  backends: Array<{ url: string; requestCount: number; state: string }>;
  dataplanes: Array<{ id: string; address: string; connected: boolean; version: string; ackState: string; totalRequests: number }>;
}
const apiStats = async (f: Fleet) => (await (await fetch(`${f.cp.admin}/api/stats`, { headers: { authorization: `Bearer ${FLEET_TOKEN}` } })).json()) as ApiStats;

/** Who answered, for `n` requests through one data plane. */
async function served(dp: Fleet['dps'][number], n: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await request(dp.port, `/r${i}`, { host: dp.host, agent: false });
    assert.equal(r.status, 200, `${dp.name}: ${r.status} ${r.body}`);
    names.push(String(r.headers['x-backend']));
  }
  return names;
}

function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

function drain(grpcAddress: string, backend: string): Promise<DrainResponse__Output> {
  const client = new (loadProto().golb.v1.Admin)(grpcAddress, grpc.credentials.createInsecure());
  return new Promise<DrainResponse__Output>((resolve, reject) =>
    client.Drain({ backend, timeout_ms: 60_000 }, bearer(FLEET_TOKEN), (err, res) => (err ? reject(err) : resolve(res!))),
  ).finally(() => client.close());
}

/** Every connected data plane has applied `version`, by the control plane's account and its own. */
async function allApplied(f: Fleet, version: string): Promise<void> {
  await waitFor(`all data planes to ACK version ${version}`, async () => {
    const s = await apiStats(f);
    const live = s.dataplanes.filter((d) => d.connected);
    return live.length === DATA_PLANES && live.every((d) => d.version === version && d.ackState === 'ACKED');
  }, 20_000, 100);
  for (const dp of f.dps) {
    const ready = (await (await fetch(`${dp.admin}/ready`)).json()) as { ready: boolean; version: string };
    assert.deepEqual({ ready: ready.ready, version: ready.version }, { ready: true, version }, `${dp.name} /ready`);
  }
}

function fleetSuite(title: string, makeNet: () => Promise<Net | string>): void {
  describe(title, () => {
    let net: Net | undefined;
    let skip: string | undefined;
    let dir: string | undefined;
    let fleet: Fleet | undefined;
    const procs: Proc[] = [];

    before(async () => {
      const made = await makeNet();
      if (typeof made === 'string') {
        skip = made;
        return;
      }
      net = made;
      dir = mkdtempSync(join(tmpdir(), 'golb-fleet-'));
      const backends: DemoBackend[] = [];
      for (const name of ['b1', 'b2', 'b3']) backends.push(await startDemoBackend(name, 0, net.backendHost));
      const configPath = join(dir, 'golb.conf');
      writeFileSync(configPath, configText(backends, net.backendHost));

      const cpProc = startGolb('controlplane', ['controlplane', '--config', configPath, ...net.cp.args], net.cp.netns);
      procs.push(cpProc);
      const m = await cpProc.waitFor(/control plane: gRPC [\d.]+:(\d+), admin http:\/\/[\d.]+:(\d+)/);
      const grpcPort = net.cp.fixedPorts?.grpc ?? Number(m[1]);
      const adminPort = net.cp.fixedPorts?.admin ?? Number(m[2]);
      assert.equal(Number(m[1]), grpcPort);
      const cp = Object.assign(cpProc, { grpc: `${net.cp.host}:${grpcPort}`, admin: `http://${net.cp.host}:${adminPort}` });

      const dps = await Promise.all(
        net.dps.map(async (d, i) => {
          const id = `dp${i + 1}`;
          const p = startGolb(id, ['dataplane', '--control-plane', cp.grpc, '--id', id, ...d.args], d.netns);
          procs.push(p);
          const line = await p.waitFor(/data plane (\S+): traffic on port (\d+), readiness http:\/\/[\d.]+:(\d+)\/ready/);
          assert.equal(line[1], id);
          const port = Number(line[2]);
          if (d.fixedPorts) assert.equal(port, d.fixedPorts.traffic);
          return Object.assign(p, { host: d.host, port, admin: `http://${d.host}:${Number(line[3])}`, id });
        }),
      );
      fleet = { backends, configPath, cp, dps };
      // Ready = the first snapshot arrived over the sync stream.
      for (const dp of dps) {
        await waitFor(`${dp.name} ready`, async () => (await fetch(`${dp.admin}/ready`).catch(() => undefined))?.status === 200, 20_000, 50);
      }
    });

    after(async () => {
      for (const p of procs.reverse()) await p.stop('SIGKILL').catch(() => {});
      await Promise.all(fleet?.backends.map((b) => b.close()) ?? []);
      if (dir) rmSync(dir, { recursive: true, force: true });
      await net?.teardown();
    });

    const step = (name: string, fn: (f: Fleet) => Promise<void>) =>
      it(name, async (t: TestContext) => {
        if (skip) {
          t.skip(skip);
          return;
        }
        assert.ok(fleet, 'the fleet started');
        await fn(fleet);
      });

    step('every data plane connected from its own address and balances over every backend', async (f) => {
      const s = await apiStats(f);
      const live = s.dataplanes.filter((d) => d.connected).sort((a, b) => a.id.localeCompare(b.id));
      assert.deepEqual(live.map((d) => d.id), f.dps.map((d) => d.id));
      for (const [i, d] of live.entries()) {
        // The peer address the control plane saw on the sync stream.
        assert.ok(d.address.includes(f.dps[i]!.host), `${d.id} connected from ${d.address}, expected ${f.dps[i]!.host}`);
      }
      for (const dp of f.dps) {
        const names = await served(dp, 9);
        for (const b of f.backends) assert.equal(names.filter((n) => n === b.name).length, 3, `${dp.name} sent 3 of 9 to ${b.name}: ${names}`);
      }
    });

    step("aggregates every data plane's requests in the control plane's /api/stats", async (f) => {
      const sent = DATA_PLANES * 9;
      const s = await waitFor(`totalRequests to reach ${sent}`, async () => {
        const body = await apiStats(f);
        return body.totalRequests === sent ? body : undefined;
      }, 20_000, 100);
      for (const b of f.backends) {
        const row = s.backends.find((x) => x.url.endsWith(`:${b.port}`));
        assert.equal(row?.requestCount, sent / f.backends.length, `requestCount of ${b.name}`);
      }
      for (const d of s.dataplanes) assert.equal(d.totalRequests, 9, `${d.id} reported its own 9`);
    });

    step('a reload (SIGHUP) reaches every data plane', async (f) => {
      const [b1, b2, b3] = f.backends;
      writeFileSync(f.configPath, configText([b1!, b2!], net!.backendHost));
      f.cp.child.kill('SIGHUP');
      const m = await f.cp.waitFor(/\[golb\] reloaded: version (\S+)/);
      await allApplied(f, m[1]!);
      for (const dp of f.dps) {
        const names = await served(dp, 6);
        assert.ok(!names.includes(b3!.name), `${dp.name} still sends to the removed ${b3!.name}: ${names}`);
        assert.deepEqual([...new Set(names)].sort(), [b1!.name, b2!.name]);
      }
    });

    step('a drain is seen on every data plane: no new request reaches the drained backend', async (f) => {
      const [b1, b2] = f.backends;
      const url = `http://${net!.backendHost}:${b1!.port}`;
      const res = await drain(f.cp.grpc, url);
      assert.equal(res.backends.length, 1);
      await allApplied(f, res.version);
      const s = await apiStats(f);
      assert.equal(s.backends.find((b) => b.url === url)?.state, 'draining');
      for (const dp of f.dps) {
        const names = await served(dp, 6);
        assert.deepEqual([...new Set(names)], [b2!.name], `${dp.name} after draining ${b1!.name}: ${names}`);
      }
    });

    step('data planes and the control plane exit 0 on SIGTERM', async (f) => {
      const codes = await Promise.all(f.dps.map((d) => d.stop('SIGTERM')));
      assert.deepEqual(codes, f.dps.map(() => 0));
      await waitFor('the control plane to see them gone', async () => (await apiStats(f)).dataplanes.every((d) => !d.connected), 20_000, 100);
      assert.equal(await f.cp.stop('SIGTERM'), 0);
    });
  });
}

fleetSuite('a fleet of separate processes on loopback', loopback);
fleetSuite('a fleet of separate processes in separate network namespaces', namespaces);

// docker-compose.yml: valid for docker-compose itself, and every command, port, address, mount
// and health check in it agrees with what the binaries in the image accept and serve.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { posix } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../../controlplane/config/load-config.js';
import { envOf, imageCommand, parseDockerfile } from './dockerfile.js';
import {
  durationMs,
  exists,
  IMAGE,
  listenersOf,
  managementRefusals,
  parseInvocation,
  reachableFromOutside,
  read,
  ROOT,
  SERVED_PATHS,
  type Invocation,
  type Listener,
} from './launcher.js';

interface PortMapping {
  target: number;
  /** Host port or range ("8080-8089"); undefined when not published on a fixed port. */
  published?: string;
  hostIp?: string;
}

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string> | string[];
  ports?: Array<string | { target: number; published?: string | number; host_ip?: string }>;
  volumes?: Array<string | { type?: string; source: string; target: string; read_only?: boolean }>;
  stop_grace_period?: string;
  container_name?: string;
  hostname?: string;
  depends_on?: string[] | Record<string, unknown>;
  healthcheck?: { test?: string[] | string };
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;
const dockerfile = parseDockerfile();
const image = imageCommand(dockerfile);
const imageEnv = envOf(dockerfile.runtime);

const list = (v: string[] | string | undefined): string[] | undefined => (typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v);

/** The container's whole command line, as the image would run it. */
function argvOf(s: Service): string[] {
  const entrypoint = list(s.entrypoint) ?? image.entrypoint;
  const command = list(s.command) ?? (s.entrypoint === undefined ? image.cmd : []);
  return [...entrypoint, ...command].map(String);
}

function envOfService(s: Service): Map<string, string> {
  const env = new Map(imageEnv);
  if (Array.isArray(s.environment)) for (const kv of s.environment) env.set(kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1));
  else for (const [k, v] of Object.entries(s.environment ?? {})) env.set(k, String(v));
  return env;
}

function portsOf(s: Service): PortMapping[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') return { target: Number(p.target), published: p.published === undefined ? undefined : String(p.published), hostIp: p.host_ip };
    const parts = String(p).replace(/\/tcp$/, '').split(':');
    const target = Number(parts.at(-1));
    if (parts.length === 1) return { target };
    if (parts.length === 2) return { target, published: parts[0] };
    return { target, published: parts[1], hostIp: parts[0] };
  });
}

/** Services running the golb image (etcd runs its own). */
const golb = Object.entries(services)
  .filter(([, s]) => s.image === IMAGE || s.build !== undefined)
  .map(([name, s]) => ({ name, s, inv: parseInvocation(argvOf(s)) }));
const etcd = Object.entries(services).filter(([, s]) => /(^|\/)etcd(:|$)/.test(s.image ?? ''));
const requiredVars = (s: Service) => new Set([...envOfService(s)].filter(([, v]) => /^\$\{[A-Z_]+:\?/.test(v)).map(([k]) => k));
const grpcAddress = (x: (typeof golb)[number]) => `${x.name}:${listenersOf(x.inv).find((l) => l.kind === 'grpc')!.port}`;
const byRole = (role: Invocation['role']) => golb.filter((x) => x.inv.role === role);

describe('docker-compose.yml', () => {
  it('is accepted by `docker-compose config`', () => {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    assert.ok(!probe.error && probe.status === 0, 'docker-compose is not installed (apt-get install docker-compose; .ci/run does)');
    // The token is a required variable (no value is committed); any value lets compose resolve the file.
    const env = { ...process.env, GOLB_TOKEN: 'any-token-for-config', GOLB_COOKIE_SECRET: 'any-secret-for-config' };
    const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
    const resolved = parse(out) as { services: Record<string, Service> };
    assert.deepEqual(Object.keys(resolved.services).sort(), Object.keys(services).sort(), 'docker-compose sees the same services');
    // What docker-compose resolved agrees with what these tests read from the file.
    for (const [name, s] of Object.entries(resolved.services)) {
      assert.deepEqual(argvOf(s), argvOf(services[name]!), `${name}: command line`);
      assert.deepEqual(portsOf(s).map((p) => p.target), portsOf(services[name]!).map((p) => p.target), `${name}: ports`);
    }
  });

  it('runs etcd, two control planes, scalable data planes and three demo backends, golb all from the one image', () => {
    assert.equal(etcd.length, 1, 'one etcd service');
    assert.equal(golb.length + etcd.length, Object.keys(services).length, 'every other service runs the golb image');
    assert.ok(byRole('controlplane').length >= 2, 'two control-plane replicas');
    assert.equal(byRole('dataplane').length, 1, 'one data plane service (scaled with --scale)');
    assert.equal(byRole('demo-backend').length, 3, 'three demo backends');
    for (const { name, s } of golb) {
      assert.equal(s.image, IMAGE, `${name}: image`);
      const context = typeof s.build === 'string' ? s.build : s.build?.context;
      assert.equal(context, '.', `${name}: built from this directory`);
      assert.ok(exists(typeof s.build === 'object' && s.build.dockerfile ? s.build.dockerfile : 'Dockerfile'));
    }
  });

  it('refuses to start without a token: management ports beyond loopback get one from a required variable', () => {
    const unset = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, GOLB_TOKEN: '', GOLB_COOKIE_SECRET: 'set' } });
    assert.notEqual(unset.status, 0, 'docker-compose config must fail while GOLB_TOKEN is unset');
    assert.match(unset.stderr, /set GOLB_TOKEN/);
    for (const { name, s, inv } of golb) {
      if (inv.program !== 'golb') continue;
      assert.ok(!inv.flags.has('insecure'), `${name}: --insecure`);
      assert.ok(!inv.flags.has('token'), `${name}: a --token on the command line would be committed`);
      const required = requiredVars(s);
      assert.deepEqual(managementRefusals(inv, required), [], name);
      if (inv.role === 'dataplane') assert.ok(required.has('GOLB_TOKEN'), `${name}: the data planes need the token too`);
    }
  });

  it('refuses to start without a shared cookie secret: every control plane takes it from one required variable', () => {
    const unset = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, GOLB_TOKEN: 'set', GOLB_COOKIE_SECRET: '' } });
    assert.notEqual(unset.status, 0, 'docker-compose config must fail while GOLB_COOKIE_SECRET is unset');
    assert.match(unset.stderr, /set GOLB_COOKIE_SECRET/);
    for (const { name, s } of byRole('controlplane')) {
      assert.ok(requiredVars(s).has('GOLB_COOKIE_SECRET'), `${name}: GOLB_COOKIE_SECRET from \${GOLB_COOKIE_SECRET:?...}`);
    }
    // Nor is a secret committed anywhere else in the file.
    for (const [name, s] of Object.entries(services)) {
      for (const [k, v] of Object.entries(Array.isArray(s.environment) ? {} : (s.environment ?? {}))) {
        if (/TOKEN|SECRET/.test(k)) assert.match(String(v), /^\$\{[A-Z_]+:\?/, `${name}: ${k} has a committed value`);
      }
    }
  });

  it('keeps the control planes\' state in etcd, which only the compose network reaches', () => {
    const [etcdName, e] = etcd[0]!;
    assert.match(e.image!, /^gcr\.io\/etcd-development\/etcd:v3\.5\.\d+$/, 'the official image, pinned to a v3.5 release');
    assert.equal(e.ports, undefined, `${etcdName}: not published on the host`);
    const args = [...(list(e.entrypoint) ?? []), ...(list(e.command) ?? [])].map(String);
    const flag = (n: string) => args.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3);
    assert.ok(flag('listen-client-urls')?.split(',').includes('http://0.0.0.0:2379'), 'clients on 0.0.0.0:2379 inside the network');
    const dataDir = flag('data-dir');
    assert.ok(dataDir, '--data-dir');
    const volume = (e.volumes ?? []).map((v) => (typeof v === 'string' ? { source: v.split(':')[0]!, target: v.split(':')[1] } : v)).find((v) => v.target === dataDir);
    assert.ok(volume && compose.volumes && volume.source in compose.volumes, `${dataDir} is a named volume`);
    assert.ok(e.healthcheck?.test, `${etcdName}: a health check, so the control planes start after it`);
    const cps = byRole('controlplane');
    assert.ok(cps.length >= 2, 'two control-plane replicas');
    for (const { name, s, inv } of cps) {
      assert.equal(inv.flags.get('store'), `etcd://${etcdName}:2379`, `${name}: --store`);
      assert.ok(!inv.flags.has('state-dir'), `${name}: the state is in etcd, not a directory`);
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      assert.ok(deps.includes(etcdName), `${name} starts after ${etcdName}`);
    }
  });

  it('publishes each control plane replica on its own host ports: admin 8081, 8082...; gRPC on loopback 50051, 50052...', () => {
    const cps = byRole('controlplane');
    cps.forEach(({ name, s, inv }, i) => {
      const ports = portsOf(s);
      const admin = listenersOf(inv).find((l) => l.kind === 'admin')!;
      const grpc = listenersOf(inv).find((l) => l.kind === 'grpc')!;
      assert.ok(ports.some((p) => p.target === admin.port && p.published === String(8081 + i) && p.hostIp === undefined), `${name}: admin on host ${8081 + i}`);
      assert.ok(ports.some((p) => p.target === grpc.port && p.published === String(50051 + i) && p.hostIp === '127.0.0.1'), `${name}: gRPC on 127.0.0.1:${50051 + i}`);
    });
  });

  it('passes only flags the launcher accepts', () => {
    for (const { name, inv } of golb) assert.deepEqual(inv.problems, [], `service ${name}: ${inv.problems.join('; ')}`);
  });

  it('publishes and exposes only ports the commands listen on, on addresses others can reach', () => {
    for (const { name, s, inv } of golb) {
      const listeners = listenersOf(inv);
      for (const p of portsOf(s)) {
        const l = listeners.find((x) => x.port === p.target);
        assert.ok(l, `${name}: port ${p.target} is published but the command listens on ${listeners.map((x) => `${x.kind} ${x.port}`).join(', ')}`);
        assert.ok(reachableFromOutside(l.address), `${name}: port ${p.target} is published, but ${l.addressFlag} is ${l.address}`);
      }
    }
    for (const cp of byRole('controlplane')) assert.equal(listenersOf(cp.inv).find((l) => l.kind === 'admin')!.port, 8081);
    const dp = byRole('dataplane')[0]!;
    const traffic = listenersOf(dp.inv).find((l) => l.kind === 'traffic')!;
    assert.equal(traffic.port, 8080);
    assert.ok(portsOf(dp.s).some((p) => p.target === 8080 && p.published?.startsWith('8080')), 'traffic published from host port 8080');
  });

  it('lets the data planes scale: no fixed name, and a host port range instead of one port', () => {
    const { name, s } = byRole('dataplane')[0]!;
    assert.equal(s.container_name, undefined, `${name}: container_name would stop --scale`);
    assert.equal(s.hostname, undefined, `${name}: every replica needs its own hostname`);
    // pid 1 in every container names the same temp file: replicas must not share a cache dir.
    const cacheDir = byRole('dataplane')[0]!.inv.flags.get('cache-dir');
    assert.ok(cacheDir, `${name}: --cache-dir, so it serves its last config when no control plane answers`);
    const mount = (s.volumes ?? []).find((v) => (typeof v === 'string' ? v === cacheDir : v.target === cacheDir && v.type === 'volume' && !v.source));
    assert.ok(mount, `${name}: --cache-dir ${cacheDir} is an anonymous volume (one per replica)`);
    for (const p of portsOf(s)) {
      if (p.published === undefined) continue;
      const [lo, hi] = p.published.split('-').map(Number);
      assert.ok(hi !== undefined && hi - lo! + 1 >= 3, `${name}: host port ${p.published} can hold only one replica; use a range`);
    }
  });

  it('points every data plane at every control plane replica by service name and gRPC port', () => {
    const cps = byRole('controlplane');
    for (const cp of cps) {
      const grpc = listenersOf(cp.inv).find((l) => l.kind === 'grpc')!;
      assert.ok(reachableFromOutside(grpc.address), `${cp.name}: gRPC must listen beyond loopback (--listen is ${grpc.address})`);
    }
    for (const { name, inv, s } of byRole('dataplane')) {
      const targets = (inv.flags.get('control-plane') ?? '').split(',');
      assert.deepEqual([...targets].sort(), cps.map(grpcAddress).sort(), `${name}: --control-plane lists every replica`);
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const cp of cps) assert.ok(deps.includes(cp.name), `${name} starts after ${cp.name}`);
    }
  });

  it('gives every control plane replica the same command line and config', () => {
    const [first, ...others] = byRole('controlplane');
    for (const cp of others) {
      assert.deepEqual(argvOf(cp.s), argvOf(first!.s), `${cp.name} runs like ${first!.name}`);
      assert.deepEqual(cp.s.volumes, first!.s.volumes, `${cp.name}: mounts`);
      assert.deepEqual([...envOfService(cp.s)], [...envOfService(first!.s)], `${cp.name}: environment`);
    }
  });

  it('mounts the config from conf/ and it loads, naming the demo backends by service name with weights 5:3:1', () => {
    const cp = byRole('controlplane')[0]!; // the replicas run alike (checked above)
    const configPath = cp.inv.flags.get('config');
    assert.ok(configPath, 'the control plane is given --config');
    const mount = (cp.s.volumes ?? [])
      .map((v) => (typeof v === 'string' ? { source: v.split(':')[0]!, target: v.split(':')[1]!, ro: v.split(':')[2] === 'ro' } : { source: v.source, target: v.target, ro: v.read_only === true }))
      .find((v) => configPath.startsWith(`${v.target}/`));
    assert.ok(mount, `${configPath} is inside a mounted directory`);
    assert.ok(mount.ro, 'mounted read-only');
    const hostFile = posix.join(mount.source, posix.relative(mount.target, configPath));
    assert.match(hostFile, /^(\.\/)?conf\//, 'the mounted directory is conf/');
    assert.ok(exists(hostFile), `${hostFile} exists`);
    const result = parseConfig(read(hostFile), hostFile, { env: {} });
    assert.ok(result.ok, `${hostFile} loads: ${!result.ok ? result.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('; ') : ''}`);
    const backends = result.config.pools.flatMap((p) => p.backends);
    const demo = byRole('demo-backend');
    assert.equal(backends.length, demo.length);
    for (const b of backends) {
      const svc = demo.find((d) => d.name === b.host);
      assert.ok(svc, `backend ${b.url}: ${b.host} is not a compose service`);
      const http = listenersOf(svc.inv)[0]!;
      assert.equal(http.port, b.port, `backend ${b.url}: ${svc.name} listens on ${http.port}`);
      assert.ok(reachableFromOutside(http.address), `${svc.name} must listen beyond loopback (--host)`);
    }
    assert.deepEqual(backends.map((b) => b.weight), [5, 3, 1]);
    const shutdown = result.config.limits.shutdownTimeoutMs;
    for (const { name, inv } of byRole('dataplane')) {
      assert.equal(Number(inv.flags.get('shutdown-timeout') ?? shutdown), shutdown, `${name}: --shutdown-timeout agrees with the config's timeout shutdown`);
    }
  });

  it('gives data planes a stop grace period longer than their shutdown timeout', () => {
    for (const { name, s, inv } of byRole('dataplane')) {
      const shutdownMs = Number(inv.flags.get('shutdown-timeout') ?? 30_000);
      const grace = durationMs(s.stop_grace_period ?? '10s');
      // In-flight requests get shutdownMs; open WebSockets then get up to 2 s to close.
      assert.ok(grace >= shutdownMs + 2000, `${name}: stop_grace_period ${s.stop_grace_period} < --shutdown-timeout ${shutdownMs} ms + 2 s`);
    }
  });

  it('health-checks each container on an endpoint its process serves', () => {
    for (const { name, s, inv } of golb) {
      assert.equal(s.healthcheck, undefined, `${name}: uses the image's HEALTHCHECK with GOLB_HEALTH_URL`);
      const url = new URL(envOfService(s).get('GOLB_HEALTH_URL') ?? '');
      const port = Number(url.port);
      const listener: Listener | undefined = listenersOf(inv).find((l) => l.port === port);
      assert.ok(listener, `${name}: GOLB_HEALTH_URL port ${port} is not one its command listens on`);
      assert.ok(['127.0.0.1', 'localhost'].includes(url.hostname), `${name}: the check runs inside the container`);
      const served = SERVED_PATHS[`${inv.role}:${listener.kind}`] ?? [];
      assert.ok(served.includes(url.pathname), `${name}: ${url.pathname} is not served on the ${listener.kind} port (serves ${served.join(', ')})`);
      if (inv.role === 'dataplane') assert.equal(url.pathname, '/ready', 'a data plane is healthy once it has a config');
    }
  });
});

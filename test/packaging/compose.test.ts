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
  healthcheck?: unknown;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
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

const golb = Object.entries(services).map(([name, s]) => ({ name, s, inv: parseInvocation(argvOf(s)) }));
const byRole = (role: Invocation['role']) => golb.filter((x) => x.inv.role === role);

describe('docker-compose.yml', () => {
  it('is accepted by `docker-compose config`', () => {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    assert.ok(!probe.error && probe.status === 0, 'docker-compose is not installed (apt-get install docker-compose; .ci/run does)');
    // The token is a required variable (no value is committed); any value lets compose resolve the file.
    const env = { ...process.env, GOLB_TOKEN: 'any-token-for-config' };
    const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
    const resolved = parse(out) as { services: Record<string, Service> };
    assert.deepEqual(Object.keys(resolved.services).sort(), Object.keys(services).sort(), 'docker-compose sees the same services');
    // What docker-compose resolved agrees with what these tests read from the file.
    for (const [name, s] of Object.entries(resolved.services)) {
      assert.deepEqual(argvOf(s), argvOf(services[name]!), `${name}: command line`);
      assert.deepEqual(portsOf(s).map((p) => p.target), portsOf(services[name]!).map((p) => p.target), `${name}: ports`);
    }
  });

  it('runs one control plane, scalable data planes and three demo backends, all from the one image', () => {
    assert.equal(byRole('controlplane').length, 1, 'one control plane service');
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
    const unset = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, GOLB_TOKEN: '' } });
    assert.notEqual(unset.status, 0, 'docker-compose config must fail while GOLB_TOKEN is unset');
    assert.match(unset.stderr, /set GOLB_TOKEN/);
    for (const { name, s, inv } of golb) {
      if (inv.program !== 'golb') continue;
      assert.ok(!inv.flags.has('insecure'), `${name}: --insecure`);
      const required = new Set([...envOfService(s)].filter(([, v]) => /^\$\{[A-Z_]+:\?/.test(v)).map(([k]) => k));
      assert.deepEqual(managementRefusals(inv, required), [], name);
      if (inv.role === 'dataplane') assert.ok(required.has('GOLB_TOKEN'), `${name}: the data planes need the token too`);
    }
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
    const cp = byRole('controlplane')[0]!;
    const ports = portsOf(cp.s);
    const admin = listenersOf(cp.inv).find((l) => l.kind === 'admin')!;
    assert.equal(admin.port, 8081);
    assert.ok(ports.some((p) => p.target === 8081 && p.published === '8081'), 'admin API on host port 8081');
    const dp = byRole('dataplane')[0]!;
    const traffic = listenersOf(dp.inv).find((l) => l.kind === 'traffic')!;
    assert.equal(traffic.port, 8080);
    assert.ok(portsOf(dp.s).some((p) => p.target === 8080 && p.published?.startsWith('8080')), 'traffic published from host port 8080');
  });

  it('lets the data planes scale: no fixed name, and a host port range instead of one port', () => {
    const { name, s } = byRole('dataplane')[0]!;
    assert.equal(s.container_name, undefined, `${name}: container_name would stop --scale`);
    assert.equal(s.hostname, undefined, `${name}: every replica needs its own hostname`);
    for (const p of portsOf(s)) {
      if (p.published === undefined) continue;
      const [lo, hi] = p.published.split('-').map(Number);
      assert.ok(hi !== undefined && hi - lo! + 1 >= 3, `${name}: host port ${p.published} can hold only one replica; use a range`);
    }
  });

  it('points every data plane at the control plane by service name and gRPC port', () => {
    const cp = byRole('controlplane')[0]!;
    const grpc = listenersOf(cp.inv).find((l) => l.kind === 'grpc')!;
    assert.ok(reachableFromOutside(grpc.address), `control plane gRPC must listen beyond loopback (--listen is ${grpc.address})`);
    for (const { name, inv, s } of byRole('dataplane')) {
      const target = inv.flags.get('control-plane');
      assert.equal(target, `${cp.name}:${grpc.port}`, `${name}: --control-plane`);
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      assert.ok(deps.includes(cp.name), `${name} starts after ${cp.name}`);
    }
  });

  it('mounts the config from conf/ and it loads, naming the demo backends by service name with weights 5:3:1', () => {
    const cp = byRole('controlplane')[0]!;
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

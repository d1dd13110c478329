// The `golb` launcher: the one place that wires a control plane and data planes into processes.
//   golb [flags]               all-in-one: control plane + data plane over the same sync stream
//   golb controlplane [flags]  control plane only
//   golb dataplane [flags]     data plane only
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { startControlPlane as StartControlPlane } from '../../controlplane/control-plane.js';
import { availableParallelism } from 'node:os';
import { ENGINE_NAMES, startDataPlane, SOFTWARE_VERSION, type DataPlane, type EngineName } from '../../dataplane/data-plane.js';
import { startWorkerFleet } from './workers.js';
import type { StateStore } from '../../controlplane/state/state-store.js';

export const DEFAULT_GRPC_PORT = 50051;

const HELP: Record<string, string> = {
  all: `golb ${SOFTWARE_VERSION} — HTTP load balancer (control plane + data plane in one process)

Usage: golb [flags]
       golb controlplane [flags]
       golb dataplane --control-plane HOST:PORT [flags]

Flags (all-in-one):
  --config FILE          config file (default conf/loadbalancer.conf)
  --algorithm NAME       override the default pool's algorithm (round_robin, weighted_round_robin,
                         least_connections, ip_hash, consistent_hash, random, power_of_two)
  --persistence TYPE     override persistence (none, cookie, ip_hash, consistent_hash)
  --path-routing[=BOOL]  apply the config's routes (default true; --no-path-routing sends all to the default pool)
  --port N               traffic port (default 8080)
  --host ADDR            traffic address (default: all interfaces)
  --admin-port N         admin HTTP port: dashboard, /api/health /api/stats /metrics (default 8081)
  --admin-listen ADDR    admin HTTP address (default 127.0.0.1)
  --grpc-port N          control plane gRPC port for golbctl (default ${DEFAULT_GRPC_PORT})
  --listen ADDR          gRPC address (default 127.0.0.1)
  --token TOKEN          require this token on gRPC (env GOLB_TOKEN)
  --state-dir DIR        keep the applied config, drains and generation in DIR across restarts
                         (default: none, state lives in memory; see docs/deployment.md)
  --shutdown-timeout MS  longest wait for in-flight requests on SIGTERM (default 30000)
  --engine NAME          forwarding engine: undici (default) or http-proxy (env GOLB_ENGINE)
  --workers N|auto       N data-plane processes sharing the traffic port (auto = one per core;
                         default 1, in the same process as the control plane)
  -h, --help             this help
  -v, --version          print the version`,
  controlplane: `Usage: golb controlplane [flags]
  --config FILE          config file (default conf/loadbalancer.conf)
  --grpc-port N          gRPC port for data planes and golbctl (default ${DEFAULT_GRPC_PORT})
  --listen ADDR          gRPC address (default 127.0.0.1)
  --admin-port N         admin HTTP port (default 8081; --admin-port=-1 disables)
  --admin-listen ADDR    admin HTTP address (default 127.0.0.1)
  --token TOKEN          require this token on the sync stream and Admin RPCs (env GOLB_TOKEN)
  --state-dir DIR        keep the applied config, drains and generation in DIR across restarts
                         (default: none); when set, the saved config wins over --config at start
  --store etcd://HOST:PORT[,HOST:PORT...]   keep that state in etcd instead, shared by any number
                         of control-plane replicas (see docs/deployment.md)
  --tls-cert FILE --tls-key FILE [--tls-ca FILE]   serve gRPC over TLS (mutual TLS with --tls-ca)
  --algorithm NAME --persistence TYPE --[no-]path-routing   as for all-in-one
SIGHUP re-reads the config file; an invalid file changes nothing.`,
  dataplane: `Usage: golb dataplane --control-plane HOST:PORT [flags]
  --control-plane ADDR   control plane gRPC address (default 127.0.0.1:${DEFAULT_GRPC_PORT}); several,
                         comma-separated (replicas): on losing one it moves to the next
  --port N               traffic port (default 8080)
  --host ADDR            traffic address (default: all interfaces)
  --admin-port N         local readiness HTTP (/ready, /live, /api/stats); off unless given
  --admin-listen ADDR    its address (default 127.0.0.1)
  --id ID                data plane id (default: random)
  --token TOKEN          token for the control plane (env GOLB_TOKEN)
  --tls-ca FILE          connect over TLS, trusting this CA (with --tls-cert/--tls-key for mutual TLS)
  --shutdown-timeout MS  longest wait for in-flight requests on SIGTERM (default: config's, 30000)
  --engine NAME          forwarding engine: undici (default) or http-proxy (env GOLB_ENGINE)
  --cache-dir DIR        keep the last good config in DIR; started with no control plane reachable,
                         serve it (/ready says "config": "cached" and since when)`,
};

const OPTIONS = {
  config: { type: 'string' },
  algorithm: { type: 'string' },
  persistence: { type: 'string' },
  'path-routing': { type: 'string' },
  'no-path-routing': { type: 'boolean' },
  port: { type: 'string' },
  host: { type: 'string' },
  'admin-port': { type: 'string' },
  'admin-listen': { type: 'string' },
  'grpc-port': { type: 'string' },
  listen: { type: 'string' },
  token: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'control-plane': { type: 'string' },
  id: { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  engine: { type: 'string' },
  workers: { type: 'string' },
  'state-dir': { type: 'string' },
  'cache-dir': { type: 'string' },
  store: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

class UsageError extends Error {}

function intFlag(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 65535 * 1000) throw new UsageError(`--${name} must be an integer${min < 0 ? '' : ` >= ${min}`}, got "${value}"`);
  return n;
}

function pathRouting(values: Record<string, unknown>): boolean | undefined {
  if (values['no-path-routing']) return false;
  const v = values['path-routing'] as string | undefined;
  if (v === undefined) return undefined;
  if (v === '' || v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new UsageError(`--path-routing takes true or false, got "${v}"`);
}

function engineFlag(value: unknown): EngineName | undefined {
  if (value === undefined) return undefined;
  if (!(ENGINE_NAMES as readonly unknown[]).includes(value)) throw new UsageError(`--engine takes ${ENGINE_NAMES.join(' or ')}, got "${String(value)}"`);
  return value as EngineName;
}

function workersFlag(value: unknown): number {
  if (value === undefined) return 1;
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new UsageError(`--workers takes a count >= 1 or auto, got "${String(value)}"`);
  return n;
}

export async function main(argv: string[]): Promise<void> {
  // `--path-routing` alone means true; parseArgs wants a value for string options.
  argv = argv.map((a) => (a === '--path-routing' ? '--path-routing=true' : a));
  const sub = argv[0] === 'controlplane' || argv[0] === 'dataplane' ? argv[0] : 'all';
  const rest = sub === 'all' ? argv : argv.slice(1);
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nRun "golb ${sub === 'all' ? '' : `${sub} `}--help" for usage.`);
  }
  if (values.help) {
    console.log(HELP[sub]);
    return;
  }
  if (values.version) {
    console.log(SOFTWARE_VERSION);
    return;
  }
  // Checked before anything binds a port.
  engineFlag(values.engine);
  workersFlag(values.workers);
  const token = (values.token as string | undefined) ?? process.env.GOLB_TOKEN;
  const log = (line: string) => console.log(line);
  const overrides = {
    algorithm: values.algorithm as string | undefined,
    persistence: values.persistence as string | undefined,
    pathRouting: pathRouting(values),
  };

  let stopPlanes: Array<() => Promise<void>> = [];
  if (sub === 'controlplane' || sub === 'all') {
    const tls = values['tls-cert'] || values['tls-key']
      ? { certFile: values['tls-cert'] as string, keyFile: values['tls-key'] as string, caFile: values['tls-ca'] as string | undefined }
      : undefined;
    if (tls && (!tls.certFile || !tls.keyFile)) throw new UsageError('--tls-cert and --tls-key go together');
    // Loaded only where it runs: the config checker it pulls in (recheck) costs a data plane ~25 MB.
    const { startControlPlane }: { startControlPlane: typeof StartControlPlane } = await import('../../controlplane/control-plane.js');
    const stateStore = await openStateStore(values['state-dir'] as string | undefined, values.store as string | undefined, log);
    const cp = await startControlPlane({
      configPath: (values.config as string | undefined) ?? 'conf/loadbalancer.conf',
      grpcHost: (values.listen as string | undefined) ?? '127.0.0.1',
      grpcPort: intFlag(values['grpc-port'] as string | undefined, 'grpc-port', DEFAULT_GRPC_PORT),
      adminHost: (values['admin-listen'] as string | undefined) ?? '127.0.0.1',
      adminPort: intFlag(values['admin-port'] as string | undefined, 'admin-port', 8081, -1),
      token,
      tls,
      overrides,
      stateStore,
      log,
    });
    const grpcShown = (values.listen as string | undefined) ?? '127.0.0.1';
    const adminShown = (values['admin-listen'] as string | undefined) ?? '127.0.0.1';
    log(`[golb] control plane: gRPC ${grpcShown}:${cp.grpcPort}${cp.adminPort > 0 ? `, admin http://${adminShown}:${cp.adminPort}` : ''}`);
    process.on('SIGHUP', () => {
      void cp.reload().then((r) => {
        if (r.ok) log(`[golb] reloaded: version ${r.version}`);
        else log(`[golb] reload rejected, nothing changed:\n${(r.errors ?? []).join('\n')}`);
      });
    });
    stopPlanes.push(() => cp.close());
    const workers = sub === 'all' ? workersFlag(values.workers) : 1;
    if (sub === 'all' && workers > 1) {
      const port = intFlag(values.port as string | undefined, 'port', 8080);
      const shutdownMs = values['shutdown-timeout'] ? intFlag(values['shutdown-timeout'] as string, 'shutdown-timeout', 30000) : 30000;
      const engine = engineFlag(values.engine);
      const fleet = await startWorkerFleet({
        count: workers,
        args: [
          '--control-plane', `127.0.0.1:${cp.grpcPort}`,
          '--port', String(port),
          ...(values.host ? ['--host', values.host as string] : []),
          ...(engine ? ['--engine', engine] : []),
          ...(values['shutdown-timeout'] ? ['--shutdown-timeout', String(shutdownMs)] : []),
        ],
        env: { GOLB_TOKEN: token },
        stopTimeoutMs: shutdownMs + 5000,
        log,
      }).catch(async (err: Error) => {
        await cp.close();
        throw err;
      });
      log(`[golb] listening on http://${(values.host as string | undefined) ?? 'localhost'}:${fleet.port} (${workers} worker processes)`);
      stopPlanes = [() => fleet.stop(), ...stopPlanes];
    } else if (sub === 'all') {
      const dp = await startDataPlane({
        controlPlane: `127.0.0.1:${cp.grpcPort}`,
        port: intFlag(values.port as string | undefined, 'port', 8080),
        host: values.host as string | undefined,
        token,
        shutdownTimeoutMs: values['shutdown-timeout'] ? intFlag(values['shutdown-timeout'] as string, 'shutdown-timeout', 30000) : undefined,
        engineName: engineFlag(values.engine),
        log,
      });
      await dp.ready;
      log(`[golb] listening on http://${(values.host as string | undefined) ?? 'localhost'}:${dp.port}`);
      stopPlanes = [() => dp.shutdown(), ...stopPlanes];
    }
  } else {
    const dp = await startDataPlaneFromFlags(values, token, log);
    stopPlanes.push(() => dp.shutdown());
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`[golb] ${signal}: finishing in-flight requests, then exiting`);
    void (async () => {
      for (const s of stopPlanes) await s();
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function startDataPlaneFromFlags(values: Record<string, unknown>, token: string | undefined, log: (l: string) => void): Promise<DataPlane> {
  let credentials: grpc.ChannelCredentials | undefined;
  if (values['tls-ca']) {
    const read = (f: unknown) => (f ? readFileSync(f as string) : undefined);
    credentials = grpc.credentials.createSsl(read(values['tls-ca']), read(values['tls-key']), read(values['tls-cert']));
  }
  const dp = await startDataPlane({
    controlPlane: (values['control-plane'] as string | undefined) ?? `127.0.0.1:${DEFAULT_GRPC_PORT}`,
    port: intFlag(values.port as string | undefined, 'port', 8080),
    host: values.host as string | undefined,
    adminPort: values['admin-port'] !== undefined ? intFlag(values['admin-port'] as string, 'admin-port', 0) : undefined,
    adminHost: (values['admin-listen'] as string | undefined) ?? '127.0.0.1',
    id: values.id as string | undefined,
    token,
    credentials,
    shutdownTimeoutMs: values['shutdown-timeout'] ? intFlag(values['shutdown-timeout'] as string, 'shutdown-timeout', 30000) : undefined,
    rejectRegexContaining: process.env.GOLB_TEST_REJECT_REGEX || undefined,
    cacheDir: (values['cache-dir'] as string | undefined) || undefined,
    engineName: engineFlag(values.engine),
    log,
  });
  log(`[golb] data plane ${dp.id}: traffic on port ${dp.port}${dp.adminPort ? `, readiness http://127.0.0.1:${dp.adminPort}/ready` : ''}; waiting for config from the control plane`);
  return dp;
}

async function openStateStore(dir: string | undefined, store: string | undefined, log: (l: string) => void): Promise<StateStore | undefined> {
  if (store !== undefined) {
    if (dir !== undefined) throw new UsageError('--state-dir and --store exclude each other: the state lives in one place');
    const { EtcdStore, parseEtcdUrl } = await import('../../controlplane/state/etcd-store.js');
    try {
      parseEtcdUrl(store);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return new EtcdStore(store);
  }
  if (dir === undefined) {
    log('[golb] no --state-dir: drains and configs applied with golbctl are lost when the control plane restarts');
    return undefined;
  }
  if (dir === '') throw new UsageError('--state-dir needs a directory');
  const { DirStore } = await import('../../controlplane/state/dir-store.js');
  return new DirStore(dir);
}

export function runCli(argv: string[]): void {
  main(argv).catch((err: unknown) => {
    const message = err instanceof UsageError ? err.message : (err as Error).message ?? String(err);
    console.error(`golb: ${message}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}

// The `golb` launcher: the one place that wires a control plane and data planes into processes.
//   golb [flags]               all-in-one: control plane + data plane over the same sync stream
//   golb controlplane [flags]  control plane only
//   golb dataplane [flags]     data plane only
import { parseArgs } from 'node:util';
import type { startControlPlane as StartControlPlane } from '../../controlplane/control-plane.js';
import { availableParallelism } from 'node:os';
import { ENGINE_NAMES, startDataPlane, SOFTWARE_VERSION, type DataPlane, type EngineName } from '../../dataplane/data-plane.js';
import { startWorkerFleet } from './workers.js';
import { misplacedFlag, OPTIONS, ROLE_NAMES } from './role-flags.js';
import { certificateName, syncChannelCredentials, type SyncTlsFiles } from './management-tls.js';
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
  --admin-host-name NAME another name the admin HTTP answers to (repeatable or a comma list)
  --grpc-port N          control plane gRPC port for golbctl (default ${DEFAULT_GRPC_PORT})
  --listen ADDR          gRPC address (default 127.0.0.1)
  --token TOKEN          operator and data-plane token in one (env GOLB_TOKEN)
  --admin-token TOKEN    operator token: Admin RPCs (golbctl) and admin HTTP (env GOLB_ADMIN_TOKEN)
  --dataplane-token TOKEN  data-plane token: the sync stream only (env GOLB_DATAPLANE_TOKEN)
  --insecure             start even when gRPC or admin HTTP listen beyond loopback without credentials
  --tls-cert FILE --tls-key FILE [--tls-ca FILE]   gRPC over TLS (mutual TLS with --tls-ca)
  --max-dataplanes N     most data planes connected at once (default 10000)
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
  --admin-host-name NAME another name the admin HTTP answers to (repeatable or a comma list)
  --token TOKEN          operator and data-plane token in one (env GOLB_TOKEN)
  --admin-token TOKEN    operator token: Admin RPCs (golbctl) and admin HTTP (env GOLB_ADMIN_TOKEN)
  --dataplane-token TOKEN  data-plane token: the sync stream only (env GOLB_DATAPLANE_TOKEN)
  --insecure             start even when gRPC or admin HTTP listen beyond loopback without credentials
  --max-dataplanes N     most data planes connected at once (default 10000)
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
  --token TOKEN          data-plane token for the control plane (env GOLB_TOKEN)
  --tls-ca FILE          connect over TLS, trusting this CA (with --tls-cert/--tls-key for mutual TLS)
  --tls-server-name NAME name the control plane's certificate must carry (default: the host dialled)
  --shutdown-timeout MS  longest wait for in-flight requests on SIGTERM (default: config's, 30000)
  --engine NAME          forwarding engine: undici (default) or http-proxy (env GOLB_ENGINE)
  --cache-dir DIR        keep the last good config in DIR; started with no control plane reachable,
                         serve it (/ready says "config": "cached" and since when)`,
};

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

/** Where an in-process or worker data plane dials the control plane it runs beside. */
function localAddress(listen: string, port: number): string {
  const wildcard = listen === '' || listen === '0.0.0.0' || listen === '::' || listen === '[::]';
  const host = wildcard ? '127.0.0.1' : listen.replace(/^\[(.*)\]$/, '$1');
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** `--admin-host-name a --admin-host-name b,c` → [a, b, c]. */
function hostNames(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return (value as string[]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

export async function main(argv: string[]): Promise<void> {
  // `--path-routing` alone means true; parseArgs wants a value for string options.
  argv = argv.map((a) => (a === '--path-routing' ? '--path-routing=true' : a));
  const sub = argv[0] === 'controlplane' || argv[0] === 'dataplane' ? argv[0] : 'all';
  const rest = sub === 'all' ? argv : argv.slice(1);
  const usage = `Run "golb ${sub === 'all' ? '' : `${sub} `}--help" for usage.`;
  let values: Record<string, unknown>;
  let given: string[];
  try {
    const parsed = parseArgs({ args: rest, options: OPTIONS, allowPositionals: false, strict: true, tokens: true });
    values = parsed.values;
    given = parsed.tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : []));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${usage}`);
  }
  const misplaced = misplacedFlag(sub, given);
  if (misplaced) throw new UsageError(`${misplaced}\n${usage}`);
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
  const env = (name: string) => process.env[name] || undefined;
  const token = (values.token as string | undefined) || env('GOLB_TOKEN');
  const log = (line: string) => console.log(line);
  const overrides = {
    algorithm: values.algorithm as string | undefined,
    persistence: values.persistence as string | undefined,
    pathRouting: pathRouting(values),
  };

  let stopPlanes: Array<() => Promise<void>> = [];
  // Installed before anything starts: a signal that arrives while the planes start (right after
  // "listening on" is printed, say) stops what has started instead of killing the process outright.
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
  if (sub === 'controlplane' || sub === 'all') {
    const tls = values['tls-cert'] || values['tls-key']
      ? { certFile: values['tls-cert'] as string, keyFile: values['tls-key'] as string, caFile: values['tls-ca'] as string | undefined }
      : undefined;
    if (tls && (!tls.certFile || !tls.keyFile)) throw new UsageError('--tls-cert and --tls-key go together');
    if (!tls && values['tls-ca']) throw new UsageError(`--tls-ca on ${ROLE_NAMES[sub]} is the CA of client certificates for mutual TLS and needs --tls-cert and --tls-key`);
    const adminToken = (values['admin-token'] as string | undefined) || env('GOLB_ADMIN_TOKEN') || token;
    const dataplaneToken = (values['dataplane-token'] as string | undefined) || env('GOLB_DATAPLANE_TOKEN') || token;
    const grpcHost = (values.listen as string | undefined) ?? '127.0.0.1';
    // Loaded only where it runs: the config checker it pulls in (recheck) costs a data plane ~25 MB.
    const { startControlPlane }: { startControlPlane: typeof StartControlPlane } = await import('../../controlplane/control-plane.js');
    const stateStore = await openStateStore(values['state-dir'] as string | undefined, values.store as string | undefined, log);
    const cp = await startControlPlane({
      configPath: (values.config as string | undefined) ?? 'conf/loadbalancer.conf',
      grpcHost,
      grpcPort: intFlag(values['grpc-port'] as string | undefined, 'grpc-port', DEFAULT_GRPC_PORT),
      adminHost: (values['admin-listen'] as string | undefined) ?? '127.0.0.1',
      adminPort: intFlag(values['admin-port'] as string | undefined, 'admin-port', 8081, -1),
      adminToken,
      dataplaneToken,
      insecure: values.insecure === true,
      adminHostNames: hostNames(values['admin-host-name']),
      tls,
      overrides,
      maxDataPlanes: values['max-dataplanes'] === undefined ? undefined : intFlag(values['max-dataplanes'] as string, 'max-dataplanes', 0, 1),
      stateStore,
      log,
    });
    const adminShown = (values['admin-listen'] as string | undefined) ?? '127.0.0.1';
    log(`[golb] control plane: gRPC ${grpcHost}:${cp.grpcPort}${tls ? ' (TLS)' : ''}${cp.adminPort > 0 ? `, admin http://${adminShown}:${cp.adminPort}` : ''}`);
    process.on('SIGHUP', () => {
      void cp.reload().then((r) => {
        if (r.ok) log(`[golb] reloaded: version ${r.version}`);
        else log(`[golb] reload rejected, nothing changed:\n${(r.errors ?? []).join('\n')}`);
      });
    });
    stopPlanes.push(() => cp.close());
    // The local data plane(s) dial the control plane with the same TLS: trusting the CA when one
    // is given (then presenting the server's own certificate as client certificate), else the
    // server's certificate itself; checked against the name in that certificate.
    const syncTls: SyncTlsFiles | undefined = tls && {
      caFile: tls.caFile ?? tls.certFile,
      ...(tls.caFile ? { certFile: tls.certFile, keyFile: tls.keyFile } : {}),
      serverName: certificateName(tls.certFile),
    };
    const controlPlane = localAddress(grpcHost, cp.grpcPort);
    const workers = sub === 'all' ? workersFlag(values.workers) : 1;
    if (sub === 'all' && workers > 1) {
      const port = intFlag(values.port as string | undefined, 'port', 8080);
      const shutdownMs = values['shutdown-timeout'] ? intFlag(values['shutdown-timeout'] as string, 'shutdown-timeout', 30000) : 30000;
      const engine = engineFlag(values.engine);
      const fleet = await startWorkerFleet({
        count: workers,
        args: [
          '--control-plane', controlPlane,
          '--port', String(port),
          ...(values.host ? ['--host', values.host as string] : []),
          ...(engine ? ['--engine', engine] : []),
          ...(values['shutdown-timeout'] ? ['--shutdown-timeout', String(shutdownMs)] : []),
          ...(syncTls ? ['--tls-ca', syncTls.caFile] : []),
          ...(syncTls?.certFile && syncTls.keyFile ? ['--tls-cert', syncTls.certFile, '--tls-key', syncTls.keyFile] : []),
          ...(syncTls?.serverName ? ['--tls-server-name', syncTls.serverName] : []),
        ],
        env: { GOLB_TOKEN: dataplaneToken },
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
        controlPlane,
        port: intFlag(values.port as string | undefined, 'port', 8080),
        host: values.host as string | undefined,
        token: dataplaneToken,
        credentials: syncTls ? syncChannelCredentials(syncTls) : undefined,
        shutdownTimeoutMs: values['shutdown-timeout'] ? intFlag(values['shutdown-timeout'] as string, 'shutdown-timeout', 30000) : undefined,
        engineName: engineFlag(values.engine),
        log,
      });
      await dp.ready;
      log(`[golb] listening on http://${(values.host as string | undefined) ?? 'localhost'}:${dp.port}`);
      stopPlanes = [() => dp.shutdown(), ...stopPlanes];
    }
  } else {
    const dp = await startDataPlaneFromFlags(values, token ?? env('GOLB_DATAPLANE_TOKEN'), log);
    stopPlanes.push(() => dp.shutdown());
  }
}

async function startDataPlaneFromFlags(values: Record<string, unknown>, token: string | undefined, log: (l: string) => void): Promise<DataPlane> {
  const caFile = values['tls-ca'] as string | undefined;
  const certFile = values['tls-cert'] as string | undefined;
  const keyFile = values['tls-key'] as string | undefined;
  if (Boolean(certFile) !== Boolean(keyFile)) throw new UsageError('--tls-cert and --tls-key go together');
  if (certFile && !caFile) throw new UsageError('--tls-cert/--tls-key on golb dataplane are the client certificate for mutual TLS and need --tls-ca (the CA that signed the control plane certificate)');
  if (values['tls-server-name'] && !caFile) throw new UsageError('--tls-server-name needs --tls-ca (it names the certificate of a TLS control plane)');
  const credentials = caFile ? syncChannelCredentials({ caFile, certFile, keyFile, serverName: values['tls-server-name'] as string | undefined }) : undefined;
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

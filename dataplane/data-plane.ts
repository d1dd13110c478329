// A data plane, wired: the traffic listener, the runtime swapped in from each snapshot, health
// producers, WebSocket tunnel bookkeeping, and the sync stream to the control plane.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type * as grpc from '@grpc/grpc-js';
import { nanoid } from 'nanoid';
import type { ForwardEngine } from './forward/engine.js';
import { withAsteriskForm } from './forward/asterisk-form.js';
import { createEngine, engineFromEnv, type EngineName } from './forward/engines.js';
import { TunnelRegistry } from './forward/tunnel-registry.js';
import { ActiveHealthChecker } from './health/active-checker.js';
import { settleExpiredEjections } from './health/passive.js';
import type { BackendState } from './pools/backend-state.js';
import { BackendTable } from './pools/backend-table.js';
import { SnapshotApplier } from './runtime/apply-snapshot.js';
import { DEFAULT_LIMITS } from './runtime/defaults.js';
import { closeServerNow, createAdminServer } from './server/admin-server.js';
import { ProxyHandler } from './server/proxy-handler.js';
import { listen, TrafficListener } from './server/traffic-listener.js';
import { buildHealthView, buildStatsReport } from './stats/stats-report.js';
import { TrafficStats } from './stats/traffic-stats.js';
import { SyncClient } from './sync/sync-client.js';
import { SnapshotCache } from './sync/snapshot-cache.js';

// Imported from here by the launcher, scripts/run-tests.mjs and tests.
export { createEngine, ENGINE_NAMES, type EngineName } from './forward/engines.js';
export { insecureParserFlag } from './server/traffic-listener.js';

export const SOFTWARE_VERSION = '0.1.0';

export interface DataPlaneOptions {
  /** host:port of the control plane. */
  controlPlane: string;
  /** Traffic listener; host undefined = all interfaces. */
  host?: string;
  port: number;
  /** Local readiness/health HTTP; undefined = none. */
  adminHost?: string;
  adminPort?: number;
  id?: string;
  token?: string;
  credentials?: grpc.ChannelCredentials;
  labels?: Record<string, string>;
  statsIntervalMs?: number;
  /** Longest a graceful shutdown waits for in-flight requests. */
  shutdownTimeoutMs?: number;
  engine?: ForwardEngine;
  /** Which built-in engine to use when `engine` is not given; default env GOLB_ENGINE, else undici (the faster, see docs/benchmarks.md). */
  engineName?: EngineName;
  /** Test hook: refuse snapshots whose regex contains this text (exercises the NACK path). */
  rejectRegexContaining?: string;
  /** Keeps the last good snapshot here and serves it when started with no control plane reachable. */
  cacheDir?: string;
  log?: (line: string) => void;
}

export interface DataPlane {
  readonly id: string;
  readonly port: number;
  readonly adminPort: number | undefined;
  /** Resolves once the first snapshot is applied. */
  readonly ready: Promise<void>;
  version(): string | undefined;
  /** Stops accepting, lets in-flight requests finish (bounded), closes WebSockets with 1001. */
  shutdown(): Promise<void>;
}

export async function startDataPlane(opts: DataPlaneOptions): Promise<DataPlane> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const id = opts.id ?? nanoid(10);
  const engine = withAsteriskForm(opts.engine ?? createEngine(opts.engineName ?? engineFromEnv()));
  const table = new BackendTable();
  const traffic = new TrafficStats();
  let closing = false;

  let sync: SyncClient | undefined;
  const onHealth = (state: BackendState, healthy: boolean, reason: string): void => {
    log(`[health] ${state.id} is ${healthy ? 'healthy' : 'unhealthy'}${reason ? `: ${reason}` : ''}`);
    sync?.sendHealth([{ backend_id: state.id, pool: state.pool, healthy, reason, since_unix_ms: String(state.healthSince) }]);
  };
  const checker = new ActiveHealthChecker({ onTransition: onHealth, log });
  const ejectionTimer = setInterval(() => settleExpiredEjections(table.values(), Date.now(), onHealth), 250);
  ejectionTimer.unref();

  const tunnels = new TunnelRegistry(() => applier.current);
  const handler: ProxyHandler = new ProxyHandler({
    engine,
    current: () => applier.current,
    stats: traffic,
    onHealth,
    log,
    isClosing: () => closing,
    onTunnel: (tunnel, backend) => tunnels.add(tunnel, backend),
  });
  const listener: TrafficListener = new TrafficListener({ handler, traffic, isClosing: () => closing });
  const applier: SnapshotApplier = new SnapshotApplier({
    id,
    table,
    listener,
    engine,
    checker,
    tunnels,
    sendFullHealth: () => sync?.sendFullHealth(),
    log,
    rejectRegexContaining: opts.rejectRegexContaining,
  });
  const runtime = () => applier.current;

  /** What the connection and WebSocket caps did (local admin /api/stats only). */
  function limitsReport(): Record<string, number> {
    return { connections_refused: traffic.connectionsRefused, websockets_open: handler.openWebSockets, websockets_refused: traffic.websocketsRefused };
  }

  // A cached snapshot serves until a control plane answers (and sets the generation fence).
  const cache = opts.cacheDir ? new SnapshotCache(opts.cacheDir) : undefined;
  let cached = cache?.load((reason) => log(`[dataplane ${id}] ignoring the snapshot cache: ${reason}`));
  try {
    if (cached) applier.apply(cached.snapshot);
  } catch (err) {
    log(`[dataplane ${id}] ignoring the snapshot cache: ${(err as Error).message}`);
    cached = undefined;
  }
  let cachedAt = cached?.savedAtUnixMs;
  if (cached) {
    log(`[dataplane ${id}] serving the cached config version ${cached.snapshot.version} from ${new Date(cached.savedAtUnixMs).toISOString()} until a control plane answers`);
  }
  const port = await listener.listen(opts.port, opts.host);

  let adminServer: http.Server | undefined;
  if (opts.adminPort !== undefined) {
    adminServer = createAdminServer({
      id,
      version: () => runtime()?.version,
      isClosing: () => closing,
      isControlPlaneConnected: () => sync?.connected ?? false,
      cachedAt: () => cachedAt,
      stats: () => ({ ...buildStatsReport(table.values(), traffic, runtime() !== undefined), limits: limitsReport() }),
    });
    await listen(adminServer, opts.adminPort, opts.adminHost ?? '127.0.0.1');
  }
  const adminPort = adminServer ? (adminServer.address() as AddressInfo).port : undefined;

  sync = new SyncClient({
    address: opts.controlPlane,
    running: cached ? { generation: cached.snapshot.generation, version: cached.snapshot.version } : undefined,
    token: opts.token,
    credentials: opts.credentials,
    hello: {
      id,
      hostname: hostname(),
      software_version: SOFTWARE_VERSION,
      labels: opts.labels ?? {},
      traffic_address: `${opts.host ?? '0.0.0.0'}:${port}`,
      current_version: '',
      started_unix_ms: String(traffic.startedAt),
    },
    currentVersion: () => runtime()?.version ?? '',
    cachedSince: () => cachedAt ?? 0,
    apply: (snapshot) => {
      applier.apply(snapshot);
      cachedAt = undefined;
      try {
        cache?.save(snapshot);
      } catch (err) {
        log(`[dataplane ${id}] cannot write the snapshot cache: ${(err as Error).message}`);
      }
    },
    stats: () => buildStatsReport(table.values(), traffic, runtime() !== undefined && !closing),
    healthView: () => buildHealthView(table.values()),
    statsIntervalMs: opts.statsIntervalMs,
    log,
  });
  sync.start();

  let shutdownPromise: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    closing = true;
    listener.stopAccepting();
    await listener.drain(opts.shutdownTimeoutMs ?? runtime()?.limits.shutdown_timeout_ms ?? DEFAULT_LIMITS.shutdown_timeout_ms);
    await tunnels.closeAll(1001, 'load balancer shutting down');
    listener.closeAll();
    clearInterval(ejectionTimer);
    checker.stop();
    sync?.stop();
    engine.close();
    if (adminServer) await closeServerNow(adminServer);
  }

  return {
    id,
    port,
    adminPort,
    ready: applier.ready,
    version: () => runtime()?.version,
    shutdown: () => (shutdownPromise ??= shutdown()),
  };
}

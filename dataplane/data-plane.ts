// A data plane: the traffic listener, the runtime swapped in from each snapshot, health
// producers, WebSocket tunnel bookkeeping, and the sync stream to the control plane.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { hostname } from 'node:os';
import type * as grpc from '@grpc/grpc-js';
import { nanoid } from 'nanoid';
import type { Snapshot } from '../proto/index.js';
import type { ForwardEngine, Tunnel } from './forward/engine.js';
import { withAsteriskForm } from './forward/asterisk-form.js';
import { createHttpProxyEngine } from './forward/http-proxy-engine.js';
import { createUndiciEngine } from './forward/undici-engine.js';
import { ActiveHealthChecker } from './health/active-checker.js';
import { settleExpiredEjections } from './health/passive.js';
import type { Backend } from './pools/backend.js';
import type { BackendState } from './pools/backend-state.js';
import { BackendTable } from './pools/backend-table.js';
import { DEFAULT_LIMITS, Runtime } from './runtime/runtime.js';
import { closeServerNow, createAdminServer } from './server/admin-server.js';
import { capConnections } from './server/connection-cap.js';
import { awaitContinue } from './server/expect-continue.js';
import { servePipelinedInOrder } from './server/pipelined-in-order.js';
import { ProxyHandler } from './server/proxy-handler.js';
import { clientErrorStatus } from './server/client-error-status.js';
import { ALLOWED_METHODS, sendRawError } from './server/responses.js';
import { buildHealthView, buildStatsReport } from './stats/stats-report.js';
import { TrafficStats } from './stats/traffic-stats.js';
import { SyncClient } from './sync/sync-client.js';
import { SnapshotCache } from './sync/snapshot-cache.js';

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
  /** An existing listening socket handle to share (cluster workers). */
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
  const tunnels = new Map<Tunnel, { backend: Backend; timer?: NodeJS.Timeout }>();
  let runtime: Runtime | undefined;
  let closing = false;
  let inFlight = 0;
  const onResponseClose = (): void => {
    inFlight--;
  };
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  let sync: SyncClient | undefined;
  const onHealth = (state: BackendState, healthy: boolean, reason: string): void => {
    log(`[health] ${state.id} is ${healthy ? 'healthy' : 'unhealthy'}${reason ? `: ${reason}` : ''}`);
    sync?.sendHealth([{ backend_id: state.id, pool: state.pool, healthy, reason, since_unix_ms: String(state.healthSince) }]);
  };
  const checker = new ActiveHealthChecker({ onTransition: onHealth, log });
  const ejectionTimer = setInterval(() => settleExpiredEjections(table.values(), Date.now(), onHealth), 250);
  ejectionTimer.unref();

  const handler = new ProxyHandler({
    engine,
    current: () => runtime,
    stats: traffic,
    onHealth,
    log,
    isClosing: () => closing,
    onTunnel: (tunnel, backend) => {
      tunnels.set(tunnel, { backend });
      void tunnel.closed.then(() => {
        clearTimeout(tunnels.get(tunnel)?.timer);
        tunnels.delete(tunnel);
      });
      reconcileTunnel(tunnel);
    },
  });

  // A lenient parser accepts exactly what request smuggling needs (CL+TE, bare LF, obs-fold...):
  // golb refuses to run with it, and asks for the strict one explicitly besides.
  const insecure = insecureParserFlag();
  if (insecure) {
    throw new Error(`refusing to start: ${insecure} makes Node's HTTP parser lenient, which lets smuggled requests through; remove it`);
  }
  const server = http.createServer({
    insecureHTTPParser: false,
    maxHeaderSize: DEFAULT_MAX_HEADER_BYTES,
    // Node checks the header and request deadlines on this interval (default 30 s, which would
    // let a slowloris client hold a connection for up to 30 s past `timeout http-request`).
    connectionsCheckingInterval: 250,
    requestTimeout: 60_000,
    headersTimeout: 10_000,
    keepAliveTimeout: 5_000,
  });
  const onRequest = servePipelinedInOrder((req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight++;
    // 'close' comes once per response; one shared listener, no closure per request.
    res.on('close', onResponseClose);
    if (closing) res.shouldKeepAlive = false;
    pauseIdleTimerUntilResponse(req.socket, res, server.timeout);
    handler.onRequest(req, res);
  });
  server.on('request', onRequest);
  // Expect: 100-continue: no automatic 100; the handler sends it once it knows it will forward.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    awaitContinue(res);
    onRequest(req, res);
  });
  const connectionCap = capConnections(server, DEFAULT_LIMITS.max_connections, () => traffic.connectionsRefused++);
  server.on('upgrade', handler.onUpgrade);
  // golb is not a forward proxy: CONNECT gets a status line instead of a silent close.
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    sendRawError(socket, 405, 'CONNECT is not supported', { Allow: ALLOWED_METHODS });
  });
  server.on('connection', (socket: Socket) => {
    traffic.activeConnections++;
    socket.once('close', () => traffic.activeConnections--);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Malformed requests get a real status line, never a crash; 414 / 431 for oversized heads.
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const pending = (socket as Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (pending) {
      if (pending.req.complete) {
        // The error is in a later, pipelined request while an earlier one is still being answered:
        // a status line written now would be read as that earlier request's response (the client
        // would think a request the backend served was refused). Finish it, then close; the
        // malformed request gets no answer and never reaches a backend.
        if (pending.writableEnded) {
          socket.end();
          return;
        }
        pending.shouldKeepAlive = false;
        pending.once('close', () => socket.end());
        return;
      }
      // The request being forwarded broke (bad chunk, body timeout): once its response has
      // started there is no status left to give; the closed connection shows the failure.
      if (pending.headersSent) {
        socket.destroy();
        return;
      }
    }
    const answer = clientErrorStatus(err);
    sendRawError(socket, answer.status, answer.message);
  });

  /** What the connection and WebSocket caps did (local admin /api/stats only). */
  function limitsReport(): Record<string, number> {
    return { connections_refused: traffic.connectionsRefused, websockets_open: handler.openWebSockets, websockets_refused: traffic.websocketsRefused };
  }

  /** Closes a tunnel whose backend is gone or in maintenance; schedules the close of a draining one. */
  function reconcileTunnel(tunnel: Tunnel): void {
    const entry = tunnels.get(tunnel);
    if (!entry || !runtime) return;
    const current = runtime.pools.get(entry.backend.state.pool)?.byId.get(entry.backend.id);
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (!current || current.adminState === 'MAINTENANCE') {
      tunnel.close(1001, 'backend going away');
    } else if (current.adminState === 'DRAINING') {
      const wait = current.drainDeadline > 0 ? Math.max(0, current.drainDeadline - Date.now()) : runtime.limits.drain_timeout_ms;
      entry.timer = setTimeout(() => tunnel.close(1001, 'backend draining'), wait);
      entry.timer.unref();
    }
  }

  function apply(snapshot: Snapshot): void {
    if (runtime?.version === snapshot.version) return;
    const states = table.statesFor(snapshot);
    const next = new Runtime(snapshot, states, { rejectRegexContaining: opts.rejectRegexContaining });
    // One assignment: requests that started keep the runtime they read.
    runtime = next;
    table.retain(states);
    // New connections parse with the configured head limit (Node reads it per connection);
    // the handler enforces it too, for connections opened under an older snapshot.
    if (next.limits.max_header_bytes > 0) (server as http.Server & { maxHeaderSize: number }).maxHeaderSize = next.limits.max_header_bytes;
    server.headersTimeout = next.limits.header_timeout_ms;
    server.requestTimeout = next.limits.request_timeout_ms;
    server.keepAliveTimeout = next.limits.keepalive_timeout_ms;
    connectionCap.set(next.maxConnections);
    // Upstream pools of backends that left the config are closed (gracefully) and forgotten.
    engine.retain(new Set([...next.pools.values()].flatMap((pool) => pool.backends.map((b) => b.url.origin))));
    // Client inactivity (nothing read from or written to the client, e.g. one that stopped
    // reading its response) is bounded by `timeout client`; see pauseIdleTimerUntilResponse.
    server.timeout = Math.max(0, next.limits.request_timeout_ms);
    checker.update(
      [...next.pools.values()].map((pool) => ({
        name: pool.name,
        spec: pool.spec.health_check ?? { enabled: false, type: 'http', path: '/', interval_ms: 5000, timeout_ms: 2000, healthy_threshold: 2, unhealthy_threshold: 3, expected_status_min: 200, expected_status_max: 399, host: '' },
        backends: pool.backends.map((b) => ({ state: b.state, url: b.url })),
      })),
    );
    for (const tunnel of tunnels.keys()) reconcileTunnel(tunnel);
    sync?.sendFullHealth();
    log(`[dataplane ${id}] applied config version ${snapshot.version}`);
    markReady();
  }

  await listen(server, opts.port, opts.host);
  const port = (server.address() as AddressInfo).port;

  let adminServer: http.Server | undefined;
  if (opts.adminPort !== undefined) {
    adminServer = createAdminServer({
      id,
      version: () => runtime?.version,
      isClosing: () => closing,
      isControlPlaneConnected: () => sync?.connected ?? false,
      cachedAt: () => cachedAt,
      stats: () => ({ ...buildStatsReport(table.values(), traffic, runtime !== undefined), limits: limitsReport() }),
    });
    await listen(adminServer, opts.adminPort, opts.adminHost ?? '127.0.0.1');
  }
  const adminPort = adminServer ? (adminServer.address() as AddressInfo).port : undefined;

  // A cached snapshot serves until a control plane answers (and sets the generation fence).
  const cache = opts.cacheDir ? new SnapshotCache(opts.cacheDir) : undefined;
  let cached = cache?.load((reason) => log(`[dataplane ${id}] ignoring the snapshot cache: ${reason}`));
  try {
    if (cached) apply(cached.snapshot);
  } catch (err) {
    log(`[dataplane ${id}] ignoring the snapshot cache: ${(err as Error).message}`);
    cached = undefined;
  }
  let cachedAt = cached?.savedAtUnixMs;
  if (cached) {
    log(`[dataplane ${id}] serving the cached config version ${cached.snapshot.version} from ${new Date(cached.savedAtUnixMs).toISOString()} until a control plane answers`);
  }
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
    currentVersion: () => runtime?.version ?? '',
    apply: (snapshot) => {
      apply(snapshot);
      cachedAt = undefined;
      try {
        cache?.save(snapshot);
      } catch (err) {
        log(`[dataplane ${id}] cannot write the snapshot cache: ${(err as Error).message}`);
      }
    },
    stats: () => buildStatsReport(table.values(), traffic, runtime !== undefined && !closing),
    healthView: () => buildHealthView(table.values()),
    statsIntervalMs: opts.statsIntervalMs,
    log,
  });
  sync.start();

  let shutdownPromise: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    closing = true;
    const timeoutMs = opts.shutdownTimeoutMs ?? runtime?.limits.shutdown_timeout_ms ?? 30_000;
    server.close();
    server.closeIdleConnections();
    const deadline = Date.now() + timeoutMs;
    while (inFlight > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      server.closeIdleConnections();
    }
    for (const tunnel of tunnels.keys()) tunnel.close(1001, 'load balancer shutting down');
    await Promise.race([
      Promise.all([...tunnels.keys()].map((t) => t.closed)),
      new Promise((r) => setTimeout(r, 2000).unref()),
    ]);
    server.closeAllConnections();
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
    ready,
    version: () => runtime?.version,
    shutdown: () => (shutdownPromise ??= shutdown()),
  };
}

/**
 * The client idle timer stops while golb waits for a backend — the client is quiet then through
 * no fault of its own, and the connect and response timeouts bound that wait — and starts again,
 * at `idleMs`, when the response head goes out. From then on a client that stops reading is cut
 * off once its connection has been idle that long. (The request body is bounded separately, by
 * the request timeout.)
 */
function pauseIdleTimerUntilResponse(socket: Socket, res: http.ServerResponse, idleMs: number): void {
  if (idleMs <= 0) return;
  socket.setTimeout(0);
  const writeHead = res.writeHead;
  res.writeHead = function (this: http.ServerResponse, ...args: Parameters<typeof writeHead>) {
    res.writeHead = writeHead;
    if (!socket.destroyed) socket.setTimeout(idleMs);
    return writeHead.apply(this, args);
  } as typeof writeHead;
}

/** Until the first snapshot says otherwise (max_header_size). */
const DEFAULT_MAX_HEADER_BYTES = 16384;

/** Where --insecure-http-parser was asked for (command line or NODE_OPTIONS), or undefined. */
export function insecureParserFlag(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string | undefined {
  const flag = (a: string) => a === '--insecure-http-parser' || a.startsWith('--insecure-http-parser=') || a === '--insecure_http_parser';
  if (execArgv.some(flag)) return '--insecure-http-parser on the node command line';
  if (nodeOptions.split(/\s+/).some(flag)) return '--insecure-http-parser in NODE_OPTIONS';
  return undefined;
}

export type EngineName = 'http-proxy' | 'undici';
export const ENGINE_NAMES: readonly EngineName[] = ['undici', 'http-proxy'];

/** The built-in forwarding engine called `name`; throws on an unknown name. */
export function createEngine(name: EngineName): ForwardEngine {
  switch (name) {
    case 'undici':
      return createUndiciEngine();
    case 'http-proxy':
      return createHttpProxyEngine();
    default:
      throw new Error(`unknown forwarding engine ${JSON.stringify(name)} (expected ${ENGINE_NAMES.join(' or ')})`);
  }
}

function engineFromEnv(): EngineName {
  const name = process.env.GOLB_ENGINE;
  if (!name) return 'undici';
  if (!(ENGINE_NAMES as readonly string[]).includes(name)) throw new Error(`GOLB_ENGINE=${name}: expected ${ENGINE_NAMES.join(' or ')}`);
  return name as EngineName;
}

function listen(server: http.Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} is already in use${host ? ` on ${host}` : ''}`) : err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

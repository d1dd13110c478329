// A data plane: the traffic listener, the runtime swapped in from each snapshot, health
// producers, WebSocket tunnel bookkeeping, and the sync stream to the control plane.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { hostname } from 'node:os';
import type * as grpc from '@grpc/grpc-js';
import { nanoid } from 'nanoid';
import type { Snapshot } from '../proto/index.js';
import type { ForwardEngine, Tunnel } from './forward/engine.js';
import { createHttpProxyEngine } from './forward/http-proxy-engine.js';
import { ActiveHealthChecker } from './health/active-checker.js';
import { settleExpiredEjections } from './health/passive.js';
import type { Backend } from './pools/backend.js';
import type { BackendState } from './pools/backend-state.js';
import { BackendTable } from './pools/backend-table.js';
import { Runtime } from './runtime/runtime.js';
import { ProxyHandler } from './server/proxy-handler.js';
import { buildHealthView, buildStatsReport } from './stats/stats-report.js';
import { TrafficStats } from './stats/traffic-stats.js';
import { SyncClient } from './sync/sync-client.js';

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
  /** Test hook: refuse snapshots whose regex contains this text (exercises the NACK path). */
  rejectRegexContaining?: string;
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
  const engine = opts.engine ?? createHttpProxyEngine();
  const table = new BackendTable();
  const traffic = new TrafficStats();
  const tunnels = new Map<Tunnel, { backend: Backend; timer?: NodeJS.Timeout }>();
  let runtime: Runtime | undefined;
  let closing = false;
  let inFlight = 0;
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

  const server = http.createServer({ maxHeaderSize: 65536, requestTimeout: 60_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight++;
    res.once('close', () => inFlight--);
    if (closing) res.shouldKeepAlive = false;
    handler.onRequest(req, res);
  });
  server.on('upgrade', handler.onUpgrade);
  server.on('connection', (socket: Socket) => {
    traffic.activeConnections++;
    socket.once('close', () => traffic.activeConnections--);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Malformed requests get a real status line, never a crash; 431 for oversized heads.
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = `${status} ${http.STATUS_CODES[status]}\n`;
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  });

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
    server.headersTimeout = next.limits.header_timeout_ms;
    server.requestTimeout = next.limits.request_timeout_ms;
    server.keepAliveTimeout = next.limits.keepalive_timeout_ms;
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
    adminServer = http.createServer((req, res) => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/ready' || path === '/readyz') {
        const ok = runtime !== undefined && !closing;
        json(ok ? 200 : 503, { ready: ok, version: runtime?.version ?? null, closing });
      } else if (path === '/live' || path === '/healthz' || path === '/api/health') {
        json(200, { status: 'ok', id, version: runtime?.version ?? null, controlPlaneConnected: sync?.connected ?? false });
      } else if (path === '/api/stats') {
        json(200, buildStatsReport(table.values(), traffic, runtime !== undefined));
      } else {
        json(404, { error: 'not found', endpoints: ['/ready', '/live', '/api/stats'] });
      }
    });
    await listen(adminServer, opts.adminPort, opts.adminHost ?? '127.0.0.1');
  }
  const adminPort = adminServer ? (adminServer.address() as AddressInfo).port : undefined;

  sync = new SyncClient({
    address: opts.controlPlane,
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
    apply,
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
    await new Promise<void>((r) => (adminServer ? adminServer.close(() => r()) : r()));
    adminServer?.closeAllConnections();
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

// Fleet-wide view: the running snapshot joined with what every data plane reports. Counters are
// sums of cumulative reports per data-plane incarnation (so a lost report or a reconnect loses or
// doubles nothing); live gauges (in-flight, WebSockets, health) come from connected data planes.
import type { Snapshot } from '../../proto/index.js';
import type { FleetStats } from '../../proto/gen/golb/v1/FleetStats.js';
import type { DataPlaneInfo__Output as DataPlaneInfo } from '../../proto/gen/golb/v1/DataPlaneInfo.js';
import type { BackendSummary } from '../../proto/gen/golb/v1/BackendSummary.js';
import type { BackendStats__Output } from '../../proto/gen/golb/v1/BackendStats.js';
import type { StatsReport__Output } from '../../proto/gen/golb/v1/StatsReport.js';
import type { DataPlaneSession } from '../sync/sync-server.js';
import type { ApiBackend, ApiStats } from './api-stats-shape.js';
import { backendStatus, type BackendStatus } from './backend-status.js';

export interface FleetSource {
  snapshot: Snapshot | undefined;
  sessions: Iterable<DataPlaneSession>;
  reports: Iterable<StatsReport__Output>;
  startedAt: number;
}

/** Numbers for one backend, summed over the fleet. */
export interface BackendAggregate {
  id: string;
  url: string;
  pool: string;
  weight: number;
  adminState: 'ready' | 'draining' | 'maintenance';
  drainDeadline: number;
  healthyOn: number;
  dataplanes: number;
  alive: boolean;
  /** The one word shown for it everywhere. */
  status: BackendStatus;
  requests: number;
  errors: number;
  errorsByClass: Record<string, number>;
  inFlight: number;
  openWebSockets: number;
  bytesIn: number;
  bytesOut: number;
  sharePercent: number;
  avgLatencyMs: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
  /** Cumulative latency histogram (bucket counts; bounds in `FleetAggregate.latencyBoundsMs`). */
  latencyBuckets: number[];
  latencySumMs: number;
}

export interface FleetAggregate {
  version: string;
  uptimeMs: number;
  totalRequests: number;
  unrouted: number;
  noBackend: number;
  method: string;
  persistence: string;
  latencyBoundsMs: number[];
  pools: Array<{ name: string; algorithm: string; persistence: string; backends: BackendAggregate[] }>;
  routes: Array<{ order: number; display: string; pool: string; hits: number }>;
  dataplanes: DataPlaneInfo[];
}

export function aggregate(src: FleetSource): FleetAggregate {
  const snapshot = src.snapshot;
  const sessions = [...src.sessions];
  const live = sessions.filter((s) => s.connected);
  const perBackend = new Map<string, BackendStats__Output[]>();
  const liveStats = new Map<string, BackendStats__Output[]>();
  let totalRequests = 0;
  let unrouted = 0;
  let noBackend = 0;
  let bounds: number[] = [];
  const routeHits = new Map<string, { order: number; display: string; pool: string; hits: number }>();
  // Every configured route shows, hit or not.
  for (const r of snapshot?.routes ?? []) routeHits.set(`${r.order} ${r.display}`, { order: r.order, display: r.display, pool: r.pool, hits: 0 });
  for (const r of src.reports) {
    totalRequests += Number(r.total_requests);
    unrouted += Number(r.unrouted);
    noBackend += Number(r.no_backend);
    if (r.latency_bounds_ms.length > bounds.length) bounds = r.latency_bounds_ms;
    for (const b of r.backends) push(perBackend, b.backend_id, b);
    for (const route of r.routes) {
      const key = `${route.order} ${route.display}`;
      const entry = routeHits.get(key) ?? { order: route.order, display: route.display, pool: route.pool, hits: 0 };
      entry.hits += Number(route.hits);
      routeHits.set(key, entry);
    }
  }
  for (const s of live) for (const b of s.stats?.backends ?? []) push(liveStats, b.backend_id, b);

  const pools = (snapshot?.pools ?? []).map((pool) => {
    const rows = pool.backends.map((spec): BackendAggregate => {
      const reports = perBackend.get(spec.id) ?? [];
      const buckets: number[] = [];
      let latencySumMs = 0;
      const errorsByClass: Record<string, number> = {};
      for (const r of reports) {
        r.latency_buckets.forEach((c, i) => (buckets[i] = (buckets[i] ?? 0) + Number(c)));
        latencySumMs += r.latency_sum_ms;
        for (const [k, v] of Object.entries(r.errors_by_class)) errorsByClass[k] = (errorsByClass[k] ?? 0) + Number(v);
      }
      const counted = buckets.reduce((a, b) => a + b, 0);
      let healthyOn = 0;
      let reporting = 0;
      for (const s of live) {
        const verdict = s.health.get(spec.id)?.healthy ?? s.stats?.backends.find((b) => b.backend_id === spec.id)?.healthy;
        if (verdict === undefined) continue;
        reporting++;
        if (verdict) healthyOn++;
      }
      const liveRows = liveStats.get(spec.id) ?? [];
      return {
        id: spec.id,
        url: spec.url,
        pool: pool.name,
        weight: spec.weight,
        adminState: spec.admin_state.toLowerCase() as BackendAggregate['adminState'],
        drainDeadline: Number(spec.drain_deadline_unix_ms),
        healthyOn,
        dataplanes: reporting,
        alive: reporting === 0 || healthyOn > 0,
        status: backendStatus(spec.admin_state.toLowerCase() as BackendAggregate['adminState'], healthyOn, reporting),
        requests: sum(reports, (r) => Number(r.requests)),
        errors: sum(reports, (r) => Number(r.errors)),
        errorsByClass,
        inFlight: sum(liveRows, (r) => Number(r.in_flight)),
        openWebSockets: sum(liveRows, (r) => Number(r.open_websockets)),
        bytesIn: sum(reports, (r) => Number(r.bytes_in)),
        bytesOut: sum(reports, (r) => Number(r.bytes_out)),
        sharePercent: 0,
        avgLatencyMs: counted > 0 ? latencySumMs / counted : 0,
        p50LatencyMs: quantile(buckets, bounds, 0.5),
        p99LatencyMs: quantile(buckets, bounds, 0.99),
        latencyBuckets: buckets,
        latencySumMs,
      };
    });
    const poolTotal = sum(rows, (r) => r.requests);
    for (const r of rows) r.sharePercent = poolTotal > 0 ? (100 * r.requests) / poolTotal : 0;
    return { name: pool.name, algorithm: pool.algorithm, persistence: pool.persistence?.type ?? 'none', backends: rows };
  });

  const main = (snapshot?.pools ?? []).find((p) => p.name === snapshot?.default_pool) ?? snapshot?.pools[0];
  return {
    version: snapshot?.version ?? '',
    uptimeMs: Date.now() - src.startedAt,
    totalRequests,
    unrouted,
    noBackend,
    method: main?.algorithm ?? '',
    persistence: main?.persistence?.type ?? 'none',
    latencyBoundsMs: bounds,
    pools,
    routes: [...routeHits.values()].sort((a, b) => a.order - b.order),
    dataplanes: sessions.map(dataPlaneInfo),
  };
}

export function dataPlaneInfo(s: DataPlaneSession): DataPlaneInfo {
  return {
    id: s.id,
    hostname: s.hello.hostname,
    address: s.address,
    traffic_address: s.hello.traffic_address,
    connected: s.connected,
    connected_since_unix_ms: String(s.connectedSince),
    version: s.ackedVersion,
    last_sent_version: s.lastSentVersion,
    ack_state: s.ackState,
    cached_since_unix_ms: String(s.cachedSince),
    nack_error: s.nackErrors.join('; '),
    last_report_unix_ms: String(s.lastReportAt),
    software_version: s.hello.software_version,
    total_requests: s.stats?.total_requests ?? '0',
    ready: s.stats?.ready ?? false,
  };
}

/** The Admin service's FleetStats message, optionally narrowed to one pool / data plane. */
export function toFleetStats(a: FleetAggregate, filter: { pool?: string; dataplane?: string } = {}): FleetStats {
  const pools = a.pools
    .filter((p) => !filter.pool || p.name === filter.pool)
    .map((p) => ({ name: p.name, algorithm: p.algorithm, persistence: p.persistence, backends: p.backends.map(toSummary) }));
  const all = a.pools.flatMap((p) => p.backends);
  return {
    version: a.version,
    uptime_ms: String(a.uptimeMs),
    total_requests: String(a.totalRequests),
    method: a.method,
    persistence_type: a.persistence,
    pools,
    dataplanes: a.dataplanes.filter((d) => !filter.dataplane || d.id === filter.dataplane),
    routes: a.routes.map((r) => ({ ...r, hits: String(r.hits) })),
    unrouted: String(a.unrouted),
    no_backend: String(a.noBackend),
    errors: String(sum(all, (b) => b.errors)),
    in_flight: String(sum(all, (b) => b.inFlight)),
    open_websockets: String(sum(all, (b) => b.openWebSockets)),
  };
}

function toSummary(b: BackendAggregate): BackendSummary {
  return {
    id: b.id,
    url: b.url,
    pool: b.pool,
    weight: b.weight,
    admin_state: b.adminState,
    healthy_on: b.healthyOn,
    dataplanes: b.dataplanes,
    requests: String(b.requests),
    errors: String(b.errors),
    in_flight: String(b.inFlight),
    open_websockets: String(b.openWebSockets),
    share_percent: b.sharePercent,
    avg_latency_ms: b.avgLatencyMs,
    p50_latency_ms: b.p50LatencyMs,
    p99_latency_ms: b.p99LatencyMs,
    bytes_in: String(b.bytesIn),
    bytes_out: String(b.bytesOut),
    errors_by_class: Object.fromEntries(Object.entries(b.errorsByClass).map(([k, v]) => [k, String(v)])),
    alive: b.alive,
    drain_deadline_unix_ms: String(b.drainDeadline),
    status: b.status,
  };
}

/** `/api/stats`: the original tool's JSON shape, fleet-wide, with pool/route/data-plane detail added. */
export function toApiStats(a: FleetAggregate): ApiStats {
  const all = a.pools.flatMap((p) => p.backends);
  const total = sum(all, (b) => b.requests);
  const backendJson = (b: BackendAggregate): ApiBackend => ({
    url: b.url,
    alive: b.alive && b.adminState !== 'maintenance',
    weight: b.weight,
    requestCount: b.requests,
    errorCount: b.errors,
    loadPercentage: round(total > 0 ? (100 * b.requests) / total : 0),
    responseTimeAvg: round(b.avgLatencyMs),
    id: b.id,
    pool: b.pool,
    state: b.adminState,
    status: b.status,
    healthyOn: b.healthyOn,
    dataplanes: b.dataplanes,
    inFlight: b.inFlight,
    openWebSockets: b.openWebSockets,
    p50: round(b.p50LatencyMs),
    p99: round(b.p99LatencyMs),
    sharePercentInPool: round(b.sharePercent),
  });
  return {
    method: a.method,
    persistenceType: a.persistence,
    totalRequests: a.totalRequests,
    uptime: Math.floor(a.uptimeMs / 1000),
    version: a.version,
    backends: all.map(backendJson),
    pools: a.pools.map((p) => ({ name: p.name, method: p.algorithm, persistenceType: p.persistence, backends: p.backends.map(backendJson) })),
    routes: a.routes,
    unrouted: a.unrouted,
    noBackend: a.noBackend,
    dataplanes: a.dataplanes.map((d) => ({
      id: d.id,
      address: d.address,
      connected: d.connected,
      version: d.version,
      ackState: d.ack_state,
      nackError: d.nack_error || undefined,
      totalRequests: Number(d.total_requests),
      lastReportAgeMs: Date.now() - Number(d.last_report_unix_ms),
      lastReportUnixMs: Number(d.last_report_unix_ms),
      hostname: d.hostname,
      softwareVersion: d.software_version,
    })),
  };
}

/** Quantile estimate from histogram buckets, linear within the bucket. */
export function quantile(buckets: readonly number[], bounds: readonly number[], q: number): number {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const c = buckets[i] ?? 0;
    if (c > 0 && seen + c >= rank) {
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      const upper = bounds[i] ?? lower * 2;
      return lower + ((rank - seen) / c) * (upper - lower);
    }
    seen += c;
  }
  return bounds.at(-1) ?? 0;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function sum<T>(list: readonly T[], f: (t: T) => number): number {
  let s = 0;
  for (const x of list) s += f(x);
  return s;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

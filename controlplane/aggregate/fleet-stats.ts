// Fleet-wide view: the running snapshot joined with what every data plane reports. Counters are
// sums of cumulative reports per data-plane incarnation (so a lost report or a reconnect loses or
// doubles nothing); live gauges (in-flight, WebSockets, health) come from connected data planes.
import type { Snapshot } from '../../proto/index.js';
import type { DataPlaneInfo__Output as DataPlaneInfo } from '../../proto/gen/golb/v1/DataPlaneInfo.js';
import type { BackendStats__Output } from '../../proto/gen/golb/v1/BackendStats.js';
import type { StatsReport__Output } from '../../proto/gen/golb/v1/StatsReport.js';
import type { DataPlaneSession } from '../sync/sync-server.js';
import { backendStatus, type BackendStatus } from './backend-status.js';
import { dataPlaneInfo } from './data-plane-info.js';
import { quantile } from './quantile.js';
import { sum } from './sum.js';

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

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

// The fleet aggregate as the Admin service's FleetStats message (golbctl stats): counters as
// decimal strings, backends as BackendSummary rows.
import type { BackendSummary } from '../../proto/gen/golb/v1/BackendSummary.js';
import type { FleetStats } from '../../proto/gen/golb/v1/FleetStats.js';
import type { BackendAggregate, FleetAggregate } from './fleet-stats.js';
import { sum } from './sum.js';

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

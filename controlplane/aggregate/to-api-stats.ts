// The fleet aggregate as the admin HTTP `/api/stats` document (shape: api-stats-shape.ts), which the
// dashboard renders.
import type { ApiBackend, ApiStats } from './api-stats-shape.js';
import type { BackendAggregate, FleetAggregate } from './fleet-stats.js';
import { sum } from './sum.js';

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

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

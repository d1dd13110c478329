// Builds the cumulative StatsReport a data plane streams to the control plane.
import type { StatsReport } from '../../proto/gen/golb/v1/StatsReport.js';
import type { BackendHealth } from '../../proto/gen/golb/v1/BackendHealth.js';
import { LATENCY_BOUNDS_MS, type BackendState } from '../pools/backend-state.js';
import type { TrafficStats } from './traffic-stats.js';

export function buildStatsReport(states: Iterable<BackendState>, traffic: TrafficStats, ready: boolean): StatsReport {
  const now = Date.now();
  const backends = [];
  for (const s of states) {
    backends.push({
      backend_id: s.id,
      pool: s.pool,
      url: s.url,
      requests: String(s.requests),
      errors: String(s.errors),
      errors_by_class: mapToStrings(s.errorsByClass),
      in_flight: String(s.inFlight),
      open_websockets: String(s.openWebSockets),
      websockets_total: String(s.websocketsTotal),
      bytes_in: String(s.bytesIn),
      bytes_out: String(s.bytesOut),
      latency_sum_ms: s.latencySumMs,
      latency_buckets: s.latencyBuckets.map(String),
      healthy: s.isHealthy(now),
      responses_by_class: mapToStrings(s.responsesByClass),
    });
  }
  return {
    at_unix_ms: String(now),
    started_unix_ms: String(traffic.startedAt),
    total_requests: String(traffic.totalRequests),
    unrouted: String(traffic.unrouted),
    no_backend: String(traffic.noBackend),
    backends,
    routes: [...traffic.routes.values()].map((r) => ({ order: Math.max(0, r.order), display: r.display, pool: r.pool, hits: String(r.hits) })),
    active_connections: String(traffic.activeConnections),
    latency_bounds_ms: [...LATENCY_BOUNDS_MS],
    ready,
  };
}

/** Every backend's current verdict, sent whole after each (re)connect. */
export function buildHealthView(states: Iterable<BackendState>): BackendHealth[] {
  const now = Date.now();
  const out: BackendHealth[] = [];
  for (const s of states) {
    out.push({ backend_id: s.id, pool: s.pool, healthy: s.isHealthy(now), reason: s.healthReason, since_unix_ms: String(s.healthSince) });
  }
  return out;
}

function mapToStrings(m: Map<string, number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of m) out[k] = String(v);
  return out;
}

// The fleet's cumulative counters, kept per data-plane incarnation (`id@started_unix_ms`): each
// incarnation's latest cumulative report counts once, so a lost report or a reconnect loses or
// doubles nothing. Memory stays bounded: an incarnation whose stream ended is kept apart for a
// grace period (it may reconnect and carry on counting), then folded into one retired total.
//
// Worked example: dp1@100 reports 40 requests, its stream ends (departed, still counted as 40),
// it reconnects within the grace period and reports 55: the fleet counts 55, not 95. Had it stayed
// away past the grace period, its 40 would have moved into the retired total and its key into the
// retired set; coming back with 55, only what it counts from then on is added (55 is its
// baseline), so the 40 are never counted twice — the requests it served while forgotten (15) are
// the price of bounded memory.
import type { BackendStats__Output } from '../../proto/gen/golb/v1/BackendStats.js';
import type { RouteStats__Output } from '../../proto/gen/golb/v1/RouteStats.js';
import type { StatsReport__Output } from '../../proto/gen/golb/v1/StatsReport.js';

export interface LedgerLimits {
  /** How long a departed incarnation is kept apart before it is folded into the retired total. */
  departedTtlMs: number;
  /** Most departed incarnations kept apart; the oldest are folded first. */
  maxDeparted: number;
  /** Most retired keys remembered (to recognise an incarnation that comes back). */
  maxRetiredKeys: number;
}

export const DEFAULT_LEDGER_LIMITS: LedgerLimits = { departedTtlMs: 10 * 60_000, maxDeparted: 1_000, maxRetiredKeys: 10_000 };

interface Entry {
  report: StatsReport__Output;
  /** When its stream ended; undefined while open. */
  departedAt?: number;
  /** Set for an incarnation that came back after retiring: it counts `report - baseline`. */
  baseline?: StatsReport__Output;
}

export class IncarnationLedger {
  readonly #limits: LedgerLimits;
  readonly #entries = new Map<string, Entry>();
  /** Insertion-ordered, so the oldest key is forgotten first. */
  readonly #retiredKeys = new Set<string>();
  #retired: StatsReport__Output | undefined;

  constructor(limits: Partial<LedgerLimits> = {}) {
    this.#limits = { ...DEFAULT_LEDGER_LIMITS, ...limits };
  }

  /** The incarnation's latest cumulative report; it is live again if it had departed. */
  record(key: string, report: StatsReport__Output): void {
    const entry = this.#entries.get(key);
    if (entry) {
      entry.report = report;
      entry.departedAt = undefined;
      return;
    }
    if (this.#retiredKeys.delete(key)) {
      this.#entries.set(key, { report, baseline: report });
      return;
    }
    this.#entries.set(key, { report });
  }

  /** The incarnation's stream ended at `now`. */
  depart(key: string, now: number): void {
    const entry = this.#entries.get(key);
    if (entry) entry.departedAt = now;
  }

  /** Folds departed incarnations past the grace period, or beyond the cap, into the retired total. */
  prune(now: number): void {
    const departed: Array<[string, Entry, number]> = [];
    for (const [key, e] of this.#entries) if (e.departedAt !== undefined) departed.push([key, e, e.departedAt]);
    departed.sort((a, b) => a[2] - b[2]);
    const over = departed.length - this.#limits.maxDeparted;
    departed.forEach(([key, e, at], i) => {
      if (i < over || now - at >= this.#limits.departedTtlMs) this.#retire(key, e);
    });
  }

  /** Reports to sum for fleet totals: the retired total first, then each incarnation's share. */
  values(): StatsReport__Output[] {
    const out: StatsReport__Output[] = this.#retired ? [this.#retired] : [];
    for (const e of this.#entries.values()) out.push(e.baseline ? combineReports(e.report, e.baseline, -1) : e.report);
    return out;
  }

  /** Incarnations kept apart (live or departed). */
  get size(): number {
    return this.#entries.size;
  }

  #retire(key: string, e: Entry): void {
    const share = e.baseline ? combineReports(e.report, e.baseline, -1) : e.report;
    this.#retired = combineReports(this.#retired ?? emptyReport(), share, 1);
    this.#entries.delete(key);
    this.#retiredKeys.add(key);
    if (this.#retiredKeys.size > this.#limits.maxRetiredKeys) {
      const oldest = this.#retiredKeys.values().next().value;
      if (oldest !== undefined) this.#retiredKeys.delete(oldest);
    }
  }
}

/**
 * `a + sign * b` for every cumulative counter (floored at 0); gauges (in flight, open WebSockets,
 * connections) are 0 in the result, since only live data planes report those.
 */
export function combineReports(a: StatsReport__Output, b: StatsReport__Output, sign: 1 | -1): StatsReport__Output {
  const n = (x: string, y: string) => String(Math.max(0, Number(x) + sign * Number(y)));
  const backends = new Map<string, BackendStats__Output>(a.backends.map((x) => [x.backend_id, { ...x, in_flight: '0', open_websockets: '0' }]));
  for (const y of b.backends) {
    const x = backends.get(y.backend_id);
    if (!x) {
      if (sign > 0) backends.set(y.backend_id, { ...y, in_flight: '0', open_websockets: '0' });
      continue;
    }
    backends.set(y.backend_id, {
      ...x,
      requests: n(x.requests, y.requests),
      errors: n(x.errors, y.errors),
      errors_by_class: combineCounts(x.errors_by_class, y.errors_by_class, sign),
      responses_by_class: combineCounts(x.responses_by_class, y.responses_by_class, sign),
      websockets_total: n(x.websockets_total, y.websockets_total),
      bytes_in: n(x.bytes_in, y.bytes_in),
      bytes_out: n(x.bytes_out, y.bytes_out),
      latency_sum_ms: Math.max(0, x.latency_sum_ms + sign * y.latency_sum_ms),
      latency_buckets: Array.from({ length: Math.max(x.latency_buckets.length, y.latency_buckets.length) }, (_, i) => n(x.latency_buckets[i] ?? '0', y.latency_buckets[i] ?? '0')),
    });
  }
  const routeKey = (r: RouteStats__Output) => `${r.order} ${r.display}`;
  const routes = new Map<string, RouteStats__Output>(a.routes.map((r) => [routeKey(r), { ...r }]));
  for (const r of b.routes) {
    const x = routes.get(routeKey(r));
    if (x) x.hits = n(x.hits, r.hits);
    else if (sign > 0) routes.set(routeKey(r), { ...r });
  }
  return {
    at_unix_ms: a.at_unix_ms,
    started_unix_ms: a.started_unix_ms,
    total_requests: n(a.total_requests, b.total_requests),
    unrouted: n(a.unrouted, b.unrouted),
    no_backend: n(a.no_backend, b.no_backend),
    backends: [...backends.values()],
    routes: [...routes.values()],
    active_connections: '0',
    latency_bounds_ms: a.latency_bounds_ms.length >= b.latency_bounds_ms.length ? a.latency_bounds_ms : b.latency_bounds_ms,
    ready: false,
  };
}

function combineCounts(a: Record<string, string>, b: Record<string, string>, sign: 1 | -1): Record<string, string> {
  // A Map, so that a class named like an Object.prototype member is just another key.
  const out = new Map(Object.entries(a));
  for (const [k, v] of Object.entries(b)) {
    const x = out.get(k);
    if (x !== undefined || sign > 0) out.set(k, String(Math.max(0, Number(x ?? 0) + sign * Number(v))));
  }
  return Object.fromEntries(out);
}

function emptyReport(): StatsReport__Output {
  return { at_unix_ms: '0', started_unix_ms: '0', total_requests: '0', unrouted: '0', no_backend: '0', backends: [], routes: [], active_connections: '0', latency_bounds_ms: [], ready: false };
}

// The incarnation ledger: departed data planes' counters stay in the totals exactly once, through
// reconnects within the grace period, retirement, and a return after retirement.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { combineReports, IncarnationLedger } from '../../../controlplane/sync/incarnation-ledger.js';
import type { StatsReport__Output } from '../../../proto/gen/golb/v1/StatsReport.js';

function report(total: number, perBackend: Record<string, number> = { b1: total }, inFlight = 0): StatsReport__Output {
  return {
    at_unix_ms: '0',
    started_unix_ms: '1',
    total_requests: String(total),
    unrouted: '0',
    no_backend: '0',
    active_connections: '3',
    latency_bounds_ms: [1, 10],
    ready: true,
    routes: [{ order: 0, display: '/', pool: 'p', hits: String(total) }],
    backends: Object.entries(perBackend).map(([id, n]) => ({
      backend_id: id,
      pool: 'p',
      url: '',
      requests: String(n),
      errors: '0',
      errors_by_class: { '5xx': '1', constructor: '2' },
      in_flight: String(inFlight),
      open_websockets: '0',
      websockets_total: '0',
      bytes_in: String(n * 10),
      bytes_out: '0',
      latency_sum_ms: n,
      latency_buckets: [String(n), '0', '0'],
      healthy: true,
      responses_by_class: {},
    })),
  };
}

const total = (l: IncarnationLedger) => l.values().reduce((n, r) => n + Number(r.total_requests), 0);
const backend = (l: IncarnationLedger, id: string) => l.values().flatMap((r) => r.backends).filter((b) => b.backend_id === id).reduce((n, b) => n + Number(b.requests), 0);

describe('IncarnationLedger', () => {
  it('counts each incarnation once: live, departed, reconnected within the grace period', () => {
    const l = new IncarnationLedger({ departedTtlMs: 1000 });
    l.record('dp1@1', report(40));
    l.record('dp2@1', report(5));
    assert.equal(total(l), 45);
    l.depart('dp1@1', 100);
    l.prune(500);
    assert.equal(total(l), 45, 'departed, not yet retired');
    l.record('dp1@1', report(55));
    l.prune(5000);
    assert.equal(total(l), 60, 'reconnected: its latest cumulative report, not the sum');
    assert.equal(l.size, 2);
  });

  it('folds a departed incarnation into the retired total after the grace period, keeping every counter', () => {
    const l = new IncarnationLedger({ departedTtlMs: 1000 });
    l.record('dp1@1', report(40, { b1: 30, b2: 10 }));
    l.record('dp2@1', report(5, { b1: 5 }));
    l.depart('dp1@1', 100);
    l.prune(1100);
    assert.equal(l.size, 1);
    assert.equal(total(l), 45);
    assert.equal(backend(l, 'b1'), 35);
    assert.equal(backend(l, 'b2'), 10);
    const retired = l.values()[0]!;
    assert.equal(retired.backends.find((b) => b.backend_id === 'b1')?.bytes_in, '300');
    assert.equal(retired.routes[0]?.hits, '40');
    assert.equal(retired.backends[0]?.errors_by_class.constructor, '2');
  });

  it('counts only the growth of an incarnation that comes back after retiring, never its old counts twice', () => {
    const l = new IncarnationLedger({ departedTtlMs: 1000 });
    l.record('dp1@1', report(40));
    l.depart('dp1@1', 0);
    l.prune(2000);
    l.record('dp1@1', report(55));
    assert.equal(total(l), 40, 'its first report back is the baseline');
    l.record('dp1@1', report(70));
    assert.equal(total(l), 55);
    assert.equal(backend(l, 'b1'), 55);
    l.depart('dp1@1', 3000);
    l.prune(9000);
    assert.equal(l.size, 0);
    assert.equal(total(l), 55, 'retired twice, counted once');
  });

  it('keeps at most maxDeparted departed incarnations apart, retiring the oldest first', () => {
    const l = new IncarnationLedger({ departedTtlMs: 60_000, maxDeparted: 2 });
    for (let i = 0; i < 5; i++) {
      l.record(`dp${i}@1`, report(1));
      l.depart(`dp${i}@1`, i);
    }
    l.record('live@1', report(1));
    l.prune(10);
    assert.equal(l.size, 3, 'two departed and the live one');
    assert.equal(total(l), 6);
  });
});

describe('combineReports', () => {
  it('adds or subtracts cumulative counters (floored at 0) and zeroes gauges', () => {
    const sum = combineReports(report(10, { b1: 10 }, 4), report(3, { b1: 3, b2: 1 }, 2), 1);
    assert.equal(sum.total_requests, '13');
    assert.deepEqual(sum.backends.map((b) => [b.backend_id, b.requests, b.in_flight]), [['b1', '13', '0'], ['b2', '1', '0']]);
    assert.equal(sum.active_connections, '0');
    const diff = combineReports(report(3, { b1: 3 }), report(10, { b1: 10, b2: 5 }), -1);
    assert.equal(diff.total_requests, '0');
    assert.deepEqual(diff.backends.map((b) => [b.backend_id, b.requests]), [['b1', '0']]);
  });
});

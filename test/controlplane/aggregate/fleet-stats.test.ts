// Fleet aggregation and its outputs (/api/stats shape, Prometheus text), from real report messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate } from '../../../controlplane/aggregate/fleet-stats.js';
import { quantile } from '../../../controlplane/aggregate/quantile.js';
import { toApiStats } from '../../../controlplane/aggregate/to-api-stats.js';
import { renderMetrics } from '../../../controlplane/aggregate/metrics.js';
import type { DataPlaneSession } from '../../../controlplane/sync/sync-server.js';
import { parseConfig } from '../../../controlplane/config/load-config.js';
import { buildSnapshot } from '../../../controlplane/snapshot/build-snapshot.js';
import type { StatsReport__Output } from '../../../proto/gen/golb/v1/StatsReport.js';

const BOUNDS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

function snapshot() {
  const r = parseConfig('method weighted_round_robin\nbackend http://127.0.0.1:8001 weight=3\nbackend http://127.0.0.1:8002 weight=1\nroute /api/* backend_pool=default\n', 'lb.conf');
  assert.ok(r.ok);
  return buildSnapshot(r.config, { cookieSecret: 'x' });
}

function report(started: string, perBackend: Record<string, { requests: number; errors?: number; inFlight?: number; healthy?: boolean; buckets?: number[] }>, total: number): StatsReport__Output {
  return {
    at_unix_ms: String(Date.now()),
    started_unix_ms: started,
    total_requests: String(total),
    unrouted: '0',
    no_backend: '1',
    active_connections: '0',
    latency_bounds_ms: BOUNDS,
    ready: true,
    routes: [{ order: 0, display: '/api/*', pool: 'default', hits: String(total) }],
    backends: Object.entries(perBackend).map(([id, b]) => ({
      backend_id: id,
      pool: 'default',
      url: '',
      requests: String(b.requests),
      errors: String(b.errors ?? 0),
      errors_by_class: (b.errors ? { '5xx': String(b.errors) } : {}) as Record<string, string>,
      in_flight: String(b.inFlight ?? 0),
      open_websockets: '0',
      websockets_total: '0',
      bytes_in: '0',
      bytes_out: '0',
      latency_sum_ms: (b.buckets ?? []).reduce((n, c) => n + c, 0) * 3,
      latency_buckets: (b.buckets ?? new Array(BOUNDS.length + 1).fill(0)).map(String),
      healthy: b.healthy ?? true,
      responses_by_class: {},
    })),
  };
}

function session(id: string, connected: boolean, stats: StatsReport__Output): DataPlaneSession {
  return {
    id,
    hello: { id, hostname: 'h', software_version: '0', labels: {}, traffic_address: '', current_version: '', started_unix_ms: stats.started_unix_ms, cached_since_unix_ms: '0' },
    address: '127.0.0.1:1',
    connected,
    connectedSince: 0,
    disconnectedAt: 0,
    lastSentVersion: '',
    lastSentNonce: '',
    ackedVersion: '',
    cachedSince: 0,
    ackState: 'ACKED',
    nackVersion: '',
    nackErrors: [],
    lastReportAt: Date.now(),
    health: new Map(),
    stats,
  };
}

describe('fleet aggregation', () => {
  const snap = snapshot();
  const [a, b] = snap.pools[0]!.backends.map((x) => x.id) as [string, string];
  const buckets = new Array(BOUNDS.length + 1).fill(0);
  buckets[2] = 10; // ten requests between 2 and 5 ms

  it('sums cumulative counters over data planes and their earlier incarnations, gauges only from connected ones', () => {
    const dp1 = report('100', { [a]: { requests: 30, errors: 3, inFlight: 2, buckets }, [b]: { requests: 10, healthy: false } }, 41);
    const dp1Earlier = report('50', { [a]: { requests: 5, inFlight: 9 } }, 5);
    const dp2 = report('200', { [a]: { requests: 15 }, [b]: { requests: 5 } }, 20);
    const agg = aggregate({ snapshot: snap, sessions: [session('dp1', true, dp1), session('dp2', false, dp2)], reports: [dp1, dp1Earlier, dp2], startedAt: Date.now() - 5000 });
    assert.equal(agg.totalRequests, 66);
    assert.equal(agg.noBackend, 3);
    const [ra, rb] = agg.pools[0]!.backends as [(typeof agg.pools)[0]['backends'][0], (typeof agg.pools)[0]['backends'][0]];
    assert.equal(ra.requests, 50);
    assert.equal(rb.requests, 15);
    assert.equal(ra.inFlight, 2, 'in-flight only from connected data planes, latest report');
    assert.equal(ra.errors, 3);
    assert.equal(ra.sharePercent, (100 * 50) / 65);
    assert.equal(rb.healthyOn, 0);
    assert.equal(rb.alive, false, 'the one connected data plane sees it down');
    assert.equal(rb.status, 'down');
    assert.equal(ra.status, 'up');
    assert.equal(ra.p50LatencyMs, 3.5);
    assert.equal(agg.routes[0]?.hits, 66);

    const api = toApiStats(agg);
    assert.equal(api.method, 'weighted_round_robin');
    assert.equal(api.persistenceType, 'none');
    assert.deepEqual(Object.keys(api.backends[0]!).slice(0, 7), ['url', 'alive', 'weight', 'requestCount', 'errorCount', 'loadPercentage', 'responseTimeAvg']);
    assert.equal(api.backends[0]!.url, 'http://127.0.0.1:8001');
    assert.equal(api.backends[0]!.loadPercentage, 76.92);
    assert.equal(api.backends[0]!.responseTimeAvg, 3);
    assert.deepEqual(api.backends.map((b) => b.status), [ra.status, rb.status], '/api/stats shows the same word as golbctl');
  });

  it('renders Prometheus text with per-backend and per-data-plane labels', () => {
    const dp1 = report('100', { [a]: { requests: 30, errors: 3, buckets } }, 30);
    const text = renderMetrics(aggregate({ snapshot: snap, sessions: [session('dp1', true, dp1)], reports: [dp1], startedAt: Date.now() }));
    const lines = text.trim().split('\n');
    for (const line of lines) assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{(\w+="(?:[^"\\]|\\.)*",?)*\})? [-+\d.eE]+|\w+(\{.*\})? (NaN|[+-]Inf))$/, line);
    assert.ok(lines.includes(`golb_backend_requests_total{pool="default",backend="${a}",url="http://127.0.0.1:8001"} 30`));
    assert.ok(lines.includes(`golb_backend_errors_total{pool="default",backend="${a}",url="http://127.0.0.1:8001",class="5xx"} 3`));
    assert.ok(lines.includes(`golb_backend_response_seconds_bucket{pool="default",backend="${a}",url="http://127.0.0.1:8001",le="0.005"} 10`));
    assert.ok(lines.includes(`golb_backend_response_seconds_count{pool="default",backend="${a}",url="http://127.0.0.1:8001"} 10`));
    assert.ok(lines.includes('golb_dataplane_connected{dataplane="dp1"} 1'));
    assert.ok(lines.includes('golb_dataplane_requests_total{dataplane="dp1"} 30'));
  });
});

describe('quantile', () => {
  it('interpolates within the bucket holding the rank', () => {
    assert.equal(quantile([0, 10, 0], [1, 2], 0.5), 1.5);
    assert.equal(quantile([10, 0, 0], [1, 2], 0.99), 0.99);
    assert.equal(quantile([0, 0, 0], [1, 2], 0.5), 0);
  });
});

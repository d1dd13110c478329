// Prometheus text exposition (format 0.0.4) of the fleet aggregate.
import type { FleetAggregate } from './fleet-stats.js';
import { ackViewOf, isNacked, isOnVersion } from '../sync/on-version.js';

type Labels = Record<string, string>;

class Exposition {
  readonly #lines: string[] = [];

  metric(name: string, type: 'counter' | 'gauge' | 'histogram', help: string, samples: Array<[Labels, number, string?]>): void {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value, suffix] of samples) this.#lines.push(`${name}${suffix ?? ''}${formatLabels(labels)} ${formatValue(value)}`);
  }

  toString(): string {
    return this.#lines.join('\n') + '\n';
  }
}

export function renderMetrics(a: FleetAggregate): string {
  const out = new Exposition();
  const backends = a.pools.flatMap((p) => p.backends);
  const labels = (b: (typeof backends)[number]): Labels => ({ pool: b.pool, backend: b.id, url: b.url });
  out.metric('golb_requests_total', 'counter', 'Requests received by all data planes.', [[{}, a.totalRequests]]);
  out.metric('golb_unrouted_requests_total', 'counter', 'Requests no route or default pool matched (404).', [[{}, a.unrouted]]);
  out.metric('golb_no_backend_total', 'counter', 'Requests answered 503 because no backend was available.', [[{}, a.noBackend]]);
  out.metric('golb_uptime_seconds', 'gauge', 'Control plane uptime.', [[{}, a.uptimeMs / 1000]]);
  out.metric('golb_config_info', 'gauge', 'The config version the control plane serves.', [[{ version: a.version }, 1]]);
  out.metric('golb_dataplanes', 'gauge', 'Data planes by connection and ACK state.', [
    [{ state: 'connected' }, a.dataplanes.filter((d) => d.connected).length],
    [{ state: 'acked' }, a.dataplanes.filter((d) => d.connected && isOnVersion(ackViewOf(d), a.version)).length],
    [{ state: 'nacked' }, a.dataplanes.filter((d) => d.connected && isNacked(ackViewOf(d))).length],
  ]);
  out.metric('golb_backend_requests_total', 'counter', 'Requests sent to a backend.', backends.map((b) => [labels(b), b.requests]));
  out.metric(
    'golb_backend_errors_total',
    'counter',
    'Failed requests to a backend by class (5xx, connect, timeout, reset, protocol).',
    backends.flatMap((b) => Object.entries(b.errorsByClass).map(([cls, n]): [Labels, number] => [{ ...labels(b), class: cls }, n])),
  );
  out.metric('golb_backend_up', 'gauge', '1 when at least one data plane sees the backend healthy.', backends.map((b) => [labels(b), b.alive ? 1 : 0]));
  out.metric('golb_backend_healthy_dataplanes', 'gauge', 'Data planes that see the backend healthy.', backends.map((b) => [labels(b), b.healthyOn]));
  out.metric(
    'golb_backend_admin_state',
    'gauge',
    'Admin state of the backend (1 for the current state).',
    backends.flatMap((b) => (['ready', 'draining', 'maintenance'] as const).map((s): [Labels, number] => [{ ...labels(b), state: s }, b.adminState === s ? 1 : 0])),
  );
  out.metric('golb_backend_in_flight', 'gauge', 'Requests in flight to the backend.', backends.map((b) => [labels(b), b.inFlight]));
  out.metric('golb_backend_websockets', 'gauge', 'Open WebSocket tunnels to the backend.', backends.map((b) => [labels(b), b.openWebSockets]));
  out.metric('golb_backend_weight', 'gauge', 'Configured weight.', backends.map((b) => [labels(b), b.weight]));
  out.metric('golb_backend_bytes_total', 'counter', 'Body bytes to (direction="up") and from (direction="down") the backend.', backends.flatMap((b): Array<[Labels, number]> => [
    [{ ...labels(b), direction: 'up' }, b.bytesIn],
    [{ ...labels(b), direction: 'down' }, b.bytesOut],
  ]));
  const hist: Array<[Labels, number, string]> = [];
  for (const b of backends) {
    let cumulative = 0;
    a.latencyBoundsMs.forEach((bound, i) => {
      cumulative += b.latencyBuckets[i] ?? 0;
      hist.push([{ ...labels(b), le: String(bound / 1000) }, cumulative, '_bucket']);
    });
    const count = b.latencyBuckets.reduce((x, y) => x + y, 0);
    hist.push([{ ...labels(b), le: '+Inf' }, count, '_bucket'], [labels(b), b.latencySumMs / 1000, '_sum'], [labels(b), count, '_count']);
  }
  out.metric('golb_backend_response_seconds', 'histogram', 'Time from forwarding a request to the end of the backend response.', hist);
  const dp = (d: (typeof a.dataplanes)[number]): Labels => ({ dataplane: d.id ?? '' });
  out.metric('golb_dataplane_connected', 'gauge', '1 while the data plane holds its sync stream.', a.dataplanes.map((d) => [dp(d), d.connected ? 1 : 0]));
  out.metric(
    'golb_dataplane_config_current',
    'gauge',
    '1 when the data plane has ACKed the version the control plane serves.',
    a.dataplanes.map((d) => [dp(d), isOnVersion(ackViewOf(d), a.version) ? 1 : 0]),
  );
  out.metric('golb_dataplane_nacked', 'gauge', '1 when the data plane rejected the last snapshot it was sent.', a.dataplanes.map((d) => [dp(d), isNacked(ackViewOf(d)) ? 1 : 0]));
  out.metric('golb_dataplane_requests_total', 'counter', 'Requests received by the data plane since it started.', a.dataplanes.map((d) => [dp(d), Number(d.total_requests)]));
  out.metric(
    'golb_dataplane_last_report_age_seconds',
    'gauge',
    'Seconds since the data plane last reported.',
    a.dataplanes.map((d) => [dp(d), Math.max(0, (Date.now() - Number(d.last_report_unix_ms)) / 1000)]),
  );
  out.metric('golb_route_hits_total', 'counter', 'Requests matched per route.', a.routes.map((r) => [{ route: r.display, pool: r.pool }, r.hits]));
  return out.toString();
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return String(n);
}

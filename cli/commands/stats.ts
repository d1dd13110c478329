import { Flags } from '@oclif/core';
import { BaseCommand } from '../golbctl/base-command.js';
import { num, toJson, type BackendSummary, type FleetStats } from '../golbctl/client.js';
import { colorEnabled, formatDuration, formatMs, formatPercent, paint, plural, table, type Style } from '../golbctl/format.js';
import { backendLabel, renderDiscovery } from '../golbctl/discovery-format.js';

const STATUS_STYLE: Record<string, Style> = { up: 'green', degraded: 'yellow', down: 'red', draining: 'yellow', maintenance: 'gray' };

/** The control plane's word for a backend (up, degraded, down, draining, maintenance), its colour, and a drain's time left. */
export function backendState(b: BackendSummary, now = Date.now()): { text: string; style: Style } {
  const status = b.status || 'up';
  if (status === 'draining') {
    const left = num(b.drain_deadline_unix_ms) - now;
    return { text: left > 0 ? `draining (${formatDuration(left)} left)` : 'draining', style: 'yellow' };
  }
  return { text: status, style: STATUS_STYLE[status] ?? 'gray' };
}

export function renderStats(s: FleetStats, color = colorEnabled()): string {
  const out: string[] = [];
  const connected = s.dataplanes.filter((d) => d.connected).length;
  out.push(
    [
      `version ${s.version || '-'}`,
      `up ${formatDuration(num(s.uptime_ms))}`,
      `method ${s.method || '-'}`,
      `persistence ${s.persistence_type || 'none'}`,
      `${connected}/${plural(s.dataplanes.length, 'data plane')} connected`,
    ].join('  ·  '),
  );
  out.push('');
  const rows: string[][] = [];
  const totals = { requests: 0, errors: 0, inFlight: 0, ws: 0 };
  for (const pool of s.pools) {
    if (pool.backends.length === 0) {
      rows.push([pool.name, '(no backends)', '', '', '', '', '', '', '', '', '', '']);
      continue;
    }
    pool.backends.forEach((b, i) => {
      const state = backendState(b);
      const requests = num(b.requests);
      totals.requests += requests;
      totals.errors += num(b.errors);
      totals.inFlight += num(b.in_flight);
      totals.ws += num(b.open_websockets);
      rows.push([
        i === 0 ? pool.name : '',
        backendLabel(b.url, b.discovered_from),
        paint(state.style, state.text, color),
        `${b.healthy_on}/${b.dataplanes}`,
        String(b.weight),
        String(requests),
        num(b.errors) > 0 ? paint('red', b.errors, color) : b.errors,
        b.in_flight,
        b.open_websockets,
        formatPercent(b.share_percent),
        formatMs(b.avg_latency_ms, requests > 0),
        formatMs(b.p99_latency_ms, requests > 0),
      ]);
    });
  }
  rows.push(['TOTAL', '', '', '', '', String(totals.requests), String(totals.errors), String(totals.inFlight), String(totals.ws), '', '', '']);
  out.push(
    table(
      [
        { header: 'POOL' },
        { header: 'BACKEND' },
        { header: 'STATE' },
        { header: 'HEALTHY' },
        { header: 'WEIGHT', align: 'right' },
        { header: 'REQUESTS', align: 'right' },
        { header: 'ERRORS', align: 'right' },
        { header: 'IN-FLIGHT', align: 'right' },
        { header: 'WS', align: 'right' },
        { header: 'SHARE', align: 'right' },
        { header: 'AVG', align: 'right' },
        { header: 'P99', align: 'right' },
      ],
      rows,
      { color },
    ),
  );
  out.push('');
  out.push(`${num(s.total_requests)} requests in total  ·  ${num(s.unrouted)} matched no route  ·  ${num(s.no_backend)} found no backend`);
  // The catch-all "default" route alone says nothing the totals do not; show routes once there are some.
  if (s.routes.some((r) => r.display !== 'default')) {
    out.push('');
    out.push(
      table(
        [{ header: '#', align: 'right' }, { header: 'ROUTE' }, { header: 'POOL' }, { header: 'HITS', align: 'right' }],
        [...s.routes].sort((a, b) => a.order - b.order).map((r) => [String(r.order), r.display, r.pool, r.hits]),
        { color },
      ),
    );
  }
  const discovery = renderDiscovery(s.discovery ?? [], Date.now(), color);
  if (discovery) out.push('', discovery);
  return out.join('\n');
}

export default class Stats extends BaseCommand<typeof Stats> {
  static override summary = 'Show traffic and health per pool and backend, summed over every data plane.';
  static override description = `One row per backend: its state (up, degraded, down, draining, maintenance), on how many data planes it is healthy, requests, errors, in-flight requests, open WebSockets, its share of the pool's requests and average / p99 latency, then totals.

With --watch the table refreshes in place every --interval seconds until Ctrl-C.`;
  static override examples = [
    { description: 'The whole fleet:', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'One pool, refreshed every second:', command: '<%= config.bin %> <%= command.id %> --pool api --watch --interval 1' },
    { description: 'Machine-readable (64-bit counters are JSON numbers):', command: '<%= config.bin %> <%= command.id %> --json' },
  ];
  static override flags = {
    pool: Flags.string({ char: 'p', summary: 'Only this pool.' }),
    dataplane: Flags.string({ char: 'd', summary: 'Only this data plane in the data plane list.' }),
    watch: Flags.boolean({ char: 'w', summary: 'Refresh in place until Ctrl-C.', default: false }),
    interval: Flags.string({ summary: 'Seconds between refreshes with --watch.', default: '2' }),
  };

  async #fetch(): Promise<FleetStats> {
    const { pool, dataplane } = this.flags;
    const client = this.client();
    const s = await client.stats({ pool: pool ?? '', dataplane: dataplane ?? '' });
    if (pool && s.pools.length === 0) {
      const all = await client.stats({});
      this.fail(`no pool ${pool} (known: ${all.pools.map((p) => p.name).join(', ') || 'none'})`);
    }
    if (dataplane && s.dataplanes.length === 0) {
      const all = await client.dataplanes();
      this.fail(`no data plane ${dataplane} (known: ${all.dataplanes.map((d) => d.id).join(', ') || 'none'})`);
    }
    return s;
  }

  async run(): Promise<unknown> {
    if (!this.flags.watch) {
      const s = await this.#fetch();
      this.log(renderStats(s));
      return toJson(s);
    }

    const seconds = Number(this.flags.interval);
    if (!Number.isFinite(seconds) || seconds <= 0) this.fail(`--interval must be a positive number of seconds, not ${this.flags.interval}`, 2);
    let stop = false;
    let wake: () => void = () => {};
    const onSignal = () => {
      stop = true;
      wake();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const tty = Boolean(process.stdout.isTTY);
    try {
      while (!stop) {
        const s = await this.#fetch();
        if (this.jsonEnabled()) {
          process.stdout.write(`${JSON.stringify(toJson(s))}\n`);
        } else {
          const body = `${renderStats(s)}\n\nevery ${seconds}s · ${new Date().toLocaleTimeString()} · Ctrl-C to stop`;
          // Home + clear-to-end redraws in place without flicker; pipes just get successive frames.
          process.stdout.write(tty ? `\x1b[H\x1b[2J${body}\n` : `${body}\n\n`);
        }
        if (stop) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, seconds * 1000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return undefined;
  }
}

// The dashboard's first paint, rendered on the server from one `/api/stats` document: plain
// semantic tables (the page works with JavaScript off), the document itself embedded as JSON for
// the browser to start from, and the cells from cells.ts — the same functions the browser uses.
import type { ApiPool, ApiStats } from '../../aggregate/api-stats-shape.js';
import { backendCells, dataplaneCells, fleetCells, routeCells, type Cells } from './cells.js';

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A `<td>` per column, with its `data-col` (for the live updates) and `data-label` (narrow screens). */
function tds(cols: ReadonlyArray<readonly [string, string, string?]>, cells: Cells): string {
  return cols
    .map(([col, label]) => {
      const [text, cls] = cells[col] ?? ['', ''];
      return `<td data-col="${col}" data-label="${esc(label)}"${cls ? ` class="${esc(cls)}"` : ''}>${esc(text)}</td>`;
    })
    .join('');
}

function thead(first: string, cols: ReadonlyArray<readonly [string, string, string?]>, extra = ''): string {
  const ths = cols
    .map(([col, label, title]) => {
      const inner = title ? `<abbr title="${esc(title)}">${esc(label)}</abbr>` : esc(label);
      return `<th scope="col"${NUMERIC.has(col) ? ' class="num"' : ''}>${inner}</th>`;
    })
    .join('');
  return `<thead><tr><th scope="col">${esc(first)}</th>${ths}${extra}</tr></thead>`;
}

const NUMERIC = new Set(['weight', 'share', 'implied', 'rps', 'requests', 'errrate', 'errors', 'inflight', 'ws', 'p50', 'p99', 'hits']);

const BACKEND_COLS = [
  ['state', 'State'],
  ['healthy', 'Healthy on', 'Data planes whose health checks pass / data planes reporting'],
  ['weight', 'Weight'],
  ['share', 'Share', 'Share of the pool’s requests (last 10 s when live, all time otherwise)'],
  ['implied', 'By weight', 'Share its weight implies among the pool’s ready backends'],
  ['rps', 'Req/s', 'Requests per second over the last 10 s'],
  ['requests', 'Requests'],
  ['errrate', 'Error rate', 'Failed requests / requests (last 10 s when live, all time otherwise)'],
  ['errors', 'Errors'],
  ['inflight', 'In flight'],
  ['ws', 'WebSockets', 'Open WebSocket tunnels'],
  ['p50', 'p50', 'Median response time'],
  ['p99', 'p99', '99th percentile response time'],
] as const;

const ROUTE_COLS = [
  ['pool', 'Pool'],
  ['hits', 'Hits'],
  ['rps', 'Hits/s', 'Hits per second over the last 10 s'],
] as const;

const DATAPLANE_COLS = [
  ['conn', 'Connection'],
  ['version', 'Config version'],
  ['ack', 'ACK state'],
  ['report', 'Last report'],
  ['software', 'Software'],
  ['requests', 'Requests'],
] as const;

/** [label, template (`{col}` = a live value), wide]. */
const FLEET_ITEMS: ReadonlyArray<readonly [string, string, boolean?]> = [
  ['Config version', '{version}', true],
  ['Data planes', '{connected} connected · {acked} ACKed · {nacked} NACKed', true],
  ['Uptime', '{uptime}'],
  ['Requests/s', '{rps}'],
  ['Requests', '{requests}'],
  ['Backend errors', '{errors}'],
  ['Unrouted (404)', '{unrouted}'],
  ['No backend (503)', '{nobackend}'],
];

function renderPool(pool: ApiPool, index: number): string {
  const id = `pool-${index}`;
  const rows = pool.backends
    .map((b) => {
      const chart =
        `<svg class="chart" viewBox="0 0 120 30" preserveAspectRatio="none" role="img" aria-label="Trend: no history yet">` +
        `<line class="base" x1="0" y1="29.5" x2="120" y2="29.5"/><polyline class="rps" points=""/><polyline class="err" points=""/></svg>`;
      return (
        `<tr data-key="b:${esc(b.id)}" data-url="${esc(b.url)}" data-state="${esc(b.status)}">` +
        `<th scope="row" title="${esc(b.id)}">${esc(b.url)}</th>` +
        tds(BACKEND_COLS, backendCells(b, pool, null)) +
        `<td data-label="Trend">${chart}</td></tr>`
      );
    })
    .join('');
  const empty = pool.backends.length === 0 ? `<tr><td colspan="${BACKEND_COLS.length + 2}">No backends.</td></tr>` : '';
  return (
    `<section aria-labelledby="${id}-h"><table class="grid" id="${id}">` +
    `<caption id="${id}-h">Pool ${esc(pool.name)} <span>· ${esc(pool.method)} · persistence ${esc(pool.persistenceType)} · ` +
    `${pool.backends.length} backend${pool.backends.length === 1 ? '' : 's'}</span></caption>` +
    thead('Backend', BACKEND_COLS, `<th scope="col"><abbr title="Requests/s (blue) and errors/s (red) over the last 5 minutes">Trend</abbr></th>`) +
    `<tbody>${rows}${empty}</tbody></table></section>`
  );
}

/** The whole page for one `/api/stats` document. */
export function renderDashboard(s: ApiStats, now = new Date()): string {
  const fleet = fleetCells(s, null);
  const fleetItems = FLEET_ITEMS.map(([label, template, wide]) => {
    const parts = template.split(/(\{\w+\})/).map((part) => {
      const col = /^\{(\w+)\}$/.exec(part)?.[1];
      if (!col) return esc(part);
      const [text, cls] = fleet[col] ?? ['', ''];
      return `<span data-col="${col}"${cls ? ` class="${esc(cls)}"` : ''}>${esc(text)}</span>`;
    });
    return `<div${wide ? ' class="wide"' : ''}><dt>${esc(label)}</dt><dd>${parts.join('')}</dd></div>`;
  }).join('');
  const routes =
    s.routes.length === 0
      ? `<p>No routes: every request goes to the default pool.</p>`
      : `<table class="grid" id="routes"><caption class="sr-only">Routes, in match order</caption>` +
        thead('Route', ROUTE_COLS) +
        `<tbody>${s.routes
          .map((r) => `<tr data-key="r:${r.order}"><th scope="row">${esc(r.display)}</th>${tds(ROUTE_COLS, routeCells(r, null))}</tr>`)
          .join('')}</tbody></table>`;
  const dataplanes =
    s.dataplanes.length === 0
      ? `<p>No data plane has connected yet.</p>`
      : `<table class="grid" id="dataplanes"><caption class="sr-only">Data planes</caption>` +
        thead('Data plane', DATAPLANE_COLS) +
        `<tbody>${s.dataplanes
          .map(
            (d) =>
              `<tr data-key="d:${esc(d.id)}"><th scope="row">${esc(d.hostname ? `${d.hostname} (${d.address})` : d.address || d.id)}</th>` +
              `${tds(DATAPLANE_COLS, dataplaneCells(d, s.version))}</tr>`,
          )
          .join('')}</tbody></table>`;
  const initial = JSON.stringify(s).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<noscript><meta http-equiv="refresh" content="5"></noscript>
<title>golb dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="dashboard/dashboard.css">
</head>
<body>
<header>
<h1>golb dashboard</h1>
<p><span id="status" role="status">Snapshot at ${esc(now.toISOString().replace('T', ' ').slice(0, 19))} UTC.</span>
<span id="updated"></span><span class="nojs"> JavaScript is off: this page reloads every 5 seconds.</span></p>
<dl id="fleet" data-key="fleet" aria-label="Fleet">${fleetItems}</dl>
</header>
<main id="live">
<h2>Pools and backends</h2>
<p class="legend">Trend: <span class="rps">requests/s</span> and <span class="err">errors/s</span> over the last 5 minutes (while the page is open; scaled to the busiest point).</p>
${s.pools.map(renderPool).join('\n') || '<p>No pools.</p>'}
<h2>Routes <span class="legend">in match order</span></h2>
${routes}
<h2>Data planes</h2>
${dataplanes}
</main>
<script type="application/json" id="golb-initial">${initial}</script>
<script type="module" src="dashboard/client.js"></script>
</body>
</html>
`;
}


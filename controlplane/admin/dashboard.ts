// The live dashboard on the control plane's admin port (`GET /`, `GET /dashboard`).
//
// One self-contained HTML page: inline CSS and inline JS, nothing fetched from anywhere but the
// admin port itself. The first paint is rendered here on the server (plain semantic tables, so it
// works with JavaScript off); the script then polls `api/stats` every second, updates the cells in
// place and draws a small rolling chart of requests and errors per second for every backend,
// computed from counter deltas in the browser.
//
// The cell texts and classes come from one set of plain-JS functions (SHARED_JS) that run both here
// (through `new Function`) and in the browser, so the static and the live page cannot disagree.
// Content-Security-Policy: default-src 'self', with the inline script and style allowed by hash.
import { createHash } from 'node:crypto';
import type http from 'node:http';
import type { FleetAggregate } from '../aggregate/fleet-stats.js';
import { toApiStats } from '../aggregate/fleet-stats.js';

/** The part of `/api/stats` the dashboard reads. */
export interface DashboardBackend {
  id: string;
  url: string;
  pool: string;
  state: string;
  weight: number;
  healthyOn: number;
  dataplanes: number;
  requestCount: number;
  errorCount: number;
  inFlight: number;
  openWebSockets: number;
  p50: number;
  p99: number;
  sharePercentInPool: number;
}

export interface DashboardStats {
  version: string;
  uptime: number;
  totalRequests: number;
  unrouted: number;
  noBackend: number;
  pools: Array<{ name: string; method: string; persistenceType: string; backends: DashboardBackend[] }>;
  routes: Array<{ order: number; display: string; pool: string; hits: number }>;
  dataplanes: Array<{
    id: string;
    address: string;
    connected: boolean;
    version: string;
    ackState: string;
    nackError?: string;
    totalRequests: number;
    lastReportAgeMs: number;
    hostname?: string;
    softwareVersion?: string;
  }>;
}

/** [text, class] for one cell. */
type Cell = [string, string];
type Cells = Record<string, Cell>;
interface Live {
  rps: number | null;
  errRate: number | null;
  share: number | null;
}

interface Shared {
  fleetCells(s: DashboardStats, live: Live | null): Cells;
  backendCells(b: DashboardBackend, pool: DashboardStats['pools'][number], live: Live | null): Cells;
  routeCells(r: DashboardStats['routes'][number], live: Live | null): Cells;
  dataplaneCells(d: DashboardStats['dataplanes'][number], version: string): Cells;
}

// Pure formatting and derivation, shared by the server render and the browser. Plain ES2017, no DOM.
const SHARED_JS = String.raw`
function fmtInt(n) {
  n = Math.round(Number(n) || 0);
  var s = String(Math.abs(n)), out = '';
  while (s.length > 3) { out = ',' + s.slice(-3) + out; s = s.slice(0, -3); }
  return (n < 0 ? '-' : '') + s + out;
}
function fmtPct(p) {
  if (p == null || !isFinite(p)) return '—';
  if (p > 0 && p < 0.1) return '<0.1%';
  return p.toFixed(1) + '%';
}
function fmtRate(r) {
  if (r == null || !isFinite(r)) return '—';
  if (r < 0) r = 0;
  return r < 10 ? r.toFixed(1) : fmtInt(r);
}
function fmtMs(v, has) {
  if (!has) return '—';
  if (v < 1) return v.toFixed(2) + ' ms';
  if (v < 10) return v.toFixed(1) + ' ms';
  return fmtInt(v) + ' ms';
}
function fmtDuration(ms) {
  var s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return s + 's';
  var m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
  if (m < 60) return m + 'm ' + (s % 60) + 's';
  if (h < 24) return h + 'h ' + (m % 60) + 'm';
  return d + 'd ' + (h % 24) + 'h';
}
function fmtAge(ms) {
  if (ms == null || !isFinite(ms) || ms > 1e11) return 'never';
  if (ms < 0) ms = 0;
  return (ms < 10000 ? (ms / 1000).toFixed(1) + 's' : fmtDuration(ms)) + ' ago';
}
function backendState(b) {
  if (b.state === 'maintenance') return 'maintenance';
  if (b.dataplanes > 0 && b.healthyOn === 0) return 'unhealthy';
  if (b.state === 'draining') return 'draining';
  return 'ready';
}
function impliedShare(pool, b) {
  var total = 0;
  for (var i = 0; i < pool.backends.length; i++) {
    var x = pool.backends[i];
    if (backendState(x) === 'ready') total += x.weight;
  }
  return backendState(b) === 'ready' && total > 0 ? (100 * b.weight) / total : 0;
}
function dataplaneCounts(s) {
  var c = { connected: 0, acked: 0, nacked: 0, total: s.dataplanes.length };
  for (var i = 0; i < s.dataplanes.length; i++) {
    var d = s.dataplanes[i];
    if (!d.connected) continue;
    c.connected++;
    if (d.ackState === 'ACKED' && d.version === s.version) c.acked++;
    if (d.ackState === 'NACKED') c.nacked++;
  }
  return c;
}
function fleetCells(s, live) {
  var c = dataplaneCounts(s), errors = 0;
  for (var i = 0; i < s.pools.length; i++) for (var j = 0; j < s.pools[i].backends.length; j++) errors += s.pools[i].backends[j].errorCount;
  return {
    version: [s.version || '—', 'mono'],
    connected: [c.connected + ' of ' + c.total, c.connected === 0 ? 'bad' : ''],
    acked: [String(c.acked), c.acked < c.connected ? 'warn' : 'ok'],
    nacked: [String(c.nacked), c.nacked > 0 ? 'bad' : ''],
    uptime: [fmtDuration(s.uptime * 1000), ''],
    rps: [live ? fmtRate(live.rps) : '—', ''],
    requests: [fmtInt(s.totalRequests), ''],
    errors: [fmtInt(errors), errors > 0 ? 'warn' : ''],
    unrouted: [fmtInt(s.unrouted), s.unrouted > 0 ? 'warn' : ''],
    nobackend: [fmtInt(s.noBackend), s.noBackend > 0 ? 'bad' : '']
  };
}
function backendCells(b, pool, live) {
  var st = backendState(b);
  var healthy = b.dataplanes === 0 ? ['no reports', 'muted']
    : [b.healthyOn + '/' + b.dataplanes, b.healthyOn === 0 ? 'bad' : b.healthyOn < b.dataplanes ? 'warn' : 'ok'];
  var errRate = live ? live.errRate : b.requestCount > 0 ? (100 * b.errorCount) / b.requestCount : null;
  var share = live && live.share != null ? live.share : b.sharePercentInPool;
  var has = b.requestCount > 0;
  return {
    state: [st, 'st st-' + st],
    healthy: healthy,
    weight: [String(b.weight), 'num'],
    share: [fmtPct(share), 'num'],
    implied: [fmtPct(impliedShare(pool, b)), 'num'],
    rps: [live ? fmtRate(live.rps) : '—', 'num'],
    requests: [fmtInt(b.requestCount), 'num'],
    errrate: [fmtPct(errRate), 'num' + (errRate == null || errRate === 0 ? '' : errRate >= 5 ? ' bad' : ' warn')],
    errors: [fmtInt(b.errorCount), 'num' + (b.errorCount > 0 ? ' warn' : '')],
    inflight: [fmtInt(b.inFlight), 'num'],
    ws: [fmtInt(b.openWebSockets), 'num'],
    p50: [fmtMs(b.p50, has), 'num'],
    p99: [fmtMs(b.p99, has), 'num']
  };
}
function routeCells(r, live) {
  return {
    pool: [r.pool, ''],
    hits: [fmtInt(r.hits), 'num'],
    rps: [live ? fmtRate(live.rps) : '—', 'num']
  };
}
function dataplaneCells(d, version) {
  var ack = d.ackState || 'PENDING';
  return {
    conn: [d.connected ? 'connected' : 'disconnected', d.connected ? 'ok' : 'bad'],
    version: [d.version || '—', d.version === version ? '' : 'warn'],
    ack: [ack === 'NACKED' && d.nackError ? 'NACKED: ' + d.nackError : ack, ack === 'ACKED' ? 'ok' : ack === 'NACKED' ? 'bad' : 'warn'],
    report: [fmtAge(d.lastReportAgeMs), d.connected && d.lastReportAgeMs > 10000 ? 'warn' : ''],
    software: [d.softwareVersion || '—', ''],
    requests: [fmtInt(d.totalRequests), 'num']
  };
}
function signature(s) {
  return JSON.stringify([
    s.pools.map(function (p) { return [p.name, p.method, p.persistenceType, p.backends.map(function (b) { return [b.id, b.url]; })]; }),
    s.routes.map(function (r) { return [r.order, r.display, r.pool]; }),
    s.dataplanes.map(function (d) { return [d.id, d.address, d.hostname]; })
  ]);
}
`;

// The browser side: poll, keep a short history per counter, update cells, draw charts.
const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var POLL_MS = 1000, TIMEOUT_MS = 4000, WINDOW_MS = 10000, CHART_MS = 300000, MIN_SPAN_MS = 30000, BUCKET_MS = 5000;
  var CHART_W = 120, CHART_H = 30;
  var hist = new Map();
  var rows = new Map();
  var sig = '';
  var failing = null;
  var statusEl = document.getElementById('status');
  var updatedEl = document.getElementById('updated');
  document.documentElement.classList.add('js');

  function record(key, t, a, b, seen) {
    seen.add(key);
    var h = hist.get(key);
    if (!h) { h = []; hist.set(key, h); }
    var last = h[h.length - 1];
    if (last && (a < last[1] || b < last[2])) h.length = 0; // counters restarted
    h.push([t, a, b]);
    while (h.length > 2 && t - h[0][0] > CHART_MS + BUCKET_MS) h.shift();
  }
  function rate(key) {
    var h = hist.get(key);
    if (!h || h.length < 2) return null;
    var last = h[h.length - 1], base = h[h.length - 2];
    for (var i = h.length - 2; i >= 0; i--) { base = h[i]; if (last[0] - base[0] >= WINDOW_MS) break; }
    var dt = (last[0] - base[0]) / 1000;
    if (dt <= 0) return null;
    return { a: (last[1] - base[1]) / dt, b: (last[2] - base[2]) / dt, da: last[1] - base[1], db: last[2] - base[2] };
  }
  // Per-bucket rates: the last sample of every bucket-long slot, and the rate between consecutive ones.
  function series(key, bucket) {
    var h = hist.get(key) || [], reps = [], out = [];
    for (var i = 0; i < h.length; i++) {
      var slot = Math.floor(h[i][0] / bucket);
      if (i > 0 && Math.floor(reps[reps.length - 1][0] / bucket) === slot) reps[reps.length - 1] = h[i];
      else reps.push(h[i]);
    }
    for (var j = 1; j < reps.length; j++) {
      var dt = (reps[j][0] - reps[j - 1][0]) / 1000;
      if (dt > 0) out.push([reps[j][0], Math.max(0, (reps[j][1] - reps[j - 1][1]) / dt), Math.max(0, (reps[j][2] - reps[j - 1][2]) / dt)]);
    }
    return out;
  }
  function index() {
    rows.clear();
    var els = document.querySelectorAll('[data-key]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i], cells = {}, cs = el.querySelectorAll('[data-col]');
      for (var j = 0; j < cs.length; j++) cells[cs[j].getAttribute('data-col')] = cs[j];
      rows.set(el.getAttribute('data-key'), { el: el, cells: cells, chart: el.querySelector('svg.chart') });
    }
  }
  function apply(key, values) {
    var row = rows.get(key);
    if (!row) return null;
    for (var k in values) {
      var c = row.cells[k];
      if (!c) continue;
      if (c.textContent !== values[k][0]) c.textContent = values[k][0];
      if (c.className !== values[k][1]) c.className = values[k][1];
    }
    return row;
  }
  // The time axis covers the last 5 minutes, or (at least 30 s of) the time since the page opened.
  function draw(svg, key) {
    if (!svg) return;
    var h = hist.get(key) || [], now = Date.now();
    var span = Math.min(CHART_MS, Math.max(MIN_SPAN_MS, h.length ? now - h[0][0] : 0));
    var pts = series(key, Math.min(BUCKET_MS, Math.max(2000, span / 60))), max = 1;
    for (var i = 0; i < pts.length; i++) max = Math.max(max, pts[i][1], pts[i][2]);
    function line(idx) {
      var out = [];
      for (var i = 0; i < pts.length; i++) {
        var x = CHART_W - ((now - pts[i][0]) / span) * CHART_W;
        if (x < 0) continue;
        var y = CHART_H - 1 - (pts[i][idx] / max) * (CHART_H - 2);
        out.push(x.toFixed(1) + ',' + y.toFixed(1));
      }
      return out.join(' ');
    }
    svg.querySelector('.rps').setAttribute('points', line(1));
    svg.querySelector('.err').setAttribute('points', line(2));
    var last = pts[pts.length - 1], peak = 0, peakErr = 0;
    for (var j = 0; j < pts.length; j++) { peak = Math.max(peak, pts[j][1]); peakErr = Math.max(peakErr, pts[j][2]); }
    svg.setAttribute('aria-label', last
      ? 'Last ' + fmtDuration(span) + ': ' + fmtRate(last[1]) + ' requests/s now, peak ' + fmtRate(peak) + '; ' + fmtRate(last[2]) + ' errors/s now, peak ' + fmtRate(peakErr)
      : 'Trend: no history yet');
  }
  function render(s) {
    var t = Date.now(), seen = new Set(), errors = 0;
    s.pools.forEach(function (p) {
      p.backends.forEach(function (b) { errors += b.errorCount; record('b:' + b.id, t, b.requestCount, b.errorCount, seen); });
    });
    s.routes.forEach(function (r) { record('r:' + r.order, t, r.hits, 0, seen); });
    record('fleet', t, s.totalRequests, errors, seen);
    hist.forEach(function (_, k) { if (!seen.has(k)) hist.delete(k); });

    var fr = rate('fleet');
    apply('fleet', fleetCells(s, { rps: fr ? fr.a : null, errRate: null, share: null }));
    s.pools.forEach(function (p) {
      var rates = {}, poolDelta = 0;
      p.backends.forEach(function (b) { var r = rate('b:' + b.id); rates[b.id] = r; if (r) poolDelta += r.da; });
      p.backends.forEach(function (b) {
        var r = rates[b.id];
        var live = {
          rps: r ? r.a : null,
          errRate: r && r.da > 0 ? (100 * r.db) / r.da : null,
          share: r && poolDelta > 0 ? (100 * r.da) / poolDelta : null
        };
        var row = apply('b:' + b.id, backendCells(b, p, live));
        if (row) {
          row.el.setAttribute('data-state', backendState(b));
          draw(row.chart, 'b:' + b.id);
        }
      });
    });
    s.routes.forEach(function (r) { var x = rate('r:' + r.order); apply('r:' + r.order, routeCells(r, { rps: x ? x.a : null })); });
    s.dataplanes.forEach(function (d) { apply('d:' + d.id, dataplaneCells(d, s.version)); });
    updatedEl.textContent = 'Updated ' + new Date(t).toLocaleTimeString();
  }
  function setStatus(text, bad) {
    if (statusEl.textContent !== text) statusEl.textContent = text;
    document.body.classList.toggle('stale', !!bad);
  }
  function timed(url) {
    var ctl = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctl) ctl.abort(); }, TIMEOUT_MS);
    return fetch(url, { cache: 'no-store', signal: ctl ? ctl.signal : undefined, headers: { accept: url === 'api/stats' ? 'application/json' : 'text/html' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return url === 'api/stats' ? res.json() : res.text();
      })
      .finally(function () { clearTimeout(timer); });
  }
  // The set of pools, backends, routes or data planes changed: take the new tables from the server.
  function restructure() {
    return timed(location.pathname).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var fresh = doc.getElementById('live'), init = doc.getElementById('golb-initial');
      if (!fresh || !init) throw new Error('unexpected page');
      document.getElementById('live').replaceWith(document.importNode(fresh, true));
      sig = signature(JSON.parse(init.textContent));
      index();
    });
  }
  function poll() {
    timed('api/stats')
      .then(function (s) {
        var next = signature(s);
        return (next !== sig ? restructure() : Promise.resolve()).then(function () { render(s); });
      })
      .then(function () {
        failing = null;
        setStatus('Live: updating every second.', false);
      })
      .catch(function (err) {
        if (!failing) failing = new Date();
        setStatus('Cannot reach the control plane since ' + failing.toLocaleTimeString() + ' (' + (err && err.name === 'AbortError' ? 'timed out' : err && err.message || 'error') + '); retrying. Figures are stale.', true);
      })
      .finally(function () { setTimeout(poll, POLL_MS); });
  }

  var initial = JSON.parse(document.getElementById('golb-initial').textContent);
  sig = signature(initial);
  index();
  render(initial);
  setStatus('Live: updating every second.', false);
  setTimeout(poll, POLL_MS);
})();
`;

const SCRIPT = SHARED_JS + CLIENT_JS;

const STYLE = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #5b6470; --line: #d5dae0; --head: #f3f5f7;
  --ok: #176b2c; --ok-bg: #e3f4e7; --warn: #7a4d00; --warn-bg: #fff1cc; --bad: #a3141c; --bad-bg: #fde4e4;
  --maint: #2f4f8a; --maint-bg: #e4ebf8; --rps: #2464c4; --err: #c4242e; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #111418; --fg: #e6e9ee; --muted: #9aa3ad; --line: #2e353d; --head: #1a1f25;
    --ok: #7bd88f; --ok-bg: #16321e; --warn: #f2c46b; --warn-bg: #3a2e12; --bad: #ff8a8f; --bad-bg: #3d1618;
    --maint: #9bb6ef; --maint-bg: #1b2640; --rps: #6ea4ff; --err: #ff6b73; }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem; background: var(--bg); color: var(--fg);
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
header p { margin: .25rem 0; color: var(--muted); }
.stale main, .stale #fleet { opacity: .55; }
#status { font-weight: 600; color: var(--fg); }
.stale #status { color: var(--bad); }
#fleet { display: grid; grid-template-columns: repeat(auto-fill, minmax(8rem, 1fr)); gap: .5rem; margin: .75rem 0; }
#fleet div { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .6rem; background: var(--head); }
#fleet dt { font-size: .8rem; color: var(--muted); }
#fleet dd { margin: 0; font-size: 1.15rem; font-weight: 600; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
#fleet .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
#fleet .wide { grid-column: span 2; }
#fleet .wide dd { font-size: 1rem; }
@media (max-width: 420px) { #fleet { grid-template-columns: 1fr 1fr; } #fleet .wide { grid-column: 1 / -1; } }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
caption span { font-weight: 400; color: var(--muted); }
th, td { padding: .3rem .5rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: middle; }
thead th { background: var(--head); font-size: .8rem; color: var(--muted); white-space: nowrap; }
th[scope=row] { font-weight: 600; overflow-wrap: anywhere; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
thead th.num { text-align: right; }
.ok { color: var(--ok); }
.warn { color: var(--warn); }
.bad { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
td.st { font-weight: 700; text-transform: uppercase; font-size: .8rem; letter-spacing: .03em; white-space: nowrap; }
.st-ready { color: var(--ok); background: var(--ok-bg); }
.st-draining { color: var(--warn); background: var(--warn-bg); }
.st-maintenance { color: var(--maint); background: var(--maint-bg); }
.st-unhealthy { color: var(--bad); background: var(--bad-bg); }
svg.chart { display: block; width: 120px; height: 30px; }
svg.chart .rps { fill: none; stroke: var(--rps); stroke-width: 1.5; }
svg.chart .err { fill: none; stroke: var(--err); stroke-width: 1.5; }
svg.chart .base { stroke: var(--line); stroke-width: 1; }
.legend { color: var(--muted); font-size: .8rem; }
.legend .rps { color: var(--rps); font-weight: 700; }
.legend .err { color: var(--err); font-weight: 700; }
.js .nojs { display: none; }
@media (max-width: 760px) {
  body { padding: .5rem; }
  table.grid, table.grid tbody, table.grid tr, table.grid td, table.grid th[scope=row] { display: block; width: 100%; }
  table.grid caption { display: block; }
  table.grid thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  table.grid tr { border: 1px solid var(--line); border-radius: 6px; margin: .5rem 0; padding: .25rem .5rem; }
  table.grid th[scope=row] { border-bottom: 1px solid var(--line); padding: .3rem 0; }
  table.grid td { display: flex; justify-content: space-between; align-items: center; gap: 1rem; border: 0; padding: .15rem 0; text-align: right; }
  table.grid td::before { content: attr(data-label); font-weight: 600; font-size: .8rem; color: var(--muted); text-align: left;
    text-transform: none; letter-spacing: normal; }
  table.grid td.st { padding: .15rem .3rem; }
}
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The page's Content-Security-Policy: only the admin origin, inline code by hash. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const shared = new Function(`${SHARED_JS}\nreturn { fleetCells, backendCells, routeCells, dataplaneCells };`)() as Shared;

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

function renderPool(pool: DashboardStats['pools'][number], index: number): string {
  const id = `pool-${index}`;
  const rows = pool.backends
    .map((b) => {
      const chart =
        `<svg class="chart" viewBox="0 0 120 30" preserveAspectRatio="none" role="img" aria-label="Trend: no history yet">` +
        `<line class="base" x1="0" y1="29.5" x2="120" y2="29.5"/><polyline class="rps" points=""/><polyline class="err" points=""/></svg>`;
      return (
        `<tr data-key="b:${esc(b.id)}" data-url="${esc(b.url)}" data-state="${esc(shared.backendCells(b, pool, null).state![0])}">` +
        `<th scope="row" title="${esc(b.id)}">${esc(b.url)}</th>` +
        tds(BACKEND_COLS, shared.backendCells(b, pool, null)) +
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
export function renderDashboard(s: DashboardStats, now = new Date()): string {
  const fleet = shared.fleetCells(s, null);
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
          .map((r) => `<tr data-key="r:${r.order}"><th scope="row">${esc(r.display)}</th>${tds(ROUTE_COLS, shared.routeCells(r, null))}</tr>`)
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
              `${tds(DATAPLANE_COLS, shared.dataplaneCells(d, s.version))}</tr>`,
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
<style>${STYLE}</style>
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
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** Answers `GET`/`HEAD` for the dashboard. */
export function serveDashboard(req: http.IncomingMessage, res: http.ServerResponse, aggregate: FleetAggregate): void {
  const body = renderDashboard(toApiStats(aggregate) as unknown as DashboardStats);
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

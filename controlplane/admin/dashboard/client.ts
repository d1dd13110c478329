// The dashboard in the browser: polls `api/stats` every second, keeps a short history per counter,
// updates the cells the server rendered (through the same cells.ts) and draws a rolling chart of
// requests and errors per second for every backend, from counter deltas.
import type { ApiStats } from '../../aggregate/api-stats-shape.js';
import { backendCells, dataplaneCells, fleetCells, fmtDuration, fmtRate, routeCells, signature, type Cells } from './cells.js';

const POLL_MS = 1000;
const TIMEOUT_MS = 4000;
/** Rates are measured over about this long. */
const WINDOW_MS = 10_000;
/** Charts show at most the last 5 minutes... */
const CHART_MS = 300_000;
/** ...and at least 30 s, even right after the page opened. */
const MIN_SPAN_MS = 30_000;
const BUCKET_MS = 5000;
const CHART_W = 120;
const CHART_H = 30;

/** [time, counter a (requests), counter b (errors)]. */
type Sample = [t: number, a: number, b: number];
interface Row {
  el: Element;
  cells: Record<string, Element>;
  chart: SVGSVGElement | null;
}

const hist = new Map<string, Sample[]>();
const rows = new Map<string, Row>();
let sig = '';
let failing: Date | null = null;
const statusEl = document.getElementById('status')!;
const updatedEl = document.getElementById('updated')!;
document.documentElement.classList.add('js');

function record(key: string, t: number, a: number, b: number, seen: Set<string>): void {
  seen.add(key);
  let h = hist.get(key);
  if (!h) hist.set(key, (h = []));
  const last = h[h.length - 1];
  if (last && (a < last[1] || b < last[2])) h.length = 0; // counters restarted
  h.push([t, a, b]);
  while (h.length > 2 && t - h[0]![0] > CHART_MS + BUCKET_MS) h.shift();
}

/** Per-second rates over the last WINDOW_MS of history, with the raw deltas. */
function rate(key: string): { a: number; b: number; da: number; db: number } | null {
  const h = hist.get(key);
  if (!h || h.length < 2) return null;
  const last = h[h.length - 1]!;
  let base = h[h.length - 2]!;
  for (let i = h.length - 2; i >= 0; i--) {
    base = h[i]!;
    if (last[0] - base[0] >= WINDOW_MS) break;
  }
  const dt = (last[0] - base[0]) / 1000;
  if (dt <= 0) return null;
  return { a: (last[1] - base[1]) / dt, b: (last[2] - base[2]) / dt, da: last[1] - base[1], db: last[2] - base[2] };
}

/** Per-bucket rates: the last sample of every bucket-long slot, and the rate between consecutive ones. */
function series(key: string, bucket: number): Sample[] {
  const h = hist.get(key) ?? [];
  const reps: Sample[] = [];
  const out: Sample[] = [];
  for (let i = 0; i < h.length; i++) {
    const slot = Math.floor(h[i]![0] / bucket);
    if (i > 0 && Math.floor(reps[reps.length - 1]![0] / bucket) === slot) reps[reps.length - 1] = h[i]!;
    else reps.push(h[i]!);
  }
  for (let j = 1; j < reps.length; j++) {
    const dt = (reps[j]![0] - reps[j - 1]![0]) / 1000;
    if (dt > 0) out.push([reps[j]![0], Math.max(0, (reps[j]![1] - reps[j - 1]![1]) / dt), Math.max(0, (reps[j]![2] - reps[j - 1]![2]) / dt)]);
  }
  return out;
}

function index(): void {
  rows.clear();
  for (const el of Array.from(document.querySelectorAll('[data-key]'))) {
    const cells: Record<string, Element> = {};
    for (const c of Array.from(el.querySelectorAll('[data-col]'))) cells[c.getAttribute('data-col')!] = c;
    rows.set(el.getAttribute('data-key')!, { el, cells, chart: el.querySelector<SVGSVGElement>('svg.chart') });
  }
}

function apply(key: string, values: Cells): Row | null {
  const row = rows.get(key);
  if (!row) return null;
  for (const k in values) {
    const c = row.cells[k];
    if (!c) continue;
    const [text, cls] = values[k]!;
    if (c.textContent !== text) c.textContent = text;
    if (c.className !== cls) c.className = cls;
  }
  return row;
}

/** The time axis covers the last 5 minutes, or (at least 30 s of) the time since the page opened. */
function draw(svg: SVGSVGElement | null, key: string): void {
  if (!svg) return;
  const h = hist.get(key) ?? [];
  const now = Date.now();
  const span = Math.min(CHART_MS, Math.max(MIN_SPAN_MS, h.length ? now - h[0]![0] : 0));
  const pts = series(key, Math.min(BUCKET_MS, Math.max(2000, span / 60)));
  let max = 1;
  for (const p of pts) max = Math.max(max, p[1], p[2]);
  const line = (idx: 1 | 2): string => {
    const out: string[] = [];
    for (const p of pts) {
      const x = CHART_W - ((now - p[0]) / span) * CHART_W;
      if (x < 0) continue;
      const y = CHART_H - 1 - (p[idx] / max) * (CHART_H - 2);
      out.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    }
    return out.join(' ');
  };
  svg.querySelector('.rps')?.setAttribute('points', line(1));
  svg.querySelector('.err')?.setAttribute('points', line(2));
  const last = pts[pts.length - 1];
  let peak = 0;
  let peakErr = 0;
  for (const p of pts) {
    peak = Math.max(peak, p[1]);
    peakErr = Math.max(peakErr, p[2]);
  }
  svg.setAttribute(
    'aria-label',
    last
      ? `Last ${fmtDuration(span)}: ${fmtRate(last[1])} requests/s now, peak ${fmtRate(peak)}; ${fmtRate(last[2])} errors/s now, peak ${fmtRate(peakErr)}`
      : 'Trend: no history yet',
  );
}

function render(s: ApiStats): void {
  const t = Date.now();
  const seen = new Set<string>();
  let errors = 0;
  for (const p of s.pools) {
    for (const b of p.backends) {
      errors += b.errorCount;
      record(`b:${b.id}`, t, b.requestCount, b.errorCount, seen);
    }
  }
  for (const r of s.routes) record(`r:${r.order}`, t, r.hits, 0, seen);
  record('fleet', t, s.totalRequests, errors, seen);
  for (const k of [...hist.keys()]) if (!seen.has(k)) hist.delete(k);

  const fr = rate('fleet');
  apply('fleet', fleetCells(s, { rps: fr ? fr.a : null, errRate: null, share: null }));
  for (const p of s.pools) {
    const rates = new Map<string, ReturnType<typeof rate>>();
    let poolDelta = 0;
    for (const b of p.backends) {
      const r = rate(`b:${b.id}`);
      rates.set(b.id, r);
      if (r) poolDelta += r.da;
    }
    for (const b of p.backends) {
      const r = rates.get(b.id) ?? null;
      const live = {
        rps: r ? r.a : null,
        errRate: r && r.da > 0 ? (100 * r.db) / r.da : null,
        share: r && poolDelta > 0 ? (100 * r.da) / poolDelta : null,
      };
      const row = apply(`b:${b.id}`, backendCells(b, p, live));
      if (row) {
        row.el.setAttribute('data-state', b.status);
        draw(row.chart, `b:${b.id}`);
      }
    }
  }
  for (const r of s.routes) {
    const x = rate(`r:${r.order}`);
    apply(`r:${r.order}`, routeCells(r, { rps: x ? x.a : null, errRate: null, share: null }));
  }
  for (const d of s.dataplanes) apply(`d:${d.id}`, dataplaneCells(d, s.version));
  updatedEl.textContent = `Updated ${new Date(t).toLocaleTimeString()}`;
}

function setStatus(text: string, bad: boolean): void {
  if (statusEl.textContent !== text) statusEl.textContent = text;
  document.body.classList.toggle('stale', bad);
}

async function timed(url: string, as: 'json'): Promise<ApiStats>;
async function timed(url: string, as: 'text'): Promise<string>;
async function timed(url: string, as: 'json' | 'text'): Promise<ApiStats | string> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
  try {
    const res = await fetch(url, { cache: 'no-store', signal: ctl.signal, headers: { accept: as === 'json' ? 'application/json' : 'text/html' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return as === 'json' ? ((await res.json()) as ApiStats) : await res.text();
  } finally {
    clearTimeout(timer);
  }
}

/** The set of pools, backends, routes or data planes changed: take the new tables from the server. */
async function restructure(): Promise<void> {
  const html = await timed(location.pathname, 'text');
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const fresh = doc.getElementById('live');
  const init = doc.getElementById('golb-initial');
  if (!fresh || !init) throw new Error('unexpected page');
  document.getElementById('live')!.replaceWith(document.importNode(fresh, true));
  sig = signature(JSON.parse(init.textContent ?? '{}') as ApiStats);
  index();
}

async function poll(): Promise<void> {
  try {
    const s = await timed('api/stats', 'json');
    if (signature(s) !== sig) await restructure();
    render(s);
    failing = null;
    setStatus('Live: updating every second.', false);
  } catch (err) {
    failing ??= new Date();
    const why = (err as Error)?.name === 'AbortError' ? 'timed out' : (err as Error)?.message || 'error';
    setStatus(`Cannot reach the control plane since ${failing.toLocaleTimeString()} (${why}); retrying. Figures are stale.`, true);
  } finally {
    setTimeout(() => void poll(), POLL_MS);
  }
}

const initial = JSON.parse(document.getElementById('golb-initial')!.textContent ?? '{}') as ApiStats;
sig = signature(initial);
index();
render(initial);
setStatus('Live: updating every second.', false);
setTimeout(() => void poll(), POLL_MS);

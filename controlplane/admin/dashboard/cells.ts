// The dashboard's cells: pure formatting and derivation from one `/api/stats` document, shared by
// the server's first paint (render.ts) and the browser's live updates (client.ts), so the static
// and the live page cannot disagree. No DOM and no Node: it runs in both.
import type { ApiBackend, ApiDataPlane, ApiPool, ApiRoute, ApiStats } from '../../aggregate/api-stats-shape.js';
import { isNacked, isOnVersion } from '../../sync/on-version.js';

/** [text, class] for one cell. */
export type Cell = [text: string, className: string];
export type Cells = Record<string, Cell>;

/** Rates measured in the browser between polls; null on the server (no history yet). */
export interface Live {
  rps: number | null;
  errRate: number | null;
  share: number | null;
}

export function fmtInt(n: number): string {
  const v = Math.round(Number(n) || 0);
  let s = String(Math.abs(v));
  let out = '';
  while (s.length > 3) {
    out = `,${s.slice(-3)}${out}`;
    s = s.slice(0, -3);
  }
  return (v < 0 ? '-' : '') + s + out;
}

export function fmtPct(p: number | null): string {
  if (p == null || !isFinite(p)) return '—';
  if (p > 0 && p < 0.1) return '<0.1%';
  return `${p.toFixed(1)}%`;
}

export function fmtRate(r: number | null): string {
  if (r == null || !isFinite(r)) return '—';
  const v = r < 0 ? 0 : r;
  return v < 10 ? v.toFixed(1) : fmtInt(v);
}

export function fmtMs(v: number, has: boolean): string {
  if (!has) return '—';
  if (v < 1) return `${v.toFixed(2)} ms`;
  if (v < 10) return `${v.toFixed(1)} ms`;
  return `${fmtInt(v)} ms`;
}

/** 42s, 3m 7s, 2h 5m, 4d 1h. */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (m < 60) return `${m}m ${s % 60}s`;
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${d}d ${h % 24}h`;
}

export function fmtAge(ms: number | null | undefined): string {
  if (ms == null || !isFinite(ms) || ms > 1e11) return 'never';
  const v = Math.max(0, ms);
  return `${v < 10_000 ? `${(v / 1000).toFixed(1)}s` : fmtDuration(v)} ago`;
}

/** The share a backend's weight implies among the pool's backends that are up. */
export function impliedShare(pool: ApiPool, b: ApiBackend): number {
  let total = 0;
  for (const x of pool.backends) if (x.status === 'up' || x.status === 'degraded') total += x.weight;
  return (b.status === 'up' || b.status === 'degraded') && total > 0 ? (100 * b.weight) / total : 0;
}

function dataplaneCounts(s: ApiStats): { connected: number; acked: number; nacked: number; total: number } {
  const c = { connected: 0, acked: 0, nacked: 0, total: s.dataplanes.length };
  for (const d of s.dataplanes) {
    if (!d.connected) continue;
    c.connected++;
    const ack = { ackState: d.ackState, ackedVersion: d.version };
    if (isOnVersion(ack, s.version)) c.acked++;
    if (isNacked(ack)) c.nacked++;
  }
  return c;
}

export function fleetCells(s: ApiStats, live: Live | null): Cells {
  const c = dataplaneCounts(s);
  let errors = 0;
  for (const p of s.pools) for (const b of p.backends) errors += b.errorCount;
  return {
    version: [s.version || '—', 'mono'],
    connected: [`${c.connected} of ${c.total}`, c.connected === 0 ? 'bad' : ''],
    acked: [String(c.acked), c.acked < c.connected ? 'warn' : 'ok'],
    nacked: [String(c.nacked), c.nacked > 0 ? 'bad' : ''],
    uptime: [fmtDuration(s.uptime * 1000), ''],
    rps: [live ? fmtRate(live.rps) : '—', ''],
    requests: [fmtInt(s.totalRequests), ''],
    errors: [fmtInt(errors), errors > 0 ? 'warn' : ''],
    unrouted: [fmtInt(s.unrouted), s.unrouted > 0 ? 'warn' : ''],
    nobackend: [fmtInt(s.noBackend), s.noBackend > 0 ? 'bad' : ''],
  };
}

export function backendCells(b: ApiBackend, pool: ApiPool, live: Live | null): Cells {
  const healthy: Cell =
    b.dataplanes === 0
      ? ['no reports', 'muted']
      : [`${b.healthyOn}/${b.dataplanes}`, b.healthyOn === 0 ? 'bad' : b.healthyOn < b.dataplanes ? 'warn' : 'ok'];
  const errRate = live ? live.errRate : b.requestCount > 0 ? (100 * b.errorCount) / b.requestCount : null;
  const share = live && live.share != null ? live.share : b.sharePercentInPool;
  const has = b.requestCount > 0;
  return {
    state: [b.status, `st st-${b.status}`],
    healthy,
    weight: [String(b.weight), 'num'],
    share: [fmtPct(share), 'num'],
    implied: [fmtPct(impliedShare(pool, b)), 'num'],
    rps: [live ? fmtRate(live.rps) : '—', 'num'],
    requests: [fmtInt(b.requestCount), 'num'],
    errrate: [fmtPct(errRate), `num${errRate == null || errRate === 0 ? '' : errRate >= 5 ? ' bad' : ' warn'}`],
    errors: [fmtInt(b.errorCount), `num${b.errorCount > 0 ? ' warn' : ''}`],
    inflight: [fmtInt(b.inFlight), 'num'],
    ws: [fmtInt(b.openWebSockets), 'num'],
    p50: [fmtMs(b.p50, has), 'num'],
    p99: [fmtMs(b.p99, has), 'num'],
  };
}

export function routeCells(r: ApiRoute, live: Live | null): Cells {
  return {
    pool: [r.pool, ''],
    hits: [fmtInt(r.hits), 'num'],
    rps: [live ? fmtRate(live.rps) : '—', 'num'],
  };
}

export function dataplaneCells(d: ApiDataPlane, version: string): Cells {
  const ack = d.ackState || 'PENDING';
  return {
    conn: [d.connected ? 'connected' : 'disconnected', d.connected ? 'ok' : 'bad'],
    version: [d.version || '—', d.version === version ? '' : 'warn'],
    ack: [ack === 'NACKED' && d.nackError ? `NACKED: ${d.nackError}` : ack, ack === 'ACKED' ? 'ok' : ack === 'NACKED' ? 'bad' : 'warn'],
    report: [fmtAge(d.lastReportAgeMs), d.connected && d.lastReportAgeMs > 10_000 ? 'warn' : ''],
    software: [d.softwareVersion || '—', ''],
    requests: [fmtInt(d.totalRequests), 'num'],
  };
}

/** What decides the page's structure: when it changes, the browser takes new tables from the server. */
export function signature(s: ApiStats): string {
  return JSON.stringify([
    s.pools.map((p) => [p.name, p.method, p.persistenceType, p.backends.map((b) => [b.id, b.url])]),
    s.routes.map((r) => [r.order, r.display, r.pool]),
    s.dataplanes.map((d) => [d.id, d.address, d.hostname]),
  ]);
}

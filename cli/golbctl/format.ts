// Plain-text output for golbctl: aligned tables, optional colour (only on a terminal, never with
// NO_COLOR), and compact durations, ages, percentages and latencies.

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

/** Colour is on when stdout is a terminal, NO_COLOR is unset and TERM is not "dumb". */
export function colorEnabled(stream: { isTTY?: boolean } = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.TERM === 'dumb') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type Style = keyof typeof CODES;

/** Wraps text in an ANSI style when colour is enabled. */
export function paint(style: Style | undefined, text: string, enabled = colorEnabled()): string {
  if (!style || !enabled || text === '') return text;
  return `\x1b[${CODES[style]}m${text}\x1b[0m`;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** Display width of a string, ignoring ANSI styles. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

function pad(text: string, width: number, align: Align): string {
  const gap = Math.max(0, width - visibleWidth(text));
  return align === 'right' ? ' '.repeat(gap) + text : text + ' '.repeat(gap);
}

/**
 * Renders rows under upper-case headers, columns separated by two spaces, trailing spaces trimmed.
 * Cells may carry ANSI styles; widths ignore them.
 */
export function table(columns: Column[], rows: string[][], options: { color?: boolean; indent?: string } = {}): string {
  const color = options.color ?? colorEnabled();
  const indent = options.indent ?? '';
  const widths = columns.map((c, i) => Math.max(visibleWidth(c.header), ...rows.map((r) => visibleWidth(r[i] ?? ''))));
  const line = (cells: string[]) =>
    indent +
    columns
      .map((c, i) => pad(cells[i] ?? '', widths[i]!, c.align ?? 'left'))
      .join('  ')
      .replace(/\s+$/, '');
  const head = line(columns.map((c) => c.header));
  return [color ? paint('bold', head, true) : head, ...rows.map(line)].join('\n');
}

/** 950 → "950ms", 12_300 → "12s", 125_000 → "2m5s", 7_380_000 → "2h3m", 2 days → "2d0h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 59_500) return `${Math.round(ms / 1000)}s`;
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

/** How long ago a unix-ms timestamp was: "3s ago"; "-" for 0 (never). */
export function formatAge(unixMs: number, now = Date.now()): string {
  if (!unixMs) return '-';
  const d = now - unixMs;
  if (d < 1000) return 'just now';
  return `${formatDuration(d)} ago`;
}

/** A unix-ms timestamp as local "YYYY-MM-DD HH:MM:SS"; "-" for 0. */
export function formatTime(unixMs: number): string {
  if (!unixMs) return '-';
  const d = new Date(unixMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** 55.555 → "55.6%". */
export function formatPercent(p: number): string {
  if (!Number.isFinite(p)) return '-';
  return `${p.toFixed(1)}%`;
}

/** A latency in ms: "-" when there is none, "0.42ms", "12.3ms", "250ms", "1.25s". */
export function formatMs(ms: number, hasData = true): string {
  if (!hasData || !Number.isFinite(ms)) return '-';
  if (ms < 1) return `${ms.toFixed(2)}ms`;
  if (ms < 100) return `${ms.toFixed(1)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(2)}s`;
}

/** "1 backend", "2 backends". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

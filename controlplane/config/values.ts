// Value syntaxes of the config language: durations, sizes, booleans, integers, hash keys,
// backend URLs, addresses; and the did-you-mean suggestion. Each parser returns the value or an
// error message (a string), never throws.
import { isIP } from 'node:net';
import type { HashKeyConfig } from './model.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(message: string): Parsed<T> => ({ ok: false, message });

/** Largest value of a uint32 field: about 49.7 days in milliseconds. */
export const UINT32_MAX = 0xffff_ffff;

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "2s", "1.5m", "1h", "1d", or a bare number of seconds → milliseconds. */
export function parseDuration(text: string, what: string): Parsed<number> {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/i.exec(text);
  if (!m) return fail(`bad duration "${text}" for ${what} (expected e.g. 500ms, 2s, 1m, 1h, 1d or seconds)`);
  const ms = Math.round(Number(m[1]) * DURATION_UNITS_MS[(m[2] ?? 's').toLowerCase()]!);
  if (ms > UINT32_MAX) return fail(`duration "${text}" for ${what} is too long (at most 49d)`);
  return ok(ms);
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** "16k", "1m", "1g" (powers of 1024) or bytes. */
export function parseSize(text: string, what: string, max: number): Parsed<number> {
  const m = /^(\d+)([a-z]*)$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return fail(`bad size "${text}" for ${what} (expected e.g. 16k, 1m, 1g or bytes)`);
  const bytes = Number(m[1]) * unit;
  if (bytes > max) return fail(`size "${text}" for ${what} is too large`);
  return ok(bytes);
}

const TRUE_WORDS = new Set(['on', 'true', 'yes']);
const FALSE_WORDS = new Set(['off', 'false', 'no']);

export function parseBool(text: string, what: string): Parsed<boolean> {
  const t = text.toLowerCase();
  if (TRUE_WORDS.has(t)) return ok(true);
  if (FALSE_WORDS.has(t)) return ok(false);
  return fail(`bad value "${text}" for ${what} (expected on, off, true, false, yes or no)`);
}

export function isBoolWord(text: string): boolean {
  const t = text.toLowerCase();
  return TRUE_WORDS.has(t) || FALSE_WORDS.has(t);
}

/** A whole number in [min, max]. */
export function parseInteger(text: string, what: string, min: number, max: number): Parsed<number> {
  if (!/^\d+$/.test(text)) {
    return fail(`bad number "${text}" for ${what} (expected a whole number${min > 0 ? ` >= ${min}` : ''})`);
  }
  const n = Number(text);
  if (n < min || n > max) return fail(`${what} must be between ${min} and ${max}, got ${text}`);
  return ok(n);
}

/** A backend weight: a positive integer. */
export function parseWeight(text: string): Parsed<number> {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1_000_000) {
    return fail(`weight must be a positive integer (1 to 1000000), got "${text}"`);
  }
  return ok(Number(text));
}

/** Bounded-load factor: 0 turns it off, otherwise at least 1.0 (1.25 = 25% above the mean). */
export function parseBalanceFactor(text: string): Parsed<number> {
  if (!/^\d+(?:\.\d+)?$/.test(text)) return fail(`bad number "${text}" for hash_balance_factor (expected 0 or a number >= 1.0, e.g. 1.25)`);
  const f = Number(text);
  if (f !== 0 && (f < 1 || f > 100)) return fail(`hash_balance_factor must be 0 (off) or between 1.0 and 100, got ${text}`);
  return ok(f);
}

/** An HTTP header name (RFC 9110 token). */
export function isHeaderName(text: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(text);
}

/** path | uri | ip | header:NAME | cookie:NAME */
export function parseHashKey(text: string): Parsed<HashKeyConfig> {
  const colon = text.indexOf(':');
  const kind = (colon === -1 ? text : text.slice(0, colon)).toLowerCase();
  const name = colon === -1 ? '' : text.slice(colon + 1);
  const bad = fail<HashKeyConfig>(`bad hash_key "${text}" (expected path, uri, ip, header:NAME or cookie:NAME)`);
  if (kind === 'path' || kind === 'uri' || kind === 'ip') return colon === -1 ? ok({ source: kind, name: '' }) : bad;
  if (kind === 'header' || kind === 'cookie') return name !== '' && isHeaderName(name) ? ok({ source: kind, name }) : bad;
  return bad;
}

export interface BackendAddress {
  url: string;
  scheme: 'http' | 'https';
  host: string;
  port: number;
}

/** http:// or https:// with a host, optional port, no path other than "/", no query or credentials. */
export function parseBackendUrl(text: string): Parsed<BackendAddress> {
  const bad = (why: string) => fail<BackendAddress>(`bad backend URL "${text}": ${why}`);
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!schemeMatch) return bad('expected http://HOST[:PORT] or https://HOST[:PORT]');
  const scheme = schemeMatch[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return bad(`scheme must be http or https, not ${scheme}`);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return bad('not a valid URL');
  }
  if (u.hostname === '') return bad('missing host');
  if (u.username !== '' || u.password !== '') return bad('credentials are not allowed');
  if (u.pathname !== '/' && u.pathname !== '') return bad(`a backend has no path (found "${u.pathname}")`);
  if (u.search !== '' || u.hash !== '' || /[?#]/.test(text)) return bad('a backend has no query or fragment');
  const port = u.port === '' ? (scheme === 'https' ? 443 : 80) : Number(u.port);
  if (port === 0) return bad('port 0 is not a port');
  return ok({ url: `${scheme}://${u.host}`, scheme, host: u.hostname, port });
}

/** An IPv4/IPv6 address or CIDR ("10.0.0.0/8", "::1", "fd00::/8"). */
export function isAddressOrCidr(text: string): boolean {
  const slash = text.indexOf('/');
  const addr = slash === -1 ? text : text.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) return false;
  if (slash === -1) return true;
  const bits = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** Levenshtein distance (insert, delete, substitute; each costs 1). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest candidate within edit distance 2 (first one on ties), or undefined. */
export function closestName(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(w, c);
    // A 1- or 2-letter word is within distance 2 of too much; demand a closer match.
    if (d < bestDistance && d < Math.max(w.length, 2)) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean "x"?` or ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const hint = closestName(word, candidates);
  return hint === undefined ? '' : `; did you mean "${hint}"?`;
}

/** A whole percentage 0–100, with or without the "%" sign: `50%`, `50`. */
export function parsePercent(text: string, what: string): Parsed<number> {
  const m = /^(\d{1,3})%?$/.exec(text);
  if (!m || Number(m[1]) > 100) return fail(`bad percentage "${text}" for ${what} (expected 0% to 100%)`);
  return ok(Number(m[1]));
}

// Request-path normalization (RFC 3986 §6.2.2): decode only unreserved escapes, uppercase the rest,
// collapse "//", resolve dot segments (§5.2.4) — so routing and the backend see one and the same path.

/** What routing and the upstream request use; `query` keeps its leading '?' (or is ''). */
export interface NormalizedTarget {
  path: string;
  query: string;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const BACKSLASH = 0x5c;
const HASH = 0x23;

/**
 * Normalizes an origin-form request-target (`req.url`). Returns `undefined` when the request must
 * be refused with 400: no leading '/', a literal backslash or '#', a control character (raw or
 * escaped), a malformed escape, or escaped bytes that are not well-formed UTF-8 (overlong forms
 * such as %C0%AE included). `%2F` and `%5C` stay escaped and never separate segments; a segment
 * that reads `..;x` or `.;x` is refused because some servers strip path parameters before
 * resolving dot segments, which would let it climb past the route that matched here.
 */
export function normalizePath(target: string): NormalizedTarget | undefined {
  const q = target.indexOf('?');
  const pathEnd = q === -1 ? target.length : q;
  if (pathEnd === 0 || target.charCodeAt(0) !== SLASH) return undefined;
  const query = q === -1 ? '' : target.slice(q);
  if (isAlreadyNormal(target, pathEnd)) {
    return { path: q === -1 ? target : target.slice(0, pathEnd), query };
  }
  const path = normalizeSlow(target, pathEnd);
  return path === undefined ? undefined : { path, query };
}

/**
 * Printable ASCII only, and nothing that normalization could change or refuse. A dot matters
 * only at the start of a segment ("/.", "/..", "/.;x"), so "/favicon.ico" stays on this path.
 */
function isAlreadyNormal(s: string, end: number): boolean {
  let prev = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === PERCENT || c === BACKSLASH || c === HASH) return false;
    if (prev === SLASH && (c === SLASH || c === DOT)) return false;
    prev = c;
  }
  return true;
}

function isUnreserved(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) ||
    b === 0x2d || b === DOT || b === 0x5f || b === 0x7e
  );
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

const HEX = '0123456789ABCDEF';

/**
 * Tracks UTF-8 well-formedness over the escaped bytes (Unicode Table 3-7): `need` continuation
 * bytes still expected, and the narrower range the next one must fall in right after a lead
 * byte (E0 → A0..BF rules out overlongs, ED → 80..9F rules out surrogates, F0/F4 bound the
 * code point range). A raw character or end of path while `need > 0` is a truncated sequence.
 */
class Utf8Check {
  need = 0;
  lo = 0x80;
  hi = 0xbf;

  /** False when `b` cannot appear here. */
  push(b: number): boolean {
    if (this.need > 0) {
      if (b < this.lo || b > this.hi) return false;
      this.need--;
      this.lo = 0x80;
      this.hi = 0xbf;
      return true;
    }
    if (b < 0x80) return true;
    if (b >= 0xc2 && b <= 0xdf) this.need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      this.need = 2;
      if (b === 0xe0) this.lo = 0xa0;
      else if (b === 0xed) this.hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      this.need = 3;
      if (b === 0xf0) this.lo = 0x90;
      else if (b === 0xf4) this.hi = 0x8f;
    } else return false;
    return true;
  }
}

function normalizeSlow(s: string, end: number): string | undefined {
  // Segments after decoding; `trailing` records whether the result ends with '/'.
  const out: string[] = [];
  let trailing = false;
  const utf8 = new Utf8Check();
  let seg = '';
  // Position 0 is the leading '/', so every segment starts right after a separator.
  let i = 1;
  for (;;) {
    const atEnd = i >= end;
    const c = atEnd ? SLASH : s.charCodeAt(i);
    if (c === SLASH) {
      if (utf8.need > 0) return undefined;
      if (seg === '..') {
        out.pop();
        trailing = true;
      } else if (seg === '.' || seg === '') {
        trailing = true;
      } else {
        if (isDotWithParams(seg)) return undefined;
        out.push(seg);
        trailing = false;
      }
      if (atEnd) break;
      seg = '';
      i++;
      continue;
    }
    if (c === PERCENT) {
      if (i + 2 >= end) return undefined;
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      const b = hi * 16 + lo;
      if (b < 0x20 || b === 0x7f) return undefined;
      if (!utf8.push(b)) return undefined;
      seg += isUnreserved(b) ? String.fromCharCode(b) : '%' + HEX[hi] + HEX[lo];
      i += 3;
      continue;
    }
    if (c < 0x20 || c === 0x7f || c === BACKSLASH || c === HASH) return undefined;
    if (c >= 0x80) {
      // Node's parser refuses raw bytes past 0x7F; a caller with a lenient parser would hand them
      // over as latin1 characters, so each is one byte: escape it after the same UTF-8 check.
      if (c > 0xff || !utf8.push(c)) return undefined;
      seg += '%' + HEX[c >> 4] + HEX[c & 15];
      i++;
      continue;
    }
    if (utf8.need > 0) return undefined;
    seg += s[i];
    i++;
  }
  if (out.length === 0) return '/';
  const joined = '/' + out.join('/');
  return trailing ? joined + '/' : joined;
}

/** ".;x" or "..;x": a dot segment carrying path parameters. */
function isDotWithParams(seg: string): boolean {
  if (seg.charCodeAt(0) !== DOT) return false;
  const semi = seg.indexOf(';');
  if (semi === -1) return false;
  const head = seg.slice(0, semi);
  return head === '.' || head === '..';
}

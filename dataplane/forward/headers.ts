// Header hygiene at the proxy boundary (RFC 9110 §7.6.1): hop-by-hop fields never cross, and the
// X-Forwarded-* family is golb's own, never a client's word unless the peer is a trusted proxy.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

/** Connection-specific fields, removed in both directions. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Framing and routing fields a Connection header may not remove: dropping Content-Length would
 * send the body unframed, and the backend would read it as a second request (smuggling).
 */
const NOT_NOMINABLE = new Set(['content-length', 'transfer-encoding', 'host']);

/** Fields golb sets itself on the way up. */
const OWNED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'x-request-id', 'forwarded', 'expect']);

/** Names listed in a Connection header (they are hop-by-hop too). */
export function connectionTokens(value: string | string[] | undefined): Set<string> {
  const out = new Set<string>();
  if (value === undefined) return out;
  for (const part of (Array.isArray(value) ? value : [value]).join(',').split(',')) {
    const token = part.trim().toLowerCase();
    if (token) out.add(token);
  }
  return out;
}

/** `keep-alive` or `close` alone: nothing besides hop-by-hop fields is named. */
function isPlainConnectionValue(value: string | string[]): boolean {
  if (typeof value !== 'string') return false;
  const v = value.length === 10 || value.length === 5 ? value.toLowerCase() : '';
  return v === 'keep-alive' || v === 'close';
}

export interface UpstreamHeaderOptions {
  clientIp: string;
  proto: 'http' | 'https';
  /** The Host the client asked for (validated), passed through unchanged. */
  host: string;
  requestId: string;
  /** X-Forwarded-For received from a trusted proxy, to extend; undefined = start fresh. */
  priorForwardedFor?: string;
  /**
   * The connection's peer (normalized), which is what a proxy appends to a chain it extends; the
   * client address derived from that chain is already in it. Default `clientIp`.
   */
  peer?: string;
  /** Keep Connection: Upgrade / Upgrade for a WebSocket handshake. */
  upgrade?: boolean;
  /**
   * Forward header names containing '_' (directive `underscores_in_headers on`). Off by default,
   * as in nginx: CGI, PHP and WSGI backends map '_' and '-' to the same variable, so
   * `X_Forwarded_For` would reach them as golb's own X-Forwarded-For.
   */
  underscores?: boolean;
}

/** The header set sent to a backend for `req`. */
export function buildUpstreamHeaders(req: IncomingMessage, o: UpstreamHeaderOptions): OutgoingHttpHeaders {
  const headers = req.headers;
  // Most requests have no Connection header, or one that names nothing but itself: no token set then.
  const connection = headers.connection;
  const named = connection === undefined || isPlainConnectionValue(connection) ? undefined : connectionTokens(connection);
  if (named) for (const name of NOT_NOMINABLE) named.delete(name);
  const out: OutgoingHttpHeaders = {};
  const underscores = o.underscores === true;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || OWNED.has(name) || named?.has(name) || name.startsWith('proxy-')) continue;
    if (!underscores && name.includes('_')) continue;
    out[name] = value;
  }
  out.host = o.host;
  // Node re-frames the body itself; say chunked explicitly so methods that are not chunked by
  // default (GET, DELETE, ...) still carry a chunked body with its framing.
  if (req.headers['transfer-encoding'] !== undefined) out['transfer-encoding'] = 'chunked';
  else if (req.headers['content-length'] !== undefined) out['content-length'] = req.headers['content-length'];
  out['x-forwarded-for'] = o.priorForwardedFor ? `${o.priorForwardedFor}, ${o.peer ?? o.clientIp}` : o.clientIp;
  out['x-forwarded-proto'] = o.proto;
  out['x-forwarded-host'] = o.host;
  out['x-real-ip'] = o.clientIp;
  out['x-request-id'] = o.requestId;
  if (o.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = req.headers.upgrade ?? 'websocket';
  }
  return out;
}

/**
 * Response headers from a backend as a flat [name, value, ...] list (original case, repeated
 * fields kept), minus hop-by-hop fields.
 */
export function filterResponseHeaders(rawHeaders: readonly string[], headers: IncomingHttpHeaders): string[] {
  const named = connectionTokens(headers.connection);
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower) || lower === 'content-length' || lower.startsWith('proxy-')) continue;
    out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  // Content-Length is kept only when it is a single valid value (Node has already rejected conflicts).
  const length = headers['content-length'];
  if (length !== undefined && /^\d+$/.test(length) && headers['transfer-encoding'] === undefined) out.push('Content-Length', length);
  return out;
}

/**
 * The same filter over a raw header list as undici hands it over (names and values as Buffers,
 * latin1 on the wire): the result is the flat [name, value, ...] list `res.writeHead` takes.
 * Runs once per response: a name is lower-cased only when its length or first letter could make it
 * one of the fields handled here (2, 7, 10, 14, 17 characters, or proxy-*).
 */
export function filterRawResponseHeaders(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  let named: Set<string> | undefined;
  let length: string | undefined;
  let lengths = 0;
  let chunked = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const nameBytes = raw[i]!;
    const size = nameBytes.length;
    const name = nameBytes.toString('latin1');
    if (size !== 2 && size !== 7 && size !== 10 && size !== 14 && size !== 17 && (nameBytes[0]! | 0x20) !== 0x70) {
      out.push(name, raw[i + 1]!.toString('latin1'));
      continue;
    }
    const lower = name.toLowerCase();
    if (lower === 'content-length') {
      length = raw[i + 1]!.toString('latin1').trim();
      lengths++;
      continue;
    }
    if (lower === 'connection') {
      const value = raw[i + 1]!.toString('latin1');
      if (!isPlainConnectionValue(value)) for (const token of connectionTokens(value)) (named ??= new Set()).add(token);
      continue;
    }
    if (lower === 'transfer-encoding') chunked = true;
    if (HOP_BY_HOP.has(lower) || lower.startsWith('proxy-')) continue;
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  // Fields named in Connection are hop-by-hop too; rare enough to filter in a second pass.
  if (named) {
    for (let i = out.length - 2; i >= 0; i -= 2) if (named.has(out[i]!.toLowerCase())) out.splice(i, 2);
  }
  if (lengths === 1 && !chunked && length !== undefined && isDigits(length)) out.push('Content-Length', length);
  return out;
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

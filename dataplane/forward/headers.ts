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

export interface UpstreamHeaderOptions {
  clientIp: string;
  proto: 'http' | 'https';
  /** The Host the client asked for (validated), passed through unchanged. */
  host: string;
  requestId: string;
  /** X-Forwarded-For received from a trusted proxy, to extend; undefined = start fresh. */
  priorForwardedFor?: string;
  /** Keep Connection: Upgrade / Upgrade for a WebSocket handshake. */
  upgrade?: boolean;
}

/** The header set sent to a backend for `req`. */
export function buildUpstreamHeaders(req: IncomingMessage, o: UpstreamHeaderOptions): OutgoingHttpHeaders {
  const named = connectionTokens(req.headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || OWNED.has(name) || named.has(name) || name.startsWith('proxy-')) continue;
    out[name] = value;
  }
  out.host = o.host;
  // Node re-frames the body itself; say chunked explicitly so methods that are not chunked by
  // default (GET, DELETE, ...) still carry a chunked body with its framing.
  if (req.headers['transfer-encoding'] !== undefined) out['transfer-encoding'] = 'chunked';
  out['x-forwarded-for'] = o.priorForwardedFor ? `${o.priorForwardedFor}, ${o.clientIp}` : o.clientIp;
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

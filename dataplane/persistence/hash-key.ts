// The key a consistent_hash choice hashes: the path by default, or the full URI, a header, a
// cookie or the client address. Every data plane derives the same key from the same request.
import type { IncomingHttpHeaders } from 'node:http';
import type { HashKeySpec } from '../../proto/index.js';

export interface HashKeyRequest {
  /** Normalized path. */
  path: string;
  /** Raw query with its leading '?', or ''. */
  query: string;
  headers: IncomingHttpHeaders;
  /** Normalized client address (see client-ip.ts). */
  clientIp: string;
}

/**
 * The hash key for `req` under `spec` (null or an empty source means `path`).
 * A missing or empty header or cookie falls back to the client address, so such clients still
 * stick to one backend rather than all sharing the key "" (and one backend). An unknown source
 * is treated as `path`; the control plane rejects those before they get here.
 */
export function hashKeyOf(spec: HashKeySpec | null, req: HashKeyRequest): string {
  switch (spec?.source ?? '') {
    case 'uri':
      return req.query === '' ? req.path : req.path + req.query;
    case 'header': {
      const v = req.headers[spec!.name.toLowerCase()];
      const text = typeof v === 'string' ? v : v === undefined ? '' : v.join(', ');
      return text === '' ? req.clientIp : text;
    }
    case 'cookie': {
      const v = cookieValue(req.headers.cookie, spec!.name);
      return v === undefined || v === '' ? req.clientIp : v;
    }
    case 'ip':
      return req.clientIp;
    default:
      return req.path;
  }
}

/** The first cookie called `name` in a Cookie header, without splitting the whole header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined || name === '') return undefined;
  let from = 0;
  while (from < header.length) {
    const semi = header.indexOf(';', from);
    const end = semi === -1 ? header.length : semi;
    let start = from;
    while (start < end && (header.charCodeAt(start) === 0x20 || header.charCodeAt(start) === 0x09)) start++;
    if (header.startsWith(name, start) && header.charCodeAt(start + name.length) === 0x3d) {
      return header.slice(start + name.length + 1, end).trim();
    }
    from = end + 1;
  }
  return undefined;
}

// Turns a request's target and Host into what routing uses, refusing ambiguous shapes: two
// different Host headers, a Host that is not `host[:port]` (see host-header.ts), or an
// absolute-form target whose authority is malformed or disagrees with Host.
import type { IncomingMessage } from 'node:http';
import { normalizePath } from '../routing/normalize-path.js';
import { parseHostAuthority } from './host-header.js';

export type TargetResult =
  | {
      ok: true;
      host: string;
      hostHeader: string;
      path: string;
      query: string;
      /** `OPTIONS *` (RFC 9112 §3.2.4): about the server, not a resource; `path` is then '*'. */
      asterisk: boolean;
    }
  | { ok: false; status: number; message: string };

/** `http://` or `https://`, any case, then the authority up to the first '/', '?' or the end. */
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)(.*)$/is;

export function readRequestTarget(req: IncomingMessage): TargetResult {
  const raw = req.rawHeaders;
  let hostCount = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') hostCount++;
  }
  if (hostCount > 1) return { ok: false, status: 400, message: 'more than one Host header' };
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400 (Node's parser refuses it first by
  // default; this holds whatever the server options say).
  if (hostCount === 0 && req.httpVersionMinor >= 1) return { ok: false, status: 400, message: 'missing Host header' };
  let hostHeader = req.headers.host ?? '';
  // An empty Host is what a client sends when the target has no authority (RFC 9110 §7.2).
  let host = '';
  if (hostHeader !== '') {
    const parsed = parseHostAuthority(hostHeader);
    if (parsed === undefined) return { ok: false, status: 400, message: 'invalid Host header' };
    host = parsed.host;
  }
  let target = req.url ?? '';
  if (target === '*') {
    if (req.method !== 'OPTIONS') return { ok: false, status: 400, message: 'asterisk-form is only for OPTIONS' };
    return { ok: true, host, hostHeader, path: '*', query: '', asterisk: true };
  }
  if (target.length > 0 && target[0] !== '/') {
    // Absolute form (RFC 9112 §3.2.2): its authority is the one that counts, and Host must agree.
    // Read as text, not with the URL parser, which would take `a.example:@evil.net` as userinfo.
    const m = ABSOLUTE_FORM.exec(target);
    if (!m) return { ok: false, status: 400, message: 'malformed request target' };
    const authority = m[1]!;
    const parsed = parseHostAuthority(authority);
    if (parsed === undefined) return { ok: false, status: 400, message: 'invalid authority in request target' };
    if (hostHeader !== '' && hostHeader.toLowerCase() !== authority.toLowerCase()) {
      return { ok: false, status: 400, message: 'request target host differs from Host header' };
    }
    hostHeader = authority;
    host = parsed.host;
    const rest = m[2]!;
    target = rest === '' ? '/' : rest[0] === '/' ? rest : `/${rest}`;
  }
  const normalized = normalizePath(target);
  if (!normalized) return { ok: false, status: 400, message: 'malformed request path' };
  return { ok: true, host, hostHeader, path: normalized.path, query: normalized.query, asterisk: false };
}

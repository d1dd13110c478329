// Turns a request's target and Host into what routing uses, refusing ambiguous shapes: two
// different Host headers, or an absolute-form target whose host disagrees with Host.
import type { IncomingMessage } from 'node:http';
import { normalizePath } from '../routing/normalize-path.js';

export type TargetResult =
  | { ok: true; host: string; hostHeader: string; path: string; query: string }
  | { ok: false; status: number; message: string };

export function readRequestTarget(req: IncomingMessage): TargetResult {
  const raw = req.rawHeaders;
  let hostCount = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') hostCount++;
  }
  if (hostCount > 1) return { ok: false, status: 400, message: 'more than one Host header' };
  let hostHeader = req.headers.host ?? '';
  let target = req.url ?? '';
  if (target.length > 0 && target[0] !== '/') {
    // Absolute form (RFC 9112 §3.2.2): its authority is the one that counts, and Host must agree.
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return { ok: false, status: 400, message: 'malformed request target' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { ok: false, status: 400, message: 'unsupported request target' };
    }
    if (hostHeader !== '' && hostHeader.toLowerCase() !== url.host.toLowerCase()) {
      return { ok: false, status: 400, message: 'request target host differs from Host header' };
    }
    hostHeader = url.host;
    target = url.pathname + url.search;
  }
  const normalized = normalizePath(target);
  if (!normalized) return { ok: false, status: 400, message: 'malformed request path' };
  return { ok: true, host: hostOnly(hostHeader), hostHeader, path: normalized.path, query: normalized.query };
}

/** Lower-case host without the port; IPv6 literals keep their brackets. */
function hostOnly(hostHeader: string): string {
  const h = hostHeader.toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

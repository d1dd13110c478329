// The admin HTTP port's gate, before any handler: the Host header must name this server (a DNS
// rebinding page has its own host name in Host, so it is refused), and with a token set, every
// endpoint but /api/health needs it. Browsers get it once through `/?token=...`, which sets a
// session cookie holding an HMAC of the token (never the token) and redirects to the page.
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import type http from 'node:http';
import { sameToken } from '../auth.js';
import { isLoopbackHost } from '../listen-policy.js';

export const SESSION_COOKIE = 'golb_admin_session';

/** Paths a load balancer's or orchestrator's health probe reads without credentials. */
const OPEN_PATHS = new Set(['/api/health']);

export interface AdminHttpGuardOptions {
  /** The address the server listens on (0.0.0.0 / :: for all). */
  listenHost: string;
  /** Extra names clients use to reach it (--admin-host-name), e.g. a Kubernetes Service name. */
  hostNames?: readonly string[];
  token?: string;
}

export type GuardResult =
  | { ok: true }
  | { ok: false; status: 401 | 421; message: string }
  | { ok: false; status: 303; location: string; cookie: string };

/** The hostname part of a Host header (`[::1]:8081` → `::1`), lower-cased; undefined if malformed. */
export function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const h = host.trim().toLowerCase();
  const m = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h) ?? /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(h);
  return m?.[1];
}

/**
 * Host is accepted when it is a loopback name, the listen address, a configured name, or an IP
 * literal equal to the address the connection arrived on (probes and scrapers that dial the pod
 * IP). A rebinding attack always carries the attacker's host name, so none of these match it.
 */
export function isAllowedHost(host: string | undefined, localAddress: string | undefined, o: AdminHttpGuardOptions): boolean {
  const name = hostnameOf(host);
  if (name === undefined) return false;
  if (isLoopbackHost(name)) return true;
  if (name === o.listenHost.toLowerCase()) return true;
  if (o.hostNames?.some((n) => n.toLowerCase() === name)) return true;
  const local = localAddress?.replace(/^::ffff:/, '');
  return isIP(name) !== 0 && local !== undefined && name === local.toLowerCase();
}

export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('golb admin http session').digest('base64url');
}

function cookieOf(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function guardAdminRequest(req: http.IncomingMessage, o: AdminHttpGuardOptions): GuardResult {
  if (!isAllowedHost(req.headers.host, req.socket.localAddress, o)) {
    return { ok: false, status: 421, message: 'unknown Host for this admin server (add it with --admin-host-name)' };
  }
  if (!o.token) return { ok: true };
  const url = new URL(req.url ?? '/', 'http://admin.invalid');
  if (OPEN_PATHS.has(url.pathname)) return { ok: true };
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ') && sameToken(auth.slice(7), o.token)) return { ok: true };
  const session = cookieOf(req, SESSION_COOKIE);
  if (session !== undefined && sameToken(session, sessionValue(o.token))) return { ok: true };
  const given = url.searchParams.get('token');
  if ((url.pathname === '/' || url.pathname === '/dashboard') && given !== null && sameToken(given, o.token)) {
    // Redirect to the bare page so the token does not stay in the address bar.
    return {
      ok: false,
      status: 303,
      location: url.pathname,
      cookie: `${SESSION_COOKIE}=${sessionValue(o.token)}; Path=/; HttpOnly; SameSite=Strict`,
    };
  }
  return { ok: false, status: 401, message: 'this admin server needs a token: Authorization: Bearer TOKEN, or open /?token=TOKEN in a browser' };
}

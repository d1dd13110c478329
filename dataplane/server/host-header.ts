// The Host header (and the authority of an absolute-form target) as RFC 9112 §3.2 and RFC 3986
// §3.2.2 allow it: reg-name, IPv4 or [IPv6], then an optional port 1–65535. Anything else (userinfo,
// a second colon, a port that is not a number in range) is refused before routing, because what a
// route matched on and what the backend reads would differ: `api.example.com:@evil.net`.
import { isIPv6 } from 'node:net';

export interface HostAuthority {
  /** Lower-case host without the port; an IPv6 literal keeps its brackets. */
  host: string;
  /** The port as a number, or undefined when none is given. */
  port: number | undefined;
}

/** Longest host accepted: a DNS name is at most 253 characters; room for an IPv6 literal and a port. */
const MAX_AUTHORITY = 262;

/**
 * reg-name restricted to RFC 3986 unreserved characters. Stricter than §3.2.2 on purpose:
 * sub-delims (`!$&'()*+,;=`) and percent-encoding never appear in a DNS name, and each is a
 * chance for a backend to read the name differently than the router did.
 */
const REG_NAME = /^[a-z0-9._~-]+$/;
const DOTTED_NUMBERS = /^[0-9.]+$/;
const DEC_OCTET = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
const PORT = /^[0-9]{1,5}$/;
/** Inside brackets: hex digits, colons and (for an embedded IPv4 tail) dots; no zone, no IPvFuture. */
const IPV6_CHARS = /^[0-9a-f:.]+$/;

/**
 * Parses `value` as `host [":" port]`. Returns undefined when it is not one. The empty string is
 * not an authority (the caller decides whether an empty Host is acceptable).
 * Examples: `Example.COM:8080` → {host: 'example.com', port: 8080}; `[::1]` → {host: '[::1]'};
 * `a.b:@evil` → undefined; `a.b:8o` → undefined; `a.b:99999` → undefined; `a.b:` → undefined.
 */
export function parseHostAuthority(value: string): HostAuthority | undefined {
  if (value.length === 0 || value.length > MAX_AUTHORITY) return undefined;
  const v = value.toLowerCase();
  let host: string;
  let rest: string;
  if (v.charCodeAt(0) === 0x5b /* [ */) {
    const close = v.indexOf(']');
    if (close === -1) return undefined;
    host = v.slice(0, close + 1);
    if (!isIPv6Literal(v.slice(1, close))) return undefined;
    rest = v.slice(close + 1);
  } else {
    const colon = v.indexOf(':');
    host = colon === -1 ? v : v.slice(0, colon);
    rest = colon === -1 ? '' : v.slice(colon);
    if (!REG_NAME.test(host)) return undefined;
    // A name made only of digits and dots is read as an IPv4 address by resolvers and URL parsers
    // alike, so it must be a canonical one (no 999.1.1.1, no 1.2.3, no leading zeros).
    if (DOTTED_NUMBERS.test(host) && !isIPv4(host)) return undefined;
  }
  if (rest === '') return { host, port: undefined };
  if (rest.charCodeAt(0) !== 0x3a /* : */) return undefined;
  const digits = rest.slice(1);
  if (!PORT.test(digits)) return undefined;
  const port = Number(digits);
  if (port < 1 || port > 65_535) return undefined;
  return { host, port };
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => DEC_OCTET.test(p));
}

/** RFC 4291 §2.2 text forms (Node's own check), without a zone id: `%` is refused by IPV6_CHARS. */
function isIPv6Literal(s: string): boolean {
  return IPV6_CHARS.test(s) && isIPv6(s);
}

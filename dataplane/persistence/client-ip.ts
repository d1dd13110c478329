// Client identity: the socket peer, or — only when that peer is a configured trusted proxy — the
// nearest untrusted hop in X-Forwarded-For, read right to left (the part a client cannot forge).
import { BlockList, isIP } from 'node:net';

/** The configured trusted proxies (CIDRs or single addresses, IPv4 or IPv6). */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  /** Throws an Error naming the entry when one is not an address or CIDR. */
  constructor(cidrs: readonly string[]) {
    for (const raw of cidrs) {
      const entry = raw.trim();
      const slash = entry.indexOf('/');
      const addr = canonicalIp(slash === -1 ? entry : entry.slice(0, slash));
      if (addr === undefined) throw new Error(`trusted proxy ${JSON.stringify(raw)} is not an IP address or CIDR`);
      const family = isIP(addr) === 4 ? 'ipv4' : 'ipv6';
      if (slash === -1) {
        this.#list.addAddress(addr, family);
        continue;
      }
      const bitsText = entry.slice(slash + 1);
      let bits = /^[0-9]{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
      // An IPv4-mapped CIDR (::ffff:10.0.0.0/104) is kept as the IPv4 CIDR it denotes.
      if (family === 'ipv4' && isIP(entry.slice(0, slash)) === 6) bits -= 96;
      const max = family === 'ipv4' ? 32 : 128;
      if (bits < 0 || bits > max) throw new Error(`trusted proxy ${JSON.stringify(raw)} has an invalid prefix length`);
      this.#list.addSubnet(addr, bits, family);
    }
    this.#empty = cidrs.length === 0;
  }

  /** True when `ip` (any textual form, IPv4-mapped included) lies in a trusted range. */
  has(ip: string): boolean {
    if (this.#empty) return false;
    const addr = socketIp(ip);
    if (addr === undefined) return false;
    return this.#list.check(addr, isIP(addr) === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * The address that identifies the client: the socket peer unless the peer is trusted, then the
 * right-most X-Forwarded-For entry that is not itself a trusted proxy. Entries left of the first
 * malformed one are never believed: the walk stops there and keeps the last good hop. All
 * results are normalized (`::ffff:a.b.c.d` → `a.b.c.d`, IPv6 lower-case and compressed).
 */
export function clientIp(remoteAddress: string | undefined, xff: string | string[] | undefined, trusted: TrustedProxies): string {
  const peer = socketIp(remoteAddress ?? '') ?? remoteAddress ?? '';
  if (xff === undefined || !trusted.has(peer)) return peer;
  const chain = typeof xff === 'string' ? xff : xff.join(',');
  let hop = peer;
  let end = chain.length;
  while (end > 0) {
    const comma = chain.lastIndexOf(',', end - 1);
    const entry = canonicalIp(stripPort(chain.slice(comma + 1, end).trim()));
    if (entry === undefined) return hop;
    hop = entry;
    if (!trusted.has(entry)) return entry;
    end = comma === -1 ? 0 : comma;
  }
  return hop;
}

/** "[v6]:port" → "v6", "[v6]" → "v6", "a.b.c.d:port" → "a.b.c.d"; anything else unchanged. */
function stripPort(s: string): string {
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    return close === -1 ? s : s.slice(1, close);
  }
  const colon = s.indexOf(':');
  if (colon !== -1 && s.indexOf(':', colon + 1) === -1) return s.slice(0, colon);
  return s;
}

const MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * A socket address as the kernel reports it (already canonical): IPv4-mapped → IPv4, zone id
 * dropped, lower-case. Undefined when `s` is not an address. Cheap: runs on every request.
 */
function socketIp(s: string): string | undefined {
  const family = isIP(s);
  if (family === 4) return s;
  if (family !== 6) return undefined;
  const zone = s.indexOf('%');
  const bare = (zone === -1 ? s : s.slice(0, zone)).toLowerCase();
  if (bare.startsWith('::ffff:') && isIP(bare.slice(7)) === 4) return bare.slice(7);
  return bare;
}

/**
 * Canonical text of an address written by someone else (config, X-Forwarded-For), so that every
 * spelling of one address yields one hash key: "0:0::FFFF:A00:1" → "10.0.0.1",
 * "2001:DB8:0::1" → "2001:db8::1". Undefined when `s` is not an address.
 */
function canonicalIp(s: string): string | undefined {
  const quick = socketIp(s);
  if (quick === undefined || isIP(quick) === 4) return quick;
  let canonical: string;
  try {
    canonical = new URL(`http://[${quick}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const m = MAPPED.exec(canonical);
  if (m) {
    const hi = parseInt(m[1]!, 16);
    const lo = parseInt(m[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return canonical;
}

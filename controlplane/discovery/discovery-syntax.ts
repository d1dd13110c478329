// The config syntax of DNS discovery: `backend URL discover=dns|srv interval=D` and
// `resolver ADDR:PORT ...`. Each checker returns the value or an error message, never throws.
import { isIP } from 'node:net';
import type { Parsed } from '../config/values.js';

export const DISCOVER_MODES = ['dns', 'srv'] as const;
export type DiscoverMode = (typeof DISCOVER_MODES)[number];

/** Shortest interval= accepted: below it a control plane would mostly be asking DNS. */
export const MIN_DISCOVER_INTERVAL_MS = 100;

export function parseDiscoverMode(text: string): Parsed<DiscoverMode> {
  const t = text.toLowerCase();
  if ((DISCOVER_MODES as readonly string[]).includes(t)) return { ok: true, value: t as DiscoverMode };
  return { ok: false, message: `unknown discover mode "${text}" (expected dns or srv)` };
}

/**
 * Whether a backend URL's host may be discovered with `mode`: an IP literal has nothing to
 * resolve; SRV needs `_service._proto.name` (RFC 2782) and takes ports from the records, so the
 * URL must not give one.
 */
export function checkDiscoverHost(mode: DiscoverMode, host: string, explicitPort: boolean): string | undefined {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) return `discover=${mode} needs a DNS name, not the IP address ${host}`;
  if (mode === 'dns') {
    if (!isDnsName(bare)) return `bad DNS name "${host}" for discover=dns`;
    return undefined;
  }
  if (!/^_[a-z0-9-]+\._(tcp|udp)\.[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i.test(bare)) {
    return `discover=srv needs an SRV name like _http._tcp.app.internal, not "${host}"`;
  }
  if (explicitPort) return 'discover=srv takes the ports from the SRV records: leave the port out of the URL';
  return undefined;
}

function isDnsName(name: string): boolean {
  if (name.length > 253) return false;
  return name
    .replace(/\.$/, '')
    .split('.')
    .every((label) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(label));
}

/** "ADDR:PORT" or "[V6]:PORT" or a bare address (port 53) → the form node:dns setServers takes. */
export function parseResolverAddress(text: string): Parsed<string> {
  const bad = (why: string): Parsed<string> => ({ ok: false, message: `bad resolver address "${text}": ${why}` });
  let host = text;
  let port = '53';
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) {
    host = v6[1]!;
    port = v6[2] ?? '53';
  } else if (text.includes(':') && isIP(text) !== 6) {
    const i = text.lastIndexOf(':');
    host = text.slice(0, i);
    port = text.slice(i + 1);
  }
  if (isIP(host) === 0) return bad('expected an IP address, optionally with :PORT (e.g. 10.0.0.2:53)');
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) return bad('port must be 1 to 65535');
  return { ok: true, value: isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}` };
}

// DNS service discovery: a backend's `discover=dns|srv [interval=D]` attributes and the
// `resolver` directive (nginx `resolver ... valid=`, HAProxy `resolvers` / `server-template`).
import type { DiscoverConfig, ResolverConfig } from '../model.js';
import { DEFAULT_DISCOVER_INTERVAL_MS, DEFAULT_RESOLVER } from '../model.js';
import { checkDiscoverHost, MIN_DISCOVER_INTERVAL_MS, parseDiscoverMode, parseResolverAddress } from '../../discovery/discovery-syntax.js';
import { posOf, type Args, type DirectiveTable, type Handler, type Parser } from '../parser-core.js';
import { parseDuration } from '../values.js';

/** A backend's `discover=` / `interval=`: null = a fixed address; undefined = reported error. */
export function discoverOf(p: Parser, args: Args, host: string, urlText: string): DiscoverConfig | null | undefined {
  const d = args.attrs.get('discover');
  const iv = args.attrs.get('interval');
  if (d === undefined) {
    if (iv !== undefined) p.error(iv.keyPos, 'interval= only applies with discover=dns or discover=srv');
    return iv === undefined ? null : undefined;
  }
  const mode = p.value(parseDiscoverMode(d.value), d.pos);
  if (mode === undefined) return undefined;
  const explicitPort = /^[a-z]+:\/\/(\[[^\]]*\]|[^/:?#]*):\d+/i.test(urlText);
  const why = checkDiscoverHost(mode, host, explicitPort);
  if (why !== undefined) {
    p.error(d.keyPos, why);
    return undefined;
  }
  let intervalMs = DEFAULT_DISCOVER_INTERVAL_MS;
  if (iv !== undefined) {
    const v = p.value(parseDuration(iv.value, 'interval'), iv.pos);
    if (v === undefined) return undefined;
    if (v < MIN_DISCOVER_INTERVAL_MS) {
      p.error(iv.pos, `interval must be at least ${MIN_DISCOVER_INTERVAL_MS}ms, got "${iv.value}"`);
      return undefined;
    }
    intervalMs = v;
  }
  return { mode, name: host, intervalMs };
}

const RESOLVER_ATTRS = ['ttl_min', 'nxdomain_grace', 'timeout'];

/** `resolver [ADDR:PORT ...] [ttl-min=D] [nxdomain-grace=D] [timeout=D]`: no address = the system's. */
const handleResolver: Handler = (p, st, args) => {
  if (p.draft.resolver !== undefined) p.problems.warn(posOf(st.words[0]!), `resolver already set on line ${p.draft.resolver.line}; this one wins`);
  const r: ResolverConfig = { ...DEFAULT_RESOLVER, servers: [], line: st.line };
  for (const w of args.positional) {
    const v = p.value(parseResolverAddress(w.text), posOf(w));
    if (v !== undefined) r.servers.push(v);
  }
  const durations: Array<[string, 'ttlMinMs' | 'nxdomainGraceMs' | 'timeoutMs']> = [
    ['ttl_min', 'ttlMinMs'],
    ['nxdomain_grace', 'nxdomainGraceMs'],
    ['timeout', 'timeoutMs'],
  ];
  for (const [key, field] of durations) {
    const a = args.attrs.get(key);
    if (a === undefined) continue;
    const v = p.value(parseDuration(a.value, key.replace('_', '-')), a.pos);
    if (v === undefined) continue;
    if (field === 'timeoutMs' && v < 1) p.error(a.pos, 'timeout must be at least 1ms');
    else r[field] = v;
  }
  p.draft.resolver = r;
};

export const DISCOVERY_DIRECTIVES: DirectiveTable = {
  resolver: { handler: handleResolver, inBlock: false, global: true, attrs: RESOLVER_ATTRS },
};

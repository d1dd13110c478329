// DNS service discovery on the control plane: one loop per `discover=` backend that resolves its
// name (A/AAAA, or SRV then the targets' A/AAAA), merges the answer into the addresses it stands
// for (endpoint-set.ts) and asks for a new snapshot when they change. Data planes only ever see
// addresses. A loop never throws: failures are logged once per change and kept for golbctl.
import { Resolver } from 'node:dns/promises';
import type { BackendConfig, Config, ResolverConfig } from '../config/model.js';
import { DEFAULT_LIMITS, DEFAULT_RESOLVER } from '../config/model.js';
import { fingerprint, nextResolveDelayMs, reconcile, srvEndpoints, type Endpoint, type Member } from './endpoint-set.js';
import { expandDiscovered, sourceKey } from './expand-discovered.js';
import { combineAddressAnswers, srvFailure, type LookupOutcome } from './lookup-outcome.js';

/** The part of node:dns's Resolver discovery uses (a test may hand in its own). */
export interface DnsResolver {
  resolve4(name: string, options: { ttl: true }): Promise<Array<{ address: string; ttl: number }>>;
  resolve6(name: string, options: { ttl: true }): Promise<Array<{ address: string; ttl: number }>>;
  resolveSrv(name: string): Promise<Array<{ name: string; port: number; priority: number; weight: number }>>;
}

export interface DiscoveryStatus {
  pool: string;
  mode: 'dns' | 'srv';
  name: string;
  addresses: number;
  draining: number;
  error: string;
  errorSinceUnixMs: number;
  lastOkUnixMs: number;
  /** NXDOMAIN: when the grace ends; 0 = not pending. */
  emptyAtUnixMs: number;
}

export interface DnsDiscoveryOptions {
  /** Called after the addresses of some name changed: rebuild and publish the snapshot. */
  onChange: () => void;
  log: (line: string) => void;
  now?: () => number;
  createResolver?: (r: ResolverConfig) => DnsResolver;
}

interface Source {
  key: string;
  pool: string;
  backend: BackendConfig & { discover: NonNullable<BackendConfig['discover']> };
  members: Map<string, Member>;
  error: string;
  errorSinceMs: number;
  lastOkMs: number;
  nxdomainSinceMs: number | null;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
  /** The first resolution (awaited before a config with this name is first published). */
  first: Promise<void>;
}

export class DnsDiscovery {
  readonly #opts: DnsDiscoveryOptions;
  readonly #now: () => number;
  readonly #sources = new Map<string, Source>();
  #settings: ResolverConfig = { ...DEFAULT_RESOLVER };
  #settingsText = '';
  #resolver: DnsResolver | undefined;
  #drainMs = DEFAULT_LIMITS.drainTimeoutMs;

  constructor(opts: DnsDiscoveryOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Makes the set of resolved names the config's: starts loops for new names (resolving each
   * once before returning, so a first snapshot has addresses) and stops the others.
   */
  async watch(config: Config): Promise<void> {
    const settings = config.resolver ?? DEFAULT_RESOLVER;
    const text = JSON.stringify({ ...settings, line: 0 });
    if (text !== this.#settingsText || this.#resolver === undefined) {
      this.#settings = settings;
      this.#settingsText = text;
      this.#resolver = (this.#opts.createResolver ?? createNodeResolver)(settings);
    }
    this.#drainMs = config.limits.drainTimeoutMs;
    const wanted = new Set<string>();
    const fresh: Source[] = [];
    for (const p of config.pools) {
      for (const b of p.backends) {
        if (!b.discover) continue;
        const key = sourceKey(p.name, b);
        wanted.add(key);
        const existing = this.#sources.get(key);
        if (existing) {
          existing.backend = { ...b, discover: b.discover };
          continue;
        }
        const src: Source = {
          key,
          pool: p.name,
          backend: { ...b, discover: b.discover },
          members: new Map(),
          error: '',
          errorSinceMs: 0,
          lastOkMs: 0,
          nxdomainSinceMs: null,
          timer: undefined,
          stopped: false,
          first: Promise.resolve(),
        };
        this.#sources.set(key, src);
        fresh.push(src);
      }
    }
    for (const [key, src] of this.#sources) {
      if (wanted.has(key)) continue;
      src.stopped = true;
      clearTimeout(src.timer);
      this.#sources.delete(key);
    }
    for (const src of fresh) src.first = this.#tick(src, false);
    await Promise.all([...this.#sources.values()].map((s) => s.first));
    // A caller that published before these answers came (no await) gets them now.
    if (fresh.some((s) => s.members.size > 0 && !s.stopped)) this.#notify();
  }

  /** The config with every discovered backend replaced by its current addresses. */
  expand(config: Config): Config {
    return expandDiscovered(config, (pool, b) => this.#sources.get(sourceKey(pool, b))?.members, this.#drainMs);
  }

  status(): DiscoveryStatus[] {
    return [...this.#sources.values()].map((s) => {
      const members = [...s.members.values()];
      return {
        pool: s.pool,
        mode: s.backend.discover.mode,
        name: s.backend.discover.name,
        addresses: members.length,
        draining: members.filter((m) => m.goneAtMs !== null).length,
        error: s.error,
        errorSinceUnixMs: s.errorSinceMs,
        lastOkUnixMs: s.lastOkMs,
        emptyAtUnixMs: s.nxdomainSinceMs === null ? 0 : s.nxdomainSinceMs + this.#settings.nxdomainGraceMs,
      };
    });
  }

  stop(): void {
    for (const src of this.#sources.values()) {
      src.stopped = true;
      clearTimeout(src.timer);
    }
    this.#sources.clear();
  }

  async #tick(src: Source, notify = true): Promise<void> {
    let outcome: LookupOutcome;
    try {
      outcome = await this.#lookup(src);
    } catch (err) {
      outcome = { kind: 'error', message: `${src.backend.discover.name}: ${(err as Error).message}` };
    }
    if (src.stopped) return;
    const before = fingerprint(src.members);
    const now = this.#now();
    let ttlS: number | null = null;
    if (outcome.kind === 'ok') {
      src.members = reconcile(src.members, this.#endpoints(src, outcome), now, this.#drainMs);
      if (src.error !== '') this.#opts.log(`[golb] discovery ${src.pool} ${src.backend.discover.name}: resolves again`);
      src.error = '';
      src.errorSinceMs = 0;
      src.nxdomainSinceMs = null;
      src.lastOkMs = now;
      ttlS = outcome.ttlS;
    } else {
      if (outcome.message !== src.error) {
        src.errorSinceMs = now;
        const kept = outcome.kind === 'nxdomain' ? `pool loses its addresses after ${this.#settings.nxdomainGraceMs} ms` : 'keeping the last known addresses';
        this.#opts.log(`[golb] discovery ${src.pool} ${outcome.message}: ${kept}`);
      }
      src.error = outcome.message;
      let answer: Endpoint[] | null = null;
      if (outcome.kind === 'nxdomain') {
        src.nxdomainSinceMs ??= now;
        if (now - src.nxdomainSinceMs >= this.#settings.nxdomainGraceMs) answer = [];
      } else {
        src.nxdomainSinceMs = null;
      }
      src.members = reconcile(src.members, answer, now, this.#drainMs);
    }
    const changed = fingerprint(src.members) !== before;
    const d = src.backend.discover;
    const delay = nextResolveDelayMs(ttlS, Math.min(this.#settings.ttlMinMs, d.intervalMs), d.intervalMs);
    src.timer = setTimeout(() => void this.#tick(src), delay);
    src.timer.unref();
    if (changed && notify) this.#notify();
  }

  #notify(): void {
    try {
      this.#opts.onChange();
    } catch (err) {
      this.#opts.log(`[golb] discovery: publishing the new addresses failed: ${(err as Error).message}`);
    }
  }

  /** The endpoints an answer stands for: A/AAAA take the URL's port and weight; SRV its own. */
  #endpoints(src: Source, outcome: Extract<LookupOutcome, { kind: 'ok' }> & { srv?: Endpoint[] }): Endpoint[] {
    if (outcome.srv) return outcome.srv;
    return outcome.addresses.map((address) => ({ address, port: src.backend.port, weight: src.backend.weight, backup: false }));
  }

  async #lookup(src: Source): Promise<LookupOutcome & { srv?: Endpoint[] }> {
    const resolver = this.#resolver!;
    const name = src.backend.discover.name;
    if (src.backend.discover.mode === 'dns') return resolveAddresses(resolver, name);
    let records;
    try {
      records = await resolver.resolveSrv(name);
    } catch (err) {
      return srvFailure(name, err);
    }
    const addresses = new Map<string, string[]>();
    let ttlS: number | null = null;
    for (const target of new Set(records.map((r) => r.name.toLowerCase()))) {
      const o = await resolveAddresses(resolver, target);
      // A target that failed to resolve would read as "gone": keep everything as it was.
      if (o.kind === 'error') return o;
      if (o.kind === 'ok') {
        addresses.set(target, o.addresses);
        if (o.ttlS !== null) ttlS = ttlS === null ? o.ttlS : Math.min(ttlS, o.ttlS);
      }
    }
    const srv = srvEndpoints(records, addresses);
    if (srv.length === 0) return { kind: 'nxdomain', message: `${name}: no SRV target resolves to an address` };
    return { kind: 'ok', addresses: srv.map((e) => e.address), ttlS: null, srv };
  }
}

async function resolveAddresses(resolver: DnsResolver, name: string): Promise<LookupOutcome> {
  const answers = await Promise.allSettled([resolver.resolve4(name, { ttl: true }), resolver.resolve6(name, { ttl: true })]);
  return combineAddressAnswers(name, answers);
}

/** node:dns's Resolver with the configured servers (none: the system's) and timeout. */
function createNodeResolver(r: ResolverConfig): DnsResolver {
  const resolver = new Resolver({ timeout: r.timeoutMs, tries: 2 });
  if (r.servers.length > 0) resolver.setServers(r.servers);
  return resolver;
}

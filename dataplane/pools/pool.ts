// A pool as one snapshot sees it: its backends, and the selectors (balancer + persistence) that
// choose among them. Immutable; rebuilt with every snapshot.
import type { PersistenceSpec, PoolSpec } from '../../proto/index.js';
import type { BalancerOptions } from '../balancers/balancer.js';
import { createBalancer } from '../balancers/registry.js';
import { createSelector, type Selector, type SelectRequest } from '../persistence/selector.js';
import { hashKeyOf } from '../persistence/hash-key.js';
import type { StickyCookie } from '../persistence/cookie.js';
import { Backend } from './backend.js';
import type { BackendState } from './backend-state.js';

/** Primary backends first; backups only take traffic when no primary can. */
export interface PoolSelector {
  readonly primary: Selector<Backend>;
  readonly backup: Selector<Backend> | undefined;
}

export class Pool {
  readonly spec: PoolSpec;
  readonly name: string;
  readonly backends: readonly Backend[];
  readonly byId: ReadonlyMap<string, Backend>;
  readonly primaries: readonly Backend[];
  readonly backups: readonly Backend[];
  readonly selector: PoolSelector;
  readonly #cookie: StickyCookie;
  readonly #balancerOptions: BalancerOptions;

  constructor(spec: PoolSpec, states: ReadonlyMap<string, BackendState>, cookie: StickyCookie, balancerOptions: BalancerOptions) {
    this.spec = spec;
    this.name = spec.name;
    this.backends = spec.backends.map((b) => {
      const state = states.get(b.id);
      if (!state) throw new Error(`pool ${spec.name}: no state for backend ${b.id}`);
      return new Backend(b, state);
    });
    this.byId = new Map(this.backends.map((b) => [b.id, b]));
    this.primaries = this.backends.filter((b) => !b.backup);
    this.backups = this.backends.filter((b) => b.backup);
    this.#cookie = cookie;
    this.#balancerOptions = { ...balancerOptions, hashBalanceFactor: spec.hash_balance_factor || undefined };
    this.selector = this.selectorFor(spec.algorithm, spec.persistence);
  }

  /**
   * Builds a selector over this pool's backends for an algorithm and persistence (a route may
   * override the pool's own). Hash persistence needs a hash balancer: ip_hash persistence picks by
   * ip_hash, consistent_hash persistence by the ring, whatever the algorithm says.
   */
  selectorFor(algorithm: string, persistence: PersistenceSpec | null): PoolSelector {
    const type = persistence?.type ?? 'none';
    const effective = type === 'ip_hash' || type === 'consistent_hash' ? type : algorithm;
    // A hash algorithm hashes something even without hash persistence: the client address for
    // ip_hash, the configured key (path by default) for consistent_hash.
    const canonical = effective.replaceAll('-', '_');
    const key = persistence?.key ?? null;
    const keyOf =
      canonical === 'ip_hash' ? (req: SelectRequest) => req.clientIp
      : canonical === 'consistent_hash' ? (req: SelectRequest) => hashKeyOf(key, req)
      : undefined;
    const make = (targets: readonly Backend[]) =>
      createSelector(persistence, createBalancer(effective, targets, this.#balancerOptions), targets, this.#cookie, keyOf);
    return { primary: make(this.primaries), backup: this.backups.length > 0 ? make(this.backups) : undefined };
  }
}

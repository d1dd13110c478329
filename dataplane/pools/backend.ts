// A backend as one snapshot sees it: immutable spec (weight, admin state, limits) joined with the
// BackendState record that outlives snapshots.
import type { AdminState, BackendSpec } from '../../proto/index.js';
import type { BalancerTarget } from '../balancers/balancer.js';
import type { BackendState } from './backend-state.js';

export class Backend implements BalancerTarget {
  readonly id: string;
  readonly weight: number;
  readonly url: URL;
  readonly adminState: AdminState;
  /** When a draining backend stops taking sticky clients (ms since epoch); 0 = no deadline. */
  readonly drainDeadline: number;
  readonly maxConnections: number;
  readonly backup: boolean;
  readonly state: BackendState;

  constructor(spec: BackendSpec, state: BackendState) {
    this.id = spec.id;
    this.weight = Math.max(1, spec.weight);
    this.url = new URL(spec.url.replace(/^ws(s?):/, 'http$1:'));
    this.adminState = spec.admin_state;
    this.drainDeadline = Number(spec.drain_deadline_unix_ms);
    this.maxConnections = spec.max_connections;
    this.backup = spec.backup;
    this.state = state;
  }

  /**
   * May take a new session at `now`: ready, healthy, under its connection limit. `ignoreHealth`:
   * the pool is in panic (see panic-threshold.ts), only admin state and the limit apply.
   */
  acceptsNew(now: number, ignoreHealth = false): boolean {
    return this.adminState === 'READY' && (ignoreHealth || this.state.isHealthy(now)) && this.#underLimit();
  }

  /**
   * May keep a client already pinned to it: a draining backend keeps its sticky clients until the
   * drain deadline; maintenance takes nothing. `ignoreHealth` as for acceptsNew.
   */
  acceptsSticky(now: number, ignoreHealth = false): boolean {
    if (this.adminState === 'MAINTENANCE' || !(ignoreHealth || this.state.isHealthy(now)) || !this.#underLimit()) return false;
    return this.adminState === 'READY' || this.drainDeadline === 0 || now < this.drainDeadline;
  }

  #underLimit(): boolean {
    return this.maxConnections === 0 || this.state.load() < this.maxConnections;
  }
}

// The runtime: everything one request needs, built from a Snapshot off to the side and swapped in
// with one assignment. A request reads the current runtime once, at its start, and keeps it.
import type { LimitsSpec, RouteSpec, Snapshot, TimeoutsSpec } from '../../proto/index.js';
import type { BalancerOptions } from '../balancers/balancer.js';
import { StickyCookie } from '../persistence/cookie.js';
import { TrustedProxies } from '../persistence/client-ip.js';
import { Router, type RouteEntry } from '../routing/router.js';
import { Pool, type PoolSelector } from '../pools/pool.js';
import type { BackendState } from '../pools/backend-state.js';
import { DEFAULT_LIMITS, DEFAULT_TIMEOUTS } from './defaults.js';

/** What a route resolves to: a pool and the selector to use in it. */
export interface RouteTarget {
  readonly pool: Pool;
  readonly selector: PoolSelector;
  /** Key into the route hit counters ("<order> <display>"), or "default". */
  readonly statsKey: string;
  readonly timeouts: TimeoutsSpec;
}

export interface RuntimeOptions {
  balancer?: BalancerOptions;
  /** Test hook (data plane only): refuse snapshots with a regex containing this text, as an engine that rejects it would. */
  rejectRegexContaining?: string;
}

export class Runtime {
  readonly snapshot: Snapshot;
  readonly version: string;
  readonly router: Router<RouteTarget>;
  readonly pools: ReadonlyMap<string, Pool>;
  readonly cookie: StickyCookie;
  readonly trusted: TrustedProxies;
  readonly limits: LimitsSpec;
  /** `limits.max_body_bytes` as a number (the wire type is a 64-bit string); 0 = unlimited. */
  readonly maxBodyBytes: number;
  /** Connection and WebSocket caps; 0 on the wire (a control plane that predates them) = the default (defaults.ts). */
  readonly maxConnections: number;
  readonly maxWebSockets: number;
  readonly websocketMaxMessageBytes: number;
  readonly routes: readonly RouteSpec[];

  /** Throws with a one-line reason when the snapshot cannot be applied (the caller NACKs). */
  constructor(snapshot: Snapshot, states: ReadonlyMap<string, BackendState>, options: RuntimeOptions = {}) {
    if (!snapshot.version) throw new Error('snapshot has no version');
    this.snapshot = snapshot;
    this.version = snapshot.version;
    if (!snapshot.cookie) throw new Error('snapshot has no cookie settings');
    this.cookie = new StickyCookie(snapshot.cookie);
    this.trusted = new TrustedProxies(snapshot.trusted_proxies);
    this.limits = { ...DEFAULT_LIMITS, ...snapshot.limits };
    this.maxBodyBytes = Number(this.limits.max_body_bytes) || 0;
    this.maxConnections = this.limits.max_connections || DEFAULT_LIMITS.max_connections;
    this.maxWebSockets = this.limits.max_websockets || DEFAULT_LIMITS.max_websockets;
    this.websocketMaxMessageBytes = Number(this.limits.websocket_max_message_bytes) || Number(DEFAULT_LIMITS.websocket_max_message_bytes);
    this.routes = snapshot.routes;

    const pools = new Map<string, Pool>();
    for (const spec of snapshot.pools) {
      if (pools.has(spec.name)) throw new Error(`duplicate pool ${spec.name}`);
      pools.set(spec.name, new Pool(spec, states, this.cookie, options.balancer ?? {}));
    }
    this.pools = pools;

    const poolOf = (name: string, what: string): Pool => {
      const pool = pools.get(name);
      if (!pool) throw new Error(`${what} names unknown pool ${name}`);
      return pool;
    };
    const entries: RouteEntry<RouteTarget>[] = snapshot.routes.map((spec) => {
      if (options.rejectRegexContaining && spec.match?.regex?.includes(options.rejectRegexContaining)) {
        throw new Error(`route at line ${spec.line}: regex ${spec.match.regex} is not supported by this data plane`);
      }
      const pool = poolOf(spec.pool, `route at line ${spec.line}`);
      const overrides = spec.algorithm !== '' || spec.persistence !== null;
      const selector = overrides
        ? pool.selectorFor(spec.algorithm || pool.spec.algorithm, spec.persistence ?? pool.spec.persistence)
        : pool.selector;
      return { spec, target: { pool, selector, statsKey: routeKey(spec), timeouts: timeoutsOf(pool) } };
    });
    const defaultPool = snapshot.default_pool ? poolOf(snapshot.default_pool, 'default_backend') : undefined;
    const defaultTarget = defaultPool
      ? { pool: defaultPool, selector: defaultPool.selector, statsKey: 'default', timeouts: timeoutsOf(defaultPool) }
      : undefined;
    this.router = new Router(entries, defaultTarget);
  }
}

function timeoutsOf(pool: Pool): TimeoutsSpec {
  return { ...DEFAULT_TIMEOUTS, ...pool.spec.timeouts };
}

export function routeKey(spec: RouteSpec): string {
  return `${spec.order} ${spec.display}`;
}

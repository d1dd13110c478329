// Persistence wraps a balancer and keeps its interface: cookie pins a client to the backend its
// signed cookie names; ip_hash and consistent_hash hand the balancer the key to hash.
import type { IncomingHttpHeaders } from 'node:http';
import type { PersistenceSpec } from '../../proto/index.js';
import type { Balancer, BalancerTarget, PickContext } from '../balancers/balancer.js';
import type { StickyCookie } from './cookie.js';
import { hashKeyOf } from './hash-key.js';

/** What a selection reads from the request; built once per request by the caller. */
export interface SelectRequest {
  /** Normalized path. */
  path: string;
  /** Raw query with its leading '?', or ''. */
  query: string;
  headers: IncomingHttpHeaders;
  /** Normalized client address (see client-ip.ts). */
  clientIp: string;
  /** The request came over HTTPS (the cookie then gets Secure). */
  secure: boolean;
}

/** `target` undefined = nothing available. `setCookie` = a Set-Cookie value to add to the response. */
export interface Selection<T> {
  target: T | undefined;
  setCookie?: string;
}

export interface Selector<T extends BalancerTarget> {
  /**
   * Chooses a target for one attempt. `ctx.isAvailable` says who may take a NEW session;
   * `acceptsSticky(t)` says who may keep an existing pinned client (a draining backend still
   * does). On a retry the caller makes both false for targets already tried. Never throws.
   */
  select(req: SelectRequest, ctx: PickContext<T>, acceptsSticky: (t: T) => boolean): Selection<T>;
}

/**
 * Builds the selector for a pool (or a route's override) from its persistence settings.
 * For ip_hash and consistent_hash the caller must pass a hash balancer (the runtime builds one
 * whatever the pool's algorithm says): this selector only supplies `ctx.key`, and a balancer that
 * ignores the key would not be persistent. Throws on an unknown persistence type.
 */
export function createSelector<T extends BalancerTarget>(
  persistence: PersistenceSpec | null,
  balancer: Balancer<T>,
  targets: readonly T[],
  cookie: StickyCookie,
  keyOf?: (req: SelectRequest) => string | undefined,
): Selector<T> {
  const type = (persistence?.type || 'none').replaceAll('-', '_');
  switch (type) {
    case 'none':
      return new PlainSelector(balancer, keyOf);
    case 'cookie':
      return new CookieSelector(balancer, targets, cookie, keyOf);
    case 'ip_hash':
      return new IpHashSelector(balancer);
    case 'consistent_hash':
      return new KeyHashSelector(balancer, persistence!);
    default:
      throw new Error(`unknown persistence type ${JSON.stringify(type)}`);
  }
}

class PlainSelector<T extends BalancerTarget> implements Selector<T> {
  readonly #balancer: Balancer<T>;
  readonly #keyOf: ((req: SelectRequest) => string | undefined) | undefined;

  constructor(balancer: Balancer<T>, keyOf?: (req: SelectRequest) => string | undefined) {
    this.#balancer = balancer;
    this.#keyOf = keyOf;
  }

  select(req: SelectRequest, ctx: PickContext<T>): Selection<T> {
    if (this.#keyOf) ctx.key = this.#keyOf(req);
    return { target: this.#balancer.pick(ctx) };
  }
}

class CookieSelector<T extends BalancerTarget> implements Selector<T> {
  readonly #balancer: Balancer<T>;
  readonly #byId: ReadonlyMap<string, T>;
  readonly #cookie: StickyCookie;
  readonly #keyOf: ((req: SelectRequest) => string | undefined) | undefined;

  constructor(balancer: Balancer<T>, targets: readonly T[], cookie: StickyCookie, keyOf?: (req: SelectRequest) => string | undefined) {
    this.#balancer = balancer;
    this.#byId = new Map(targets.map((t) => [t.id, t]));
    this.#cookie = cookie;
    cookie.register(this.#byId.keys());
    this.#keyOf = keyOf;
  }

  select(req: SelectRequest, ctx: PickContext<T>, acceptsSticky: (t: T) => boolean): Selection<T> {
    const cookieHeader = req.headers.cookie;
    if (cookieHeader !== undefined) {
      const id = this.#cookie.read(cookieHeader);
      const pinned = id === undefined ? undefined : this.#byId.get(id);
      if (pinned !== undefined && acceptsSticky(pinned)) return { target: pinned };
    }
    // No cookie, or one that is forged, expired, for another pool's backend, or for a backend that
    // cannot keep the client: choose afresh and pin the client to the new choice.
    if (this.#keyOf) ctx.key = this.#keyOf(req);
    const target = this.#balancer.pick(ctx);
    if (target === undefined) return { target };
    return { target, setCookie: this.#cookie.issue(target.id, req.secure) };
  }
}

class IpHashSelector<T extends BalancerTarget> implements Selector<T> {
  readonly #balancer: Balancer<T>;

  constructor(balancer: Balancer<T>) {
    this.#balancer = balancer;
  }

  select(req: SelectRequest, ctx: PickContext<T>): Selection<T> {
    ctx.key = req.clientIp;
    return { target: this.#balancer.pick(ctx) };
  }
}

class KeyHashSelector<T extends BalancerTarget> implements Selector<T> {
  readonly #balancer: Balancer<T>;
  readonly #spec: PersistenceSpec;

  constructor(balancer: Balancer<T>, spec: PersistenceSpec) {
    this.#balancer = balancer;
    this.#spec = spec;
  }

  select(req: SelectRequest, ctx: PickContext<T>): Selection<T> {
    ctx.key = hashKeyOf(this.#spec.key, req);
    return { target: this.#balancer.pick(ctx) };
  }
}

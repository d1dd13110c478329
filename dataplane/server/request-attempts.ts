// The attempts of one request (or WebSocket upgrade) on one pool: the moment its picks are made
// at (`now` frozen at the start, the pool's panic flag), and the backends already tried.
import type { PickContext } from '../balancers/balancer.js';
import type { Selection, SelectRequest } from '../persistence/selector.js';
import type { Backend } from '../pools/backend.js';
import { isInPanic } from '../pools/panic-threshold.js';
import type { Pool } from '../pools/pool.js';
import type { RouteTarget } from '../runtime/runtime.js';

/**
 * The pick context every attempt of one request shares: who may take the request now, minus the
 * backends already tried. `now` and `panic` are read once, so all attempts see one moment. In
 * panic (the pool's panic threshold) health is ignored; admin state and limits are not.
 */
export class RequestAttempts implements PickContext<Backend> {
  readonly now = Date.now();
  readonly panic: boolean;
  key?: string;
  tried: Backend[] | undefined;

  constructor(pool: Pool) {
    this.panic = isInPanic(pool.primaries, pool.backups, pool.spec.panic_threshold_percent, this.now);
  }

  isAvailable(b: Backend): boolean {
    return b.acceptsNew(this.now, this.panic) && !this.wasTried(b);
  }

  load(b: Backend): number {
    return b.state.load();
  }

  readonly acceptsSticky = (b: Backend): boolean => b.acceptsSticky(this.now, this.panic) && !this.wasTried(b);

  wasTried(b: Backend): boolean {
    return this.tried !== undefined && this.tried.includes(b);
  }

  markTried(b: Backend): void {
    (this.tried ??= []).push(b);
  }

  unmarkTried(b: Backend): void {
    if (this.tried) this.tried = this.tried.filter((x) => x !== b);
  }

  /** The backend for the next attempt: primaries first, backups only when no primary can take it. */
  choose(target: RouteTarget, req: SelectRequest): Selection<Backend> {
    const primary = target.selector.primary.select(req, this, this.acceptsSticky);
    if (primary.target || !target.selector.backup) return primary;
    return target.selector.backup.select(req, this, this.acceptsSticky);
  }
}

// least_connections: the available target with the lowest (load + 1) / weight.
// Ties rotate: the scan starts just after the previous winner, so equally loaded targets take
// turns instead of the first one in the list taking every tied pick.
import type { Balancer, BalancerOptions, BalancerTarget, PickContext } from './balancer.js';
import { compareLoad, effectiveLoad, effectiveWeight } from './common.js';

export class LeastConnectionsBalancer<T extends BalancerTarget> implements Balancer<T> {
  readonly #targets: readonly T[];
  readonly #weights: readonly number[];
  #start = 0;

  constructor(targets: readonly T[]) {
    this.#targets = [...targets];
    this.#weights = this.#targets.map(effectiveWeight);
  }

  pick(ctx: PickContext<T>): T | undefined {
    const n = this.#targets.length;
    let best = -1;
    let bestLoad = 0;
    for (let step = 0; step < n; step++) {
      const i = (this.#start + step) % n;
      const t = this.#targets[i]!;
      if (!ctx.isAvailable(t)) continue;
      const load = effectiveLoad(ctx.load(t));
      if (best < 0 || compareLoad(load, this.#weights[i]!, bestLoad, this.#weights[best]!) < 0) {
        best = i;
        bestLoad = load;
      }
    }
    if (best < 0) return undefined;
    this.#start = (best + 1) % n;
    return this.#targets[best];
  }
}

export function createLeastConnections<T extends BalancerTarget>(
  targets: readonly T[],
  _options: BalancerOptions = {},
): Balancer<T> {
  return new LeastConnectionsBalancer(targets);
}

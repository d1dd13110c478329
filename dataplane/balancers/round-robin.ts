// round_robin: a cursor over the targets in order, skipping the unavailable ones.
import type { Balancer, BalancerOptions, BalancerTarget, PickContext } from './balancer.js';

export class RoundRobinBalancer<T extends BalancerTarget> implements Balancer<T> {
  readonly #targets: readonly T[];
  #next = 0;

  constructor(targets: readonly T[]) {
    this.#targets = [...targets];
  }

  pick(ctx: PickContext<T>): T | undefined {
    const n = this.#targets.length;
    for (let step = 0; step < n; step++) {
      const i = (this.#next + step) % n;
      const t = this.#targets[i]!;
      if (ctx.isAvailable(t)) {
        this.#next = (i + 1) % n;
        return t;
      }
    }
    return undefined;
  }
}

export function createRoundRobin<T extends BalancerTarget>(targets: readonly T[], _options: BalancerOptions = {}): Balancer<T> {
  return new RoundRobinBalancer(targets);
}

// weighted_round_robin: nginx's smooth weighted round robin.
// Each round every available target gains its weight; the one with the highest running total wins
// and gives back the round's total weight. Weights 5:1:1 over a, b, c give a a b a c a a, repeating:
// the heavy target is spread out instead of served in a burst. Unavailable targets sit the round out
// (their running totals are left alone).
import type { Balancer, BalancerOptions, BalancerTarget, PickContext } from './balancer.js';
import { effectiveWeight } from './common.js';

export class WeightedRoundRobinBalancer<T extends BalancerTarget> implements Balancer<T> {
  readonly #targets: readonly T[];
  readonly #weights: readonly number[];
  readonly #current: number[];

  constructor(targets: readonly T[]) {
    this.#targets = [...targets];
    this.#weights = this.#targets.map(effectiveWeight);
    this.#current = this.#targets.map(() => 0);
  }

  pick(ctx: PickContext<T>): T | undefined {
    let best = -1;
    let total = 0;
    for (let i = 0; i < this.#targets.length; i++) {
      if (!ctx.isAvailable(this.#targets[i]!)) continue;
      const w = this.#weights[i]!;
      this.#current[i]! += w;
      total += w;
      if (best < 0 || this.#current[i]! > this.#current[best]!) best = i;
    }
    if (best < 0) return undefined;
    this.#current[best]! -= total;
    return this.#targets[best];
  }
}

export function createWeightedRoundRobin<T extends BalancerTarget>(
  targets: readonly T[],
  _options: BalancerOptions = {},
): Balancer<T> {
  return new WeightedRoundRobinBalancer(targets);
}

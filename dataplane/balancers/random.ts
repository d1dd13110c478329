// random: a random available target, with probability proportional to its weight
// (uniform when the weights are equal). The source is options.random, Math.random by default.
import type { Balancer, BalancerOptions, BalancerTarget, PickContext } from './balancer.js';
import { effectiveWeight, unitRandom } from './common.js';

/**
 * Draws one available target from `targets` (weights given alongside) with one call to `random`.
 * Shared with consistent_hash for requests that carry no key.
 */
export function pickWeightedRandom<T extends BalancerTarget>(
  targets: readonly T[],
  weights: readonly number[],
  ctx: PickContext<T>,
  random: () => number,
): T | undefined {
  const available: number[] = [];
  let total = 0;
  for (let i = 0; i < targets.length; i++) {
    if (!ctx.isAvailable(targets[i]!)) continue;
    available.push(i);
    total += weights[i]!;
  }
  if (available.length === 0) return undefined;
  let r = unitRandom(random) * total;
  for (const i of available) {
    r -= weights[i]!;
    if (r < 0) return targets[i];
  }
  return targets[available[available.length - 1]!]; // rounding left r at ~0
}

export class RandomBalancer<T extends BalancerTarget> implements Balancer<T> {
  readonly #targets: readonly T[];
  readonly #weights: readonly number[];
  readonly #random: () => number;

  constructor(targets: readonly T[], options: BalancerOptions = {}) {
    this.#targets = [...targets];
    this.#weights = this.#targets.map(effectiveWeight);
    this.#random = options.random ?? Math.random;
  }

  pick(ctx: PickContext<T>): T | undefined {
    return pickWeightedRandom(this.#targets, this.#weights, ctx, this.#random);
  }
}

export function createRandom<T extends BalancerTarget>(targets: readonly T[], options: BalancerOptions = {}): Balancer<T> {
  return new RandomBalancer(targets, options);
}

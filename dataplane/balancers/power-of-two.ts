// power_of_two ("power of two random choices"): draw two distinct available targets uniformly at
// random and send the request to the one with the lower (load + 1) / weight; on a tie the first
// draw wins. Near least-connections quality without every data plane herding onto the same target.
import type { Balancer, BalancerOptions, BalancerTarget, PickContext } from './balancer.js';
import { compareLoad, effectiveLoad, effectiveWeight, randomIndex } from './common.js';

export class PowerOfTwoBalancer<T extends BalancerTarget> implements Balancer<T> {
  readonly #targets: readonly T[];
  readonly #weights: readonly number[];
  readonly #random: () => number;

  constructor(targets: readonly T[], options: BalancerOptions = {}) {
    this.#targets = [...targets];
    this.#weights = this.#targets.map(effectiveWeight);
    this.#random = options.random ?? Math.random;
  }

  pick(ctx: PickContext<T>): T | undefined {
    const available: number[] = [];
    for (let i = 0; i < this.#targets.length; i++) {
      if (ctx.isAvailable(this.#targets[i]!)) available.push(i);
    }
    const n = available.length;
    if (n === 0) return undefined;
    if (n === 1) return this.#targets[available[0]!];
    const first = randomIndex(this.#random, n);
    let second = randomIndex(this.#random, n - 1);
    if (second >= first) second++; // distinct from the first draw, still uniform
    const a = available[first]!;
    const b = available[second]!;
    const ta = this.#targets[a]!;
    const tb = this.#targets[b]!;
    const cmp = compareLoad(effectiveLoad(ctx.load(ta)), this.#weights[a]!, effectiveLoad(ctx.load(tb)), this.#weights[b]!);
    return cmp <= 0 ? ta : tb;
  }
}

export function createPowerOfTwo<T extends BalancerTarget>(targets: readonly T[], options: BalancerOptions = {}): Balancer<T> {
  return new PowerOfTwoBalancer(targets, options);
}

// Bounded load ("consistent hashing with bounded loads", Mirrokni et al.; Envoy's hash_balance_factor)
// as a wrapper around any key-based balancer: a target already carrying more than its share is
// treated as unavailable for this pick, so the inner balancer walks on to the next one. The share
// of a target is ceil(factor × (totalLoad + 1) × weight / availableWeight). Worked example:
// factor 1.25, three equal targets carrying 4, 0 and 0 (total 4): the share is
// ceil(1.25 × 5 / 3) = 3, so the first (4 + 1 > 3) is passed over and the ring's next target
// takes the request. If every available target is over its share, the inner balancer picks as if
// there were no bound (on a ring: the first available target on the walk).
// A pick without a key is not bounded: the inner balancer spreads those by weight already.
import type { Balancer, BalancerTarget, PickContext } from './balancer.js';
import { effectiveLoad, effectiveWeight } from './common.js';

export function withBoundedLoad<T extends BalancerTarget>(inner: Balancer<T>, targets: readonly T[], factor: number | undefined): Balancer<T> {
  if (factor === undefined || !Number.isFinite(factor) || factor <= 0) return inner;
  const list = [...targets];
  const weights = list.map(effectiveWeight);
  const indexOf = new Map(list.map((t, i) => [t, i]));
  return {
    pick(ctx: PickContext<T>): T | undefined {
      if (ctx.key === undefined || ctx.key === '') return inner.pick(ctx);
      // Availability and load of each target, asked once per pick.
      const loads = new Float64Array(list.length).fill(-1); // -1 = unavailable
      let totalLoad = 0;
      let availableWeight = 0;
      for (let i = 0; i < list.length; i++) {
        if (!ctx.isAvailable(list[i]!)) continue;
        loads[i] = effectiveLoad(ctx.load(list[i]!));
        totalLoad += loads[i]!;
        availableWeight += weights[i]!;
      }
      if (availableWeight === 0) return undefined;
      const capPerWeight = (factor * (totalLoad + 1)) / availableWeight;
      const underCap: PickContext<T> = {
        isAvailable: (t) => {
          const i = indexOf.get(t);
          return i !== undefined && loads[i]! >= 0 && loads[i]! + 1 <= Math.ceil(capPerWeight * weights[i]!);
        },
        load: ctx.load,
        key: ctx.key,
      };
      return inner.pick(underCap) ?? inner.pick(ctx);
    },
  };
}

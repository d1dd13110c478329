import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Balancer, BalancerTarget, PickContext } from '../../../dataplane/balancers/balancer.js';
import { withBoundedLoad } from '../../../dataplane/balancers/bounded-load.js';
import { equal, pickContext } from '../../kit/balancing.js';

/** A key-based stand-in: the first available target in list order (what a ring walk does from its start). */
function firstAvailable(targets: readonly BalancerTarget[]): Balancer<BalancerTarget> {
  return { pick: (ctx: PickContext<BalancerTarget>) => targets.find((t) => ctx.isAvailable(t)) };
}

describe('withBoundedLoad', () => {
  const abc = equal('abc');
  const cases: Array<[name: string, loads: Record<string, number>, down: string, key: string | undefined, expected: string | undefined]> = [
    // factor 1.25, total 4 over 3 targets: share ceil(1.25 × 5 / 3) = 3; a carries 4 → passed over
    ['a target over its share is passed over', { a: 4 }, '', 'k', 'b'],
    // total 2: share ceil(1.25 × 3 / 3) = 2; a carries 1 → 1 + 1 ≤ 2, stays
    ['a target within its share keeps the key', { a: 1, b: 1 }, '', 'k', 'a'],
    // only a available, over any share: the inner choice stands
    ['when every available target is over its share, the inner pick stands', { a: 9 }, 'bc', 'k', 'a'],
    ['nothing available: nothing', {}, 'abc', 'k', undefined],
    ['a pick without a key is not bounded', { a: 9 }, '', undefined, 'a'],
  ];
  for (const [name, loads, down, key, expected] of cases) {
    it(name, () => {
      const b = withBoundedLoad(firstAvailable(abc), abc, 1.25);
      assert.equal(b.pick(pickContext({ loads, down, key }))?.id, expected);
    });
  }

  it('without a factor it is the inner balancer itself', () => {
    const inner = firstAvailable(abc);
    assert.equal(withBoundedLoad(inner, abc, undefined), inner);
    assert.equal(withBoundedLoad(inner, abc, 0), inner);
  });
});

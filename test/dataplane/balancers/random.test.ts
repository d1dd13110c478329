import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../../dataplane/balancers/random.js';
import type { BalancerTarget, PickContext } from '../../../dataplane/balancers/balancer.js';
import { pickContext, scripted, weighted } from '../../kit/balancing.js';

type T = BalancerTarget;
const ctx = (down = ''): PickContext<T> => pickContext({ down });

describe('random', () => {
  const cases: Array<[name: string, weights: number[], down: string, randoms: number[], expected: string]> = [
    ['uniform over equal weights', [1, 1, 1], '', [0, 0.32, 0.34, 0.66, 0.67, 0.999], 'aabbcc'],
    ['proportional to weight (1:3)', [1, 3], '', [0, 0.24, 0.25, 0.5, 0.99], 'aabbb'],
    ['only available targets take part', [1, 1, 1], 'b', [0, 0.49, 0.5, 0.99], 'aacc'],
    ['weights below 1 count as 1', [0, -2], '', [0.49, 0.5], 'ab'],
    ['a random() of 1 or NaN cannot go out of range', [1, 1], '', [1, Number.NaN, -0.5], 'baa'],
    ['nothing available', [1, 1], 'ab', [0.5], '-'],
    ['no targets', [], '', [0.5], '-'],
  ];
  for (const [name, weights, down, randoms, expected] of cases) {
    it(name, () => {
      const b = createRandom(weighted(weights), { random: scripted(randoms) });
      const seq = randoms.map(() => b.pick(ctx(down))?.id ?? '-').join('');
      assert.equal(seq, expected);
    });
  }

  it('uses Math.random when no source is given', () => {
    const b = createRandom(weighted([1, 1, 1]));
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(b.pick(ctx())!.id);
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
  });
});

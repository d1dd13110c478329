import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createWeightedRoundRobin } from '../../../dataplane/balancers/weighted-round-robin.js';
import type { Balancer, BalancerTarget, PickContext } from '../../../dataplane/balancers/balancer.js';
import { pickContext, picks, weighted } from '../../kit/balancing.js';

const ctx = (down = ''): PickContext<BalancerTarget> => pickContext({ down });
const counts = (s: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const ch of s) out[ch] = (out[ch] ?? 0) + 1;
  return out;
};

describe('weighted_round_robin (smooth)', () => {
  const sequences: Array<[name: string, weights: number[], down: string, n: number, expected: string]> = [
    ['5:1:1 spreads the heavy target out, repeating', [5, 1, 1], '', 14, 'aabacaa' + 'aabacaa'],
    ['5:3:1', [5, 3, 1], '', 9, 'abacababa'],
    ['equal weights behave like round robin', [2, 2, 2], '', 6, 'abcabc'],
    ['5:1:1 with b unavailable: a and c share the rounds 5:1', [5, 1, 1], 'b', 12, 'aaacaa' + 'aaacaa'],
    ['weights below 1 count as 1', [0, -3, 1], '', 6, 'abcabc'],
    ['nothing available', [5, 1, 1], 'abc', 2, '--'],
    ['no targets', [], '', 2, '--'],
  ];
  for (const [name, weights, down, n, expected] of sequences) {
    it(name, () => assert.equal(picks(createWeightedRoundRobin(weighted(weights)), n, ctx(down)), expected));
  }

  const distributions: Array<[weights: number[], expected: Record<string, number>]> = [
    [[5, 1, 1], { a: 5, b: 1, c: 1 }],
    [[5, 3, 1], { a: 5, b: 3, c: 1 }],
    [[1, 2, 3, 4], { a: 1, b: 2, c: 3, d: 4 }],
  ];
  for (const [weights, expected] of distributions) {
    it(`serves exactly ${weights.join(':')} over each cycle of ${weights.reduce((x, y) => x + y)} picks`, () => {
      const b = createWeightedRoundRobin(weighted(weights));
      const cycle = weights.reduce((x, y) => x + y);
      for (let round = 0; round < 3; round++) assert.deepEqual(counts(picks(b, cycle)), expected);
    });
  }

  it('an unavailable target sits out and rejoins without a burst', () => {
    const b = createWeightedRoundRobin(weighted([1, 1, 1]));
    assert.equal(picks(b, 4, ctx('c')), 'abab');
    // c was not accumulating credit while it was out, so it does not get a run of picks on return.
    const after = picks(b, 6);
    assert.deepEqual(counts(after), { a: 2, b: 2, c: 2 });
    assert.ok(!after.includes('cc'), after);
  });
});

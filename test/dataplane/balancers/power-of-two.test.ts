import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPowerOfTwo } from '../../../dataplane/balancers/power-of-two.js';
import type { BalancerTarget, PickContext } from '../../../dataplane/balancers/balancer.js';
import { equal, pickContext, scripted } from '../../kit/balancing.js';

type T = BalancerTarget;
const ctx = (loads: Record<string, number>, down = ''): PickContext<T> => pickContext({ loads, down });

describe('power_of_two', () => {
  const cases: Array<[name: string, targets: T[], loads: Record<string, number>, down: string, randoms: number[], expected: string]> = [
    // draws: first = floor(r1 × n), second = floor(r2 × (n - 1)), bumped past the first
    ['the less loaded of the two draws wins (a vs c)', equal('abc'), { a: 5, b: 0, c: 3 }, '', [0, 0.5], 'c'],
    ['an idle target not drawn cannot win (b vs c)', equal('abcd'), { a: 0, b: 4, c: 2, d: 0 }, '', [0.25, 0.4], 'c'],
    ['draws are distinct even when random() repeats', equal('abc'), { a: 1, b: 0 }, '', [0, 0], 'b'],
    ['ties go to the first draw', equal('abc'), { a: 2, b: 2, c: 2 }, '', [0.9, 0], 'c'],
    [
      'weight-aware: (5+1)/4 beats (1+1)/1',
      [{ id: 'a', weight: 4 }, { id: 'b', weight: 1 }],
      { a: 5, b: 1 },
      '',
      [0, 0],
      'a',
    ],
    ['weight below 1 counts as 1', [{ id: 'a', weight: 0 }, { id: 'b', weight: 1 }], { a: 1, b: 0 }, '', [0, 0], 'b'],
    ['draws only among available targets', equal('abc'), { a: 0, b: 9, c: 5 }, 'a', [0, 0], 'c'],
    ['nothing available', equal('ab'), {}, 'ab', [0, 0], '-'],
    ['no targets', [], {}, '', [0, 0], '-'],
  ];
  for (const [name, targets, loads, down, randoms, expected] of cases) {
    it(name, () => {
      const b = createPowerOfTwo(targets, { random: scripted(randoms) });
      assert.equal(b.pick(ctx(loads, down))?.id ?? '-', expected);
    });
  }

  it('a single available target is returned without drawing', () => {
    const random = scripted([0.5]);
    const b = createPowerOfTwo(equal('abc'), { random });
    assert.equal(b.pick(ctx({ b: 100 }, 'ac'))?.id, 'b');
    assert.equal(random.calls(), 0);
  });

  it('keeps load even under a stream of held requests', () => {
    // A fixed-seed generator (mulberry32) keeps the run reproducible.
    let seed = 42;
    const random = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let x = Math.imul(seed ^ (seed >>> 15), seed | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const b = createPowerOfTwo(equal('abcd'), { random });
    const loads: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const t = b.pick(ctx(loads))!;
      loads[t.id] = (loads[t.id] ?? 0) + 1;
    }
    // With two choices the most loaded target stays within a couple of requests of the least.
    const values = Object.values(loads);
    assert.equal(values.length, 4);
    assert.ok(Math.max(...values) - Math.min(...values) <= 3, JSON.stringify(loads));
  });
});

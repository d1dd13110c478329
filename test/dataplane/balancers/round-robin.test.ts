import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRoundRobin } from '../../../dataplane/balancers/round-robin.js';
import type { BalancerTarget, PickContext } from '../../../dataplane/balancers/balancer.js';
import { equal, pickContext, picks } from '../../kit/balancing.js';

const targets = equal;
const ctx = (down = ''): PickContext<BalancerTarget> => pickContext({ down });

describe('round_robin', () => {
  const cases: Array<[name: string, ids: string, down: string, n: number, expected: string]> = [
    ['cycles in order', 'abc', '', 7, 'abcabca'],
    ['skips an unavailable target', 'abc', 'b', 6, 'acacac'],
    ['skips several unavailable targets', 'abcd', 'ac', 4, 'bdbd'],
    ['single target', 'a', '', 3, 'aaa'],
    ['nothing available', 'abc', 'abc', 2, '--'],
    ['no targets', '', '', 2, '--'],
  ];
  for (const [name, ids, down, n, expected] of cases) {
    it(name, () => assert.equal(picks(createRoundRobin(targets(ids)), n, ctx(down)), expected));
  }

  it('ignores weights', () => {
    const b = createRoundRobin([{ id: 'a', weight: 5 }, { id: 'b', weight: 1 }]);
    assert.equal(picks(b, 4), 'abab');
  });

  it('continues after the last pick when availability changes', () => {
    const b = createRoundRobin(targets('abcd'));
    assert.equal(picks(b, 2), 'ab');
    assert.equal(picks(b, 2, ctx('c')), 'da');
    assert.equal(picks(b, 3), 'bcd');
  });

  it('recovers when targets come back after everything was down', () => {
    const b = createRoundRobin(targets('abc'));
    assert.equal(picks(b, 1), 'a');
    assert.equal(picks(b, 1, ctx('abc')), '-');
    assert.equal(picks(b, 3), 'bca');
  });
});

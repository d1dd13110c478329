import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLeastConnections } from '../../../dataplane/balancers/least-connections.js';
import type { Balancer, BalancerTarget, PickContext } from '../../../dataplane/balancers/balancer.js';
import { equal, pickContext, picks } from '../../kit/balancing.js';

type T = BalancerTarget;
const ctxWith = (loads: Record<string, number>, down = ''): PickContext<T> => pickContext({ loads, down });

describe('least_connections', () => {
  const single: Array<[name: string, targets: T[], loads: Record<string, number>, down: string, expected: string]> = [
    ['fewest in-flight wins', equal('abc'), { a: 3, b: 1, c: 2 }, '', 'b'],
    ['an unavailable target is skipped even when idle', equal('abc'), { a: 3, b: 0, c: 2 }, 'b', 'c'],
    [
      'weight-aware: (4+1)/3 beats (1+1)/1',
      [{ id: 'a', weight: 3 }, { id: 'b', weight: 1 }],
      { a: 4, b: 1 },
      '',
      'a',
    ],
    [
      'weight-aware: (6+1)/3 loses to (1+1)/1',
      [{ id: 'a', weight: 3 }, { id: 'b', weight: 1 }],
      { a: 6, b: 1 },
      '',
      'b',
    ],
    ['weight below 1 counts as 1', [{ id: 'a', weight: 0 }, { id: 'b', weight: 1 }], { a: 0, b: 1 }, '', 'a'],
    ['nothing available', equal('ab'), {}, 'ab', '-'],
    ['no targets', [], {}, '', '-'],
  ];
  for (const [name, targets, loads, down, expected] of single) {
    it(name, () => assert.equal(createLeastConnections(targets).pick(ctxWith(loads, down))?.id ?? '-', expected));
  }

  it('splits open connections in proportion to weight', () => {
    const targets: T[] = [{ id: 'a', weight: 3 }, { id: 'b', weight: 1 }, { id: 'c', weight: 2 }];
    const loads: Record<string, number> = {};
    const b = createLeastConnections(targets);
    const c = ctxWith(loads);
    for (let i = 0; i < 60; i++) {
      const t = b.pick(c)!;
      loads[t.id] = (loads[t.id] ?? 0) + 1; // connections are held, never released
    }
    assert.deepEqual(loads, { a: 30, b: 10, c: 20 });
  });

  it('rotates among tied targets instead of always taking the first', () => {
    const b = createLeastConnections(equal('abc'));
    assert.equal(picks(b, 6, ctxWith({})), 'abcabc');
  });

  it('rotates only among the tied ones', () => {
    const b = createLeastConnections(equal('abcd'));
    assert.equal(picks(b, 6, ctxWith({ b: 5, d: 2 })), 'acacac');
  });

  it('ties between different weights with equal ratios rotate too', () => {
    // (1+1)/2 == (0+1)/1
    const b = createLeastConnections([{ id: 'a', weight: 2 }, { id: 'b', weight: 1 }]);
    assert.equal(picks(b, 4, ctxWith({ a: 1, b: 0 })), 'abab');
  });

  it('treats a nonsense load report as idle instead of failing', () => {
    const b = createLeastConnections(equal('ab'));
    assert.equal(b.pick(ctxWith({ a: 2, b: Number.NaN }))?.id, 'b');
  });
});

// One contract every balancer honours, run against each algorithm in the registry: empty and
// all-unavailable sets give no pick, one backend is always picked, an unavailable backend never is,
// retries walk through every backend exactly once, and weights are honoured.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BalancerTarget, PickContext } from '../../../dataplane/balancers/balancer.js';
import { ALGORITHMS, createBalancer } from '../../../dataplane/balancers/registry.js';
import { pickContext, seeded } from '../../kit/balancing.js';

interface T extends BalancerTarget {
  readonly id: string;
  readonly weight: number;
}

function ctx(opts: { available?: (t: T) => boolean; load?: Map<string, number>; key?: string } = {}): PickContext<T> {
  return pickContext({ available: opts.available, loads: opts.load, key: opts.key });
}

const three: T[] = [
  { id: 'a', weight: 1 },
  { id: 'b', weight: 1 },
  { id: 'c', weight: 1 },
];

for (const name of ALGORITHMS) {
  describe(`balancer contract: ${name}`, () => {
    it('picks nothing from an empty set or when nothing is available', () => {
      assert.equal(createBalancer<T>(name, [], { random: seeded(1) }).pick(ctx({ key: 'k' })), undefined);
      const b = createBalancer<T>(name, three, { random: seeded(1) });
      for (let i = 0; i < 10; i++) assert.equal(b.pick(ctx({ available: () => false, key: `k${i}` })), undefined);
    });

    it('always picks the only backend', () => {
      const only = [{ id: 'solo', weight: 3 }];
      const b = createBalancer<T>(name, only, { random: seeded(2) });
      for (let i = 0; i < 20; i++) assert.equal(b.pick(ctx({ key: `key-${i}` }))?.id, 'solo');
    });

    it('never returns an unavailable backend', () => {
      const b = createBalancer<T>(name, three, { random: seeded(3) });
      for (let i = 0; i < 300; i++) {
        const picked = b.pick(ctx({ available: (t) => t.id !== 'b', key: `user-${i}` }));
        assert.ok(picked && picked.id !== 'b', `pick ${i}: ${picked?.id}`);
      }
    });

    it('a retry that excludes tried backends reaches every backend once, then none', () => {
      const b = createBalancer<T>(name, three, { random: seeded(4) });
      for (let round = 0; round < 20; round++) {
        const tried: string[] = [];
        for (;;) {
          const picked = b.pick(ctx({ available: (t) => !tried.includes(t.id), key: `retry-${round}` }));
          if (!picked) break;
          tried.push(picked.id);
          assert.ok(tried.length <= 3, 'no backend picked twice');
        }
        assert.deepEqual([...tried].sort(), ['a', 'b', 'c'], `round ${round}`);
      }
    });

    const weightBlind = name === 'round_robin';
    it(weightBlind ? 'ignores weights (equal turns), as plain round robin should' : 'honours weights', () => {
      const weighted: T[] = [
        { id: 'heavy', weight: 3 },
        { id: 'light', weight: 1 },
      ];
      const b = createBalancer<T>(name, weighted, { random: seeded(5) });
      const load = new Map<string, number>();
      const counts = { heavy: 0, light: 0 };
      const picks = 4000;
      for (let i = 0; i < picks; i++) {
        // Load-aware algorithms see the picks pile up (nothing completes), as under a burst.
        const picked = b.pick(ctx({ load, key: `client-${i}` }))!;
        load.set(picked.id, (load.get(picked.id) ?? 0) + 1);
        counts[picked.id as 'heavy' | 'light']++;
      }
      const share = counts.heavy / picks;
      if (weightBlind) assert.equal(counts.heavy, counts.light);
      else assert.ok(Math.abs(share - 0.75) < 0.06, `heavy got ${(share * 100).toFixed(1)}% (expected about 75%)`);
    });
  });
}

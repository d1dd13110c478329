import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConsistentHash } from '../../../dataplane/balancers/consistent-hash.js';
import { hash32 } from '../../../dataplane/balancers/hash.js';
import type { Balancer, BalancerOptions, BalancerTarget, PickContext } from '../../../dataplane/balancers/balancer.js';
import { pickContext, scripted } from '../../kit/balancing.js';

type T = BalancerTarget;
const POOL: T[] = ['alpha', 'bravo', 'charlie', 'delta'].map((name) => ({ id: `pool-a/http://${name}:8080`, weight: 1 }));
const KEYS = Array.from({ length: 2000 }, (_, i) => `/users/${i}`);
const ctx = (key: string | undefined, down: readonly string[] = [], loads: Record<string, number> = {}): PickContext<T> => pickContext({ key, down, loads });
const assignment = (b: Balancer<T>, down: readonly string[] = []): Map<string, string> =>
  new Map(KEYS.map((k) => [k, b.pick(ctx(k, down))!.id]));

describe('consistent_hash', () => {
  it('maps a key to the same target from separately built rings, whatever the target order', () => {
    const one = assignment(createConsistentHash(POOL));
    assert.deepEqual(assignment(createConsistentHash(POOL.map((t) => ({ ...t })))), one);
    assert.deepEqual(assignment(createConsistentHash([...POOL].reverse())), one);
    assert.equal(new Set(one.values()).size, 4);
  });

  it('removing one of 4 targets moves only the keys that were on it', () => {
    for (const removed of POOL) {
      const before = assignment(createConsistentHash(POOL));
      const after = assignment(createConsistentHash(POOL.filter((t) => t !== removed)));
      let moved = 0;
      for (const k of KEYS) {
        if (before.get(k) === removed.id) {
          assert.notEqual(after.get(k), removed.id);
          moved++;
        } else {
          assert.equal(after.get(k), before.get(k), `${k} moved although its target stayed`);
        }
      }
      assert.ok(moved > 0, 'the removed target had keys');
    }
  });

  it('an unavailable target sends its keys exactly where removing it would', () => {
    const ring = createConsistentHash(POOL);
    const down = [POOL[2]!.id];
    assert.deepEqual(assignment(ring, down), assignment(createConsistentHash(POOL.filter((t) => t.id !== down[0]))));
  });

  it('adding a target only takes keys for itself', () => {
    const before = assignment(createConsistentHash(POOL));
    const added: T = { id: 'pool-a/http://echo:8080', weight: 1 };
    const after = assignment(createConsistentHash([...POOL, added]));
    let taken = 0;
    for (const k of KEYS) {
      if (after.get(k) === added.id) taken++;
      else assert.equal(after.get(k), before.get(k));
    }
    assert.ok(taken > 200 && taken < 600, `new target took ${taken} of 2000 keys`);
  });

  it('gives each target a share of keys proportional to its weight', () => {
    const weights = [1, 2, 3, 4];
    const targets: T[] = weights.map((weight, i) => ({ id: `backend-${i}`, weight }));
    const b = createConsistentHash(targets);
    const counts = new Map<string, number>();
    const total = 20000;
    for (let i = 0; i < total; i++) {
      const id = b.pick(ctx(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`))!.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    targets.forEach((t, i) => {
      const expected = (total * weights[i]!) / 10;
      const got = counts.get(t.id) ?? 0;
      assert.ok(Math.abs(got - expected) / expected < 0.15, `${t.id}: ${got} keys, expected about ${expected}`);
    });
  });

  it('places virtual nodes at hash(`${id}#${i}`), 160 per unit of weight', () => {
    const targets: T[] = [{ id: 'x', weight: 1 }, { id: 'y', weight: 2 }];
    const b = createConsistentHash(targets);
    const owners = new Map<number, string>();
    for (const t of targets) for (let i = 0; i < 160 * t.weight; i++) owners.set(hash32(`${t.id}#${i}`), t.id);
    const sorted = [...owners.keys()].sort((p, q) => p - q);
    // Every key lands on the owner of the first node at or after its hash.
    for (let k = 0; k < 500; k++) {
      const h = hash32(`key${k}`);
      const node = sorted.find((p) => p >= h) ?? sorted[0]!;
      assert.equal(b.pick(ctx(`key${k}`))!.id, owners.get(node), `key${k}`);
    }
  });

  it('copes with the largest weights by capping the ring size, keeping the proportions', () => {
    const targets: T[] = [{ id: 'huge', weight: 1_000_000 }, { id: 'big', weight: 500_000 }, { id: 'tiny', weight: 1 }];
    const b = createConsistentHash(targets);
    const counts = new Map<string, number>();
    for (const k of KEYS) {
      const id = b.pick(ctx(k))!.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const huge = counts.get('huge') ?? 0;
    const big = counts.get('big') ?? 0;
    assert.ok(huge + big >= KEYS.length - 2, JSON.stringify([...counts]));
    assert.ok(Math.abs(huge / big - 2) < 0.3, JSON.stringify([...counts]));
    assert.equal(b.pick(ctx(KEYS[0], ['huge', 'big']))!.id, 'tiny');
  });

  it('walks past several unavailable targets and returns undefined when none is left', () => {
    const b = createConsistentHash(POOL);
    const up = POOL[3]!.id;
    const down = POOL.map((t) => t.id).filter((id) => id !== up);
    for (const k of KEYS.slice(0, 100)) assert.equal(b.pick(ctx(k, down))?.id, up);
    assert.equal(b.pick(ctx('k', POOL.map((t) => t.id))), undefined);
    assert.equal(createConsistentHash([]).pick(ctx('k')), undefined);
  });

  it('treats weight below 1 as 1', () => {
    const zero = assignment(createConsistentHash(POOL.map((t) => ({ ...t, weight: 0 }))));
    assert.deepEqual(zero, assignment(createConsistentHash(POOL)));
  });

  describe('bounded load', () => {
    const hotKey = '/very/popular';
    // Sends `n` requests for the hot key, holding every one open, and returns the loads.
    const run = (options: BalancerOptions, n: number): Record<string, number> => {
      const b = createConsistentHash(POOL, options);
      const loads: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const t = b.pick(ctx(hotKey, [], loads))!;
        loads[t.id] = (loads[t.id] ?? 0) + 1;
      }
      return loads;
    };

    it('without it, a hot key piles onto one target', () => {
      const loads = run({}, 100);
      assert.deepEqual(Object.values(loads), [100]);
    });

    it('with factor 1.25, a hot key spills over and no target exceeds its cap', () => {
      const loads = run({ hashBalanceFactor: 1.25 }, 100);
      assert.equal(Object.keys(loads).length, 4);
      for (const [id, n] of Object.entries(loads)) assert.ok(n <= Math.ceil((1.25 * 100) / 4), `${id}: ${n}`);
    });

    it('scales each target\'s cap by its weight', () => {
      const targets: T[] = [{ id: 'heavy', weight: 3 }, { id: 'light', weight: 1 }];
      for (const key of ['/very/popular', 'x', 'y']) {
        const b = createConsistentHash(targets, { hashBalanceFactor: 1.25 });
        const loads: Record<string, number> = { heavy: 0, light: 0 };
        for (let i = 0; i < 100; i++) {
          const t = b.pick(pickContext({ loads, key }))!;
          loads[t.id]!++;
        }
        // caps at the end: ceil(1.25 × 100 × 3/4) = 94 and ceil(1.25 × 100 × 1/4) = 32
        assert.ok(loads.light! <= 32 && loads.heavy! <= 94, `${key}: ${JSON.stringify(loads)}`);
        // an equal split of the cap would stop the heavy target at ceil(1.25 × 100 / 2) = 63
        assert.ok(loads.heavy! > 63, `${key}: ${JSON.stringify(loads)}`);
      }
    });

    it('keeps the ring choice while the target is under its cap', () => {
      const plain = createConsistentHash(POOL).pick(ctx(hotKey))!.id;
      const bounded = createConsistentHash(POOL, { hashBalanceFactor: 1.25 });
      // One in flight on each target: cap = ceil(1.25 × (4 + 1) / 4) = 2, and the owner's 1 + 1 fits.
      const even = Object.fromEntries(POOL.map((t) => [t.id, 1]));
      assert.equal(bounded.pick(ctx(hotKey, [], even))!.id, plain);
      // All 3 in flight on the owner: cap = ceil(1.25 × 4 / 4) = 2 < 3 + 1, so the next target
      // clockwise (the one it would get were the owner down) takes the request.
      const spilled = bounded.pick(ctx(hotKey, [], { [plain]: 3 }))!.id;
      assert.notEqual(spilled, plain);
      assert.equal(spilled, createConsistentHash(POOL).pick(ctx(hotKey, [plain]))!.id);
    });

    it('falls back to the ring choice when every target is over the cap', () => {
      const plain = createConsistentHash(POOL).pick(ctx(hotKey))!.id;
      const loads = Object.fromEntries(POOL.map((t) => [t.id, 10]));
      // factor 0.1: cap = ceil(0.1 × 41 / 4) = 2, every target carries 10.
      assert.equal(createConsistentHash(POOL, { hashBalanceFactor: 0.1 }).pick(ctx(hotKey, [], loads))!.id, plain);
    });

    it('skips unavailable targets while bounding', () => {
      const loads = run({ hashBalanceFactor: 1.25 }, 0);
      const b = createConsistentHash(POOL, { hashBalanceFactor: 1.25 });
      const down = [POOL[0]!.id, POOL[1]!.id];
      for (let i = 0; i < 40; i++) {
        const t = b.pick(ctx(hotKey, down, loads))!;
        assert.ok(!down.includes(t.id));
        loads[t.id] = (loads[t.id] ?? 0) + 1;
      }
      const counts = Object.values(loads);
      assert.equal(counts.length, 2);
      for (const n of counts) assert.ok(n <= Math.ceil((1.25 * 40) / 2), `load ${n}`);
    });
  });

  describe('without a key', () => {
    it('picks a random available target (weighted)', () => {
      const targets: T[] = [{ id: 'a', weight: 1 }, { id: 'b', weight: 3 }, { id: 'c', weight: 1 }];
      const b = createConsistentHash(targets, { random: scripted([0, 0.2, 0.5, 0.79, 0.81, 0.99]) });
      const seq = Array.from({ length: 6 }, () => b.pick(ctx(undefined))!.id).join('');
      assert.equal(seq, 'abbbcc');
    });

    it('only among available targets, undefined when none', () => {
      const targets: T[] = [{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }];
      const b = createConsistentHash(targets, { random: scripted([0]) });
      assert.equal(b.pick(ctx(undefined, ['a']))!.id, 'b');
      assert.equal(b.pick(ctx('', ['a', 'b'])), undefined);
    });
  });
});

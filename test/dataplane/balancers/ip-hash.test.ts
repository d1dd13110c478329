import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createIpHash } from '../../../dataplane/balancers/ip-hash.js';
import type { BalancerTarget, PickContext } from '../../../dataplane/balancers/balancer.js';
import { pickContext } from '../../kit/balancing.js';

type T = BalancerTarget;
const equal = (ids: string[]): T[] => ids.map((id) => ({ id, weight: 1 }));
const POOL = equal(['http://10.1.0.1:80', 'http://10.1.0.2:80', 'http://10.1.0.3:80', 'http://10.1.0.4:80']);
const ctx = (key: string | undefined, down: readonly string[] = []): PickContext<T> => pickContext({ key, down });
const clients = Array.from({ length: 1000 }, (_, i) => `192.168.${i >> 8}.${i & 255}`);

describe('ip_hash', () => {
  it('sends a client to the same target every time, from separately created balancers', () => {
    const one = createIpHash(POOL);
    const two = createIpHash(POOL.map((t) => ({ ...t }))); // another data plane's copy of the snapshot
    for (const ip of clients) {
      const first = one.pick(ctx(ip))!.id;
      assert.equal(one.pick(ctx(ip))!.id, first, ip);
      assert.equal(two.pick(ctx(ip))!.id, first, ip);
    }
  });

  it('does not depend on the order the targets are listed in', () => {
    const one = createIpHash(POOL);
    const reversed = createIpHash([...POOL].reverse());
    for (const ip of clients) assert.equal(reversed.pick(ctx(ip))!.id, one.pick(ctx(ip))!.id, ip);
  });

  it('spreads clients over all targets', () => {
    const b = createIpHash(POOL);
    const counts = new Map<string, number>();
    for (const ip of clients) {
      const id = b.pick(ctx(ip))!.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    assert.equal(counts.size, 4);
    for (const [id, n] of counts) assert.ok(n > 180 && n < 320, `${id}: ${n}`);
  });

  it('gives heavier targets proportionally more clients', () => {
    const b = createIpHash([{ id: 'light', weight: 1 }, { id: 'heavy', weight: 3 }]);
    let heavy = 0;
    for (const ip of clients) if (b.pick(ctx(ip))!.id === 'heavy') heavy++;
    assert.ok(heavy > 690 && heavy < 810, `heavy got ${heavy} of 1000`);
  });

  it('moves only the clients of an unavailable target, all data planes to the same place', () => {
    const one = createIpHash(POOL);
    const two = createIpHash([...POOL].reverse());
    const down = [POOL[1]!.id];
    let moved = 0;
    for (const ip of clients) {
      const before = one.pick(ctx(ip))!.id;
      const after = one.pick(ctx(ip, down))!.id;
      assert.notEqual(after, down[0]);
      assert.equal(two.pick(ctx(ip, down))!.id, after, ip);
      if (before !== down[0]) assert.equal(after, before, `${ip} moved off a healthy target`);
      else moved++;
    }
    assert.ok(moved > 0);
  });

  it('finds the last available target however unlucky the key', () => {
    const b = createIpHash(POOL);
    const onlyUp = POOL[2]!.id;
    const down = POOL.map((t) => t.id).filter((id) => id !== onlyUp);
    for (const ip of clients.slice(0, 200)) assert.equal(b.pick(ctx(ip, down))?.id, onlyUp);
  });

  it('returns undefined when nothing is available, or there are no targets', () => {
    assert.equal(createIpHash(POOL).pick(ctx('1.2.3.4', POOL.map((t) => t.id))), undefined);
    assert.equal(createIpHash([]).pick(ctx('1.2.3.4')), undefined);
  });

  it('behaves like round robin without a key (or with an empty one)', () => {
    const b = createIpHash(equal(['a', 'b', 'c']));
    // The fifth pick has b unavailable, so round robin moves on to c.
    const seq = Array.from({ length: 6 }, (_, i) => b.pick(ctx(i % 2 ? '' : undefined, i === 4 ? ['b'] : []))!.id).join('');
    assert.equal(seq, 'abcaca');
  });

  it('treats weight below 1 as 1', () => {
    const b = createIpHash([{ id: 'a', weight: 0 }, { id: 'b', weight: -5 }]);
    const seen = new Set(clients.map((ip) => b.pick(ctx(ip))!.id));
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALGORITHMS, canonicalAlgorithm, createBalancer, isKnownAlgorithm } from '../../../dataplane/balancers/registry.js';
import type { BalancerTarget, PickContext } from '../../../dataplane/balancers/balancer.js';
import { pickContext } from '../../kit/balancing.js';

type T = BalancerTarget;
const TARGETS: T[] = [{ id: 'a', weight: 5 }, { id: 'b', weight: 1 }, { id: 'c', weight: 1 }];
const ctx = (down = '', key?: string): PickContext<T> => pickContext({ down, key });

describe('balancer registry', () => {
  it('lists the 7 canonical algorithms', () => {
    assert.deepEqual(
      [...ALGORITHMS].sort(),
      ['consistent_hash', 'ip_hash', 'least_connections', 'power_of_two', 'random', 'round_robin', 'weighted_round_robin'],
    );
  });

  const spellings: Array<[input: string, canonical: string | undefined]> = [
    ['round_robin', 'round_robin'],
    ['round-robin', 'round_robin'],
    ['Round-Robin', 'round_robin'],
    ['ROUND_ROBIN', 'round_robin'],
    ['rr', 'round_robin'],
    ['weighted_round_robin', 'weighted_round_robin'],
    ['weighted-round-robin', 'weighted_round_robin'],
    ['weighted', 'weighted_round_robin'],
    ['wrr', 'weighted_round_robin'],
    ['WRR', 'weighted_round_robin'],
    ['least_connections', 'least_connections'],
    ['least-connections', 'least_connections'],
    ['least_conn', 'least_connections'],
    ['Least-Conn', 'least_connections'],
    ['ip_hash', 'ip_hash'],
    ['ip-hash', 'ip_hash'],
    ['iphash', 'ip_hash'],
    ['IPHash', 'ip_hash'],
    ['consistent_hash', 'consistent_hash'],
    ['consistent-hash', 'consistent_hash'],
    ['consistent', 'consistent_hash'],
    ['ketama', 'consistent_hash'],
    ['random', 'random'],
    ['Random', 'random'],
    ['power_of_two', 'power_of_two'],
    ['power-of-two', 'power_of_two'],
    ['p2c', 'power_of_two'],
    [' rr ', 'round_robin'],
    ['', undefined],
    ['roundrobin', 'round_robin'],
    ['least', undefined],
    ['hash', 'consistent_hash'],
    ['leastconn', 'least_connections'],
    ['constructor', undefined],
    ['__proto__', undefined],
    ['toString', undefined],
  ];
  for (const [input, canonical] of spellings) {
    it(`${JSON.stringify(input)} → ${canonical ?? 'unknown'}`, () => {
      assert.equal(canonicalAlgorithm(input), canonical);
      assert.equal(isKnownAlgorithm(input), canonical !== undefined);
    });
  }

  it('every canonical name is its own canonical spelling', () => {
    for (const name of ALGORITHMS) assert.equal(canonicalAlgorithm(name), name);
  });

  it('builds a working balancer for every algorithm, none throwing or picking the unavailable', () => {
    for (const name of ALGORITHMS) {
      const b = createBalancer(name, TARGETS, { random: () => 0.5, hashBalanceFactor: 1.25 });
      for (const key of [undefined, '10.0.0.1']) {
        for (let i = 0; i < 10; i++) {
          const t = b.pick(ctx('b', key));
          assert.ok(t && t.id !== 'b', `${name} picked ${t?.id}`);
        }
        assert.equal(b.pick(ctx('abc', key)), undefined, name);
      }
      assert.equal(createBalancer(name, []).pick(ctx()), undefined, name);
    }
  });

  it('builds the algorithm an alias names', () => {
    const seq = (name: string) => {
      const b = createBalancer(name, TARGETS);
      return Array.from({ length: 7 }, () => b.pick(ctx())!.id).join('');
    };
    assert.equal(seq('rr'), 'abcabca');
    assert.equal(seq('Weighted-Round-Robin'), 'aabacaa');
    assert.equal(seq('wrr'), 'aabacaa');
  });

  it('throws on an unknown algorithm, quoting the name', () => {
    assert.throws(() => createBalancer('fastest', TARGETS), { message: 'unknown algorithm "fastest"' });
    assert.throws(() => createBalancer('__proto__', TARGETS), { message: 'unknown algorithm "__proto__"' });
  });
});

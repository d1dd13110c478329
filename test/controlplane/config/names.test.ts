import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALGORITHMS, canonicalAlgorithm, canonicalPersistence, PERSISTENCE_TYPES } from '../../../controlplane/config/names.js';

describe('algorithm and persistence names', () => {
  it('lists the seven algorithms and four persistence types', () => {
    assert.deepEqual([...ALGORITHMS], ['round_robin', 'weighted_round_robin', 'least_connections', 'ip_hash', 'consistent_hash', 'random', 'power_of_two']);
    assert.deepEqual([...PERSISTENCE_TYPES], ['none', 'cookie', 'ip_hash', 'consistent_hash']);
  });

  it('every canonical name maps to itself, also with dashes and capitals', () => {
    for (const a of ALGORITHMS) {
      assert.equal(canonicalAlgorithm(a), a);
      assert.equal(canonicalAlgorithm(a.replaceAll('_', '-').toUpperCase()), a);
    }
    for (const p of PERSISTENCE_TYPES) assert.equal(canonicalPersistence(p.replaceAll('_', '-')), p);
  });

  it('maps short forms and rejects unknown names', () => {
    assert.equal(canonicalAlgorithm('least_conn'), 'least_connections');
    assert.equal(canonicalAlgorithm('weighted'), 'weighted_round_robin');
    assert.equal(canonicalAlgorithm('rr'), 'round_robin');
    assert.equal(canonicalAlgorithm('wrr'), 'weighted_round_robin');
    assert.equal(canonicalAlgorithm('p2c'), 'power_of_two');
    assert.equal(canonicalPersistence('sticky'), 'cookie');
    assert.equal(canonicalAlgorithm('fastest'), undefined);
    assert.equal(canonicalAlgorithm('cookie'), undefined);
    assert.equal(canonicalPersistence('random'), undefined);
  });
});

describe('one table of names for the whole product', () => {
  it('the config language and the balancer registry accept exactly the same spellings', async () => {
    const registry = await import('../../../dataplane/balancers/registry.js');
    for (const spelling of ['rr', 'roundrobin', 'wrr', 'weighted', 'least_conn', 'leastconn', 'hash', 'ketama', 'consistent', 'p2c', 'iphash', 'least', 'fastest']) {
      assert.equal(registry.canonicalAlgorithm(spelling), canonicalAlgorithm(spelling), spelling);
    }
  });
});

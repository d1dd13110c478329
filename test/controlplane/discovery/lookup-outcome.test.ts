import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { combineAddressAnswers, srvFailure } from '../../../controlplane/discovery/lookup-outcome.js';

const ok = (...list: Array<[string, number]>) => ({ status: 'fulfilled' as const, value: list.map(([address, ttl]) => ({ address, ttl })) });
const fail = (code: string) => ({ status: 'rejected' as const, reason: Object.assign(new Error(code), { code }) });

describe('combineAddressAnswers (A + AAAA)', () => {
  it('unites both families with the smallest TTL', () => {
    assert.deepEqual(combineAddressAnswers('a.test', [ok(['10.0.0.1', 30], ['10.0.0.2', 5]), ok(['fd00::1', 60])]), {
      kind: 'ok',
      addresses: ['10.0.0.1', '10.0.0.2', 'fd00::1'],
      ttlS: 5,
    });
  });
  it('takes a family with no records as empty', () => {
    assert.deepEqual(combineAddressAnswers('a.test', [ok(['10.0.0.1', 0]), fail('ENODATA')]), { kind: 'ok', addresses: ['10.0.0.1'], ttlS: 0 });
  });
  it('reports NXDOMAIN when the name does not exist', () => {
    assert.deepEqual(combineAddressAnswers('a.test', [fail('ENOTFOUND'), fail('ENOTFOUND')]), { kind: 'nxdomain', message: 'a.test: NXDOMAIN (no such name)' });
  });
  it('reports a name with no address like NXDOMAIN', () => {
    assert.equal(combineAddressAnswers('a.test', [fail('ENODATA'), fail('ENODATA')]).kind, 'nxdomain');
  });
  it('is an error (keep the last addresses) when either family fails otherwise', () => {
    assert.deepEqual(combineAddressAnswers('a.test', [ok(['10.0.0.1', 0]), fail('ETIMEOUT')]), { kind: 'error', message: 'a.test: timeout' });
    assert.deepEqual(combineAddressAnswers('a.test', [fail('ESERVFAIL'), fail('ENOTFOUND')]), { kind: 'error', message: 'a.test: SERVFAIL' });
  });
});

describe('srvFailure', () => {
  it('separates NXDOMAIN and no records from failures', () => {
    assert.equal(srvFailure('_x._tcp.a', fail('ENOTFOUND').reason).kind, 'nxdomain');
    assert.equal(srvFailure('_x._tcp.a', fail('ENODATA').reason).kind, 'nxdomain');
    assert.deepEqual(srvFailure('_x._tcp.a', fail('ECONNREFUSED').reason), { kind: 'error', message: '_x._tcp.a: connection refused by the name server' });
  });
});

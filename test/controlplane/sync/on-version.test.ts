import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ackViewOf, isNacked, isOnVersion } from '../../../controlplane/sync/on-version.js';

describe('isOnVersion', () => {
  it('is true only for a data plane that ACKed exactly the given version', () => {
    assert.equal(isOnVersion({ ackState: 'ACKED', ackedVersion: 'v2' }, 'v2'), true);
    assert.equal(isOnVersion({ ackState: 'ACKED', ackedVersion: 'v1' }, 'v2'), false);
    assert.equal(isOnVersion({ ackState: 'PENDING', ackedVersion: 'v2' }, 'v2'), false);
    assert.equal(isOnVersion({ ackState: 'NACKED', ackedVersion: 'v2' }, 'v2'), false);
  });

  it('is false for everybody while there is no running version', () => {
    assert.equal(isOnVersion({ ackState: 'ACKED', ackedVersion: '' }, undefined), false);
  });

  it('reads the Admin API shape, where version is the ACKed one', () => {
    const info = { ack_state: 'ACKED', version: 'v3' };
    assert.equal(isOnVersion(ackViewOf(info), 'v3'), true);
    assert.equal(isNacked(ackViewOf({ ack_state: 'NACKED', version: 'v2' })), true);
  });
});

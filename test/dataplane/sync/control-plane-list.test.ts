import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlaneList } from '../../../dataplane/sync/control-plane-list.js';

describe('ControlPlaneList', () => {
  it('starts at the first address and goes round them in turn', () => {
    const list = new ControlPlaneList('a:50051, b:50051,c:50051');
    const seen = [list.current, list.next(), list.next(), list.next(), list.next()];
    assert.deepEqual(seen, ['a:50051', 'b:50051', 'c:50051', 'a:50051', 'b:50051']);
  });

  it('stays on a single address', () => {
    const list = new ControlPlaneList('cp.internal:50051');
    assert.deepEqual([list.current, list.next(), list.next()], ['cp.internal:50051', 'cp.internal:50051', 'cp.internal:50051']);
  });

  it('refuses a list that names no address', () => {
    assert.throws(() => new ControlPlaneList(' , '), /no control plane address in " , "/);
  });
});

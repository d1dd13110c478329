import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnswerCollector } from '../../../controlplane/sync/answer-collector.js';
import type { DataPlaneSession, SyncEvent, SyncServer } from '../../../controlplane/sync/sync-server.js';

/** Just the event side of a SyncServer. */
function fakeSync(): { sync: SyncServer; emit(e: SyncEvent): void } {
  const listeners = new Set<(e: SyncEvent) => void>();
  const sync = { on: (fn: (e: SyncEvent) => void) => (listeners.add(fn), () => listeners.delete(fn)) } as unknown as SyncServer;
  return { sync, emit: (e) => listeners.forEach((fn) => fn(e)) };
}

function session(id: string, ackState: DataPlaneSession['ackState'] = 'PENDING', ackedVersion = ''): DataPlaneSession {
  return { id, connected: true, ackState, ackedVersion } as DataPlaneSession;
}

describe('AnswerCollector', () => {
  it('reports each answer to the new version once, and counts data planes already on it', async () => {
    const { sync, emit } = fakeSync();
    let running = 'v1';
    const c = new AnswerCollector(sync, () => running);
    const a = session('a');
    const b = session('b');
    const early = session('early', 'ACKED', 'v2');
    // Heard while v2 was being saved: an answer about v1 is not an answer about v2.
    emit({ type: 'ack', session: a, version: 'v1' });
    running = 'v2';
    c.settle('v2', [a, b, early]);
    const heard: string[] = [];
    const done = c.collect([a, b, early], Date.now() + 60_000, () => false, (id, x) => heard.push(`${id}:${x.acked}`));
    emit({ type: 'ack', session: a, version: 'v2' });
    emit({ type: 'nack', session: b, version: 'v2', errors: ['bad'] });
    const tally = await done;
    c.close();
    assert.deepEqual(heard.sort(), ['a:true', 'b:false', 'early:true']);
    assert.deepEqual(tally.acked.sort(), ['a', 'early']);
    assert.deepEqual(tally.nacked, ['b']);
    assert.deepEqual(tally.pending, []);
  });

  it('lists data planes that never answered as pending once the caller stops waiting', async () => {
    const { sync } = fakeSync();
    const c = new AnswerCollector(sync, () => 'v2');
    const silent = session('silent');
    c.settle('v2', [silent]);
    const tally = await c.collect([silent], Date.now() + 60_000, () => true, () => {});
    c.close();
    assert.deepEqual(tally, { acked: [], nacked: [], pending: ['silent'] });
  });
});

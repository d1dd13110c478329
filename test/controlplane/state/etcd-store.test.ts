import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdStore, parseEtcdUrl } from '../../../controlplane/state/etcd-store.js';
import type { OperatorState } from '../../../controlplane/state/state-store.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd-server.js';
import { waitFor } from '../../helpers/cluster.js';

describe('parseEtcdUrl', () => {
  it('turns etcd://h:p,h:p into client URLs', () => {
    assert.deepEqual(parseEtcdUrl('etcd://10.0.0.1:2379, etcd-1.internal:2379'), ['http://10.0.0.1:2379', 'http://etcd-1.internal:2379']);
  });

  it('refuses anything else, showing the expected form', () => {
    for (const bad of ['http://h:2379', 'etcd://', 'etcd://h', 'etcd://h:2379/x']) {
      assert.throws(() => parseEtcdUrl(bad), /--store takes etcd:\/\/HOST:PORT\[,HOST:PORT\.\.\.\]/, bad);
    }
  });
});

describe('EtcdStore (against a real etcd)', () => {
  let etcd: EtcdServer;
  const stores: EtcdStore[] = [];
  const open = () => {
    const s = new EtcdStore(etcd.url);
    stores.push(s);
    return s;
  };
  const state = (generation: number): OperatorState => ({ generation, config: { text: `# ${generation}\n`, source: 'x.conf', appliedAtUnixMs: 1 }, admin: {} });

  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await etcd.destroy();
  });

  it('loads nothing at first, then what was saved, from another instance', async () => {
    const one = open();
    assert.equal(await one.load(), undefined);
    await one.save(state(1));
    assert.deepEqual(await open().load(), state(1));
  });

  it('refuses a save based on a state another replica has since replaced (compare-and-swap)', async () => {
    const one = open();
    const two = open();
    await one.load();
    await two.load();
    await one.save(state(2));
    await assert.rejects(two.save(state(2)), /another control-plane replica changed the state in etcd .* first; the change was not applied/);
    assert.deepEqual(await open().load(), state(2));
  });

  it('shows a watcher every state saved after its load, by anyone', async () => {
    const watcher = open();
    await watcher.load();
    const seen: number[] = [];
    watcher.watch((s) => seen.push(s.generation));
    const writer = open();
    await writer.load();
    await writer.save(state(3));
    await writer.save(state(4));
    await waitFor('both saves to be seen', () => (seen.length >= 2 ? seen : undefined), 10_000, 20);
    assert.deepEqual(seen, [3, 4]);
  });
});

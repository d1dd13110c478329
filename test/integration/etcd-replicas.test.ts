// Control-plane replicas sharing their state in a real etcd: a drain or reload through either
// replica reaches the data planes of both (through etcd's watch), the replicas agree on one
// generation, and with etcd down traffic flows, changes are refused clearly, and resume when it returns.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../controlplane/control-plane.js';
import { EtcdStore } from '../../controlplane/state/etcd-store.js';
import { startDataPlane, type DataPlane } from '../../dataplane/data-plane.js';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { adminClient, type AdminClient } from '../helpers/admin-client.js';
import { request, tally, waitFor } from '../helpers/cluster.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.js';

const roundRobin = (urls: string[]) => `method round_robin\n${urls.map((u) => `backend ${u}`).join('\n')}\n`;

async function servedBy(port: number, n: number): Promise<Record<string, number>> {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await request(port, '/');
    assert.equal(r.status, 200, r.body);
    names.push(String(r.headers['x-backend']));
  }
  return tally(names);
}

describe('control-plane replicas on etcd', () => {
  let dir: string;
  let etcd: EtcdServer;
  let backends: FakeBackend[];
  const stores: EtcdStore[] = [];
  const cps: ControlPlane[] = [];
  const admins: AdminClient[] = [];
  const dps: DataPlane[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golb-replicas-'));
    etcd = await startEtcd();
    backends = await Promise.all(['a', 'b', 'c'].map((name) => startFakeBackend({ name })));
    const configPath = join(dir, 'lb.conf');
    writeFileSync(configPath, roundRobin([backends[0]!.url, backends[1]!.url]));
    // One after the other: the second adopts what the first saved. Replicas share the cookie secret
    // (as they must: config or GOLB_COOKIE_SECRET), or their snapshots would differ.
    for (let i = 0; i < 2; i++) {
      const store = new EtcdStore(etcd.url);
      stores.push(store);
      const cp = await startControlPlane({ configPath, grpcPort: 0, adminPort: -1, stateStore: store, cookieSecret: 'one-secret-for-every-replica', log: () => {} });
      cps.push(cp);
      admins.push(adminClient(cp.grpcPort));
      const dp = await startDataPlane({ id: `dp-on-replica-${i + 1}`, controlPlane: `127.0.0.1:${cp.grpcPort}`, host: '127.0.0.1', port: 0, log: () => {} });
      dps.push(dp);
      await dp.ready;
    }
  });
  after(async () => {
    for (const a of admins) a.close();
    await Promise.all(dps.map((d) => d.shutdown()));
    await Promise.all(cps.map((c) => c.close()));
    await Promise.all(stores.map((s) => s.close()));
    await Promise.all(backends.map((b) => b.close()));
    await etcd.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a drain through replica 1 is obeyed by the data plane on replica 2', async () => {
    const [a] = backends as [FakeBackend];
    await admins[0]!.drain({ backend: a.url, timeout_ms: 600_000 });
    const drained = await waitFor('replica 2 to see the drain', async () => (await admins[1]!.health()).backends.find((x) => x.url === a.url && x.admin_state === 'draining'), 20_000, 50);
    assert.ok(drained);
    await waitFor('the data plane on replica 2 to apply it', async () => (await admins[1]!.dataplanes()).dataplanes.find((d) => d.id === 'dp-on-replica-2' && d.ack_state === 'ACKED' && d.version === cps[1]!.store.snapshot?.version), 20_000, 50);
    assert.deepEqual(await servedBy(dps[1]!.port, 6), { b: 6 });
    assert.deepEqual(await servedBy(dps[0]!.port, 6), { b: 6 });
  });

  it('a reload through replica 2 reaches the data plane on replica 1, and both replicas stamp one generation', async () => {
    const [a, b, c] = backends as [FakeBackend, FakeBackend, FakeBackend];
    const events = await admins[1]!.reload({ content: roundRobin([a.url, b.url, c.url]), filename: 'three.conf' });
    assert.ok(events.some((e) => e.accepted && !e.accepted.unchanged), JSON.stringify(events));
    await waitFor('replica 1 to run it', () => cps[0]!.store.snapshot?.version === cps[1]!.store.snapshot?.version || undefined, 20_000, 50);
    assert.equal(cps[0]!.store.snapshot?.generation, cps[1]!.store.snapshot?.generation);
    await waitFor('the data plane on replica 1 to apply it', async () => (await admins[0]!.dataplanes()).dataplanes.find((d) => d.id === 'dp-on-replica-1' && d.ack_state === 'ACKED' && d.version === cps[0]!.store.snapshot?.version), 20_000, 50);
    // a is still draining: the drain outlived the reload on both replicas.
    assert.deepEqual(await servedBy(dps[0]!.port, 6), { b: 3, c: 3 });
  });

  it('with etcd down, traffic flows and changes are refused with a clear error; when etcd returns, a change works again', async () => {
    const [a] = backends as [FakeBackend];
    await etcd.stop();
    assert.deepEqual(await servedBy(dps[0]!.port, 4), { b: 2, c: 2 });
    assert.deepEqual(await servedBy(dps[1]!.port, 4), { b: 2, c: 2 });
    await assert.rejects(admins[0]!.undrain({ backend: a.url }), /UNAVAILABLE: etcd 127\.0\.0\.1:\d+ is unreachable .*the change was not applied/);
    await assert.rejects(admins[1]!.reload({ content: roundRobin([a.url]), filename: 'x.conf' }), /UNAVAILABLE: etcd 127\.0\.0\.1:\d+ is unreachable/);
    assert.deepEqual(await servedBy(dps[1]!.port, 4), { b: 2, c: 2 }, 'nothing changed');

    await etcd.start();
    await waitFor(
      'an undrain to go through once etcd is back',
      () => admins[0]!.undrain({ backend: a.url }).then(() => true, () => undefined),
      60_000,
      500,
    );
    await waitFor('replica 2 to see the undrain', async () => (await admins[1]!.health()).backends.find((x) => x.url === a.url && x.admin_state === 'ready'), 30_000, 50);
    await waitFor('the data plane on replica 2 to apply it', async () => (await admins[1]!.dataplanes()).dataplanes.find((d) => d.id === 'dp-on-replica-2' && d.ack_state === 'ACKED' && d.version === cps[1]!.store.snapshot?.version), 20_000, 50);
    assert.deepEqual(await servedBy(dps[1]!.port, 6), { a: 2, b: 2, c: 2 });
  });
});

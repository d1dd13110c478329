// A data plane given several control planes (`--control-plane a,b`): two replicas on a real etcd,
// each its own OS process. Replica 1 is killed with SIGKILL under steady load: the data plane moves
// to replica 2 with no failed client request, and then obeys a drain made through replica 2.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDataPlane, type DataPlane } from '../../dataplane/data-plane.js';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { adminClient, type AdminClient } from '../helpers/admin-client.js';
import { request, waitFor } from '../helpers/cluster.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { startControlPlaneProcess, type GolbProcess } from '../helpers/golb-process.js';

describe('a data plane with several control planes and a snapshot cache', () => {
  let dir: string;
  let etcd: EtcdServer;
  let backends: FakeBackend[];
  const replicas: Array<{ proc: GolbProcess; grpcPort: number; admin: AdminClient }> = [];
  let dp: DataPlane | undefined;
  let cachedDp: DataPlane | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golb-multi-cp-'));
    etcd = await startEtcd();
    backends = await Promise.all(['a', 'b'].map((name) => startFakeBackend({ name })));
    const configPath = join(dir, 'lb.conf');
    writeFileSync(configPath, `method round_robin\n${backends.map((b) => `backend ${b.url}`).join('\n')}\n`);
    for (let i = 0; i < 2; i++) {
      const r = await startControlPlaneProcess(['--config', configPath, '--store', etcd.url], { GOLB_COOKIE_SECRET: 'one-secret-for-every-replica' });
      replicas.push({ ...r, admin: adminClient(r.grpcPort) });
    }
  });
  after(async () => {
    for (const r of replicas) r.admin.close();
    await dp?.shutdown();
    await cachedDp?.shutdown();
    await Promise.all(replicas.map((r) => r.proc.kill('SIGKILL')));
    await Promise.all(backends.map((b) => b.close()));
    await etcd.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves to the other replica when its replica is killed with SIGKILL under load, with no failed request, and obeys it', async () => {
    const [r1, r2] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    dp = await startDataPlane({ id: 'dp-multi', controlPlane: `127.0.0.1:${r1.grpcPort},127.0.0.1:${r2.grpcPort}`, host: '127.0.0.1', port: 0, log: () => {} });
    await dp.ready;
    await waitFor('the data plane on replica 1', async () => (await r1.admin.dataplanes()).dataplanes.find((d) => d.id === 'dp-multi' && d.connected), 20_000, 50);

    let stop = false;
    const failed: string[] = [];
    let ok = 0;
    const port = dp.port;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          try {
            const r = await request(port, '/load');
            if (r.status === 200) ok++;
            else failed.push(`${r.status} ${r.body.trim()}`);
          } catch (err) {
            failed.push((err as Error).message);
          }
        }
      }),
    );
    await waitFor('some traffic', () => ok > 20 || undefined, 20_000, 10);
    await r1.proc.kill('SIGKILL');
    await waitFor('the data plane on replica 2', async () => (await r2.admin.dataplanes()).dataplanes.find((d) => d.id === 'dp-multi' && d.connected && d.ack_state === 'ACKED'), 30_000, 100);
    const before = ok;
    await waitFor('more traffic after the move', () => ok > before + 20 || undefined, 20_000, 10);
    stop = true;
    await load;
    assert.deepEqual(failed, []);

    await r2.admin.drain({ backend: backends[0]!.url, timeout_ms: 600_000 });
    const { version } = await r2.admin.health();
    await waitFor('the drain to reach the data plane', async () => (await r2.admin.dataplanes()).dataplanes.find((d) => d.id === 'dp-multi' && d.ack_state === 'ACKED' && d.version === version), 20_000, 100);
    for (let i = 0; i < 4; i++) assert.equal((await request(port, '/')).headers['x-backend'], 'b');
  });

  it('a data plane started while no control plane is reachable serves its cached config, and /ready says so', async () => {
    const r2 = replicas[1]!;
    const cacheDir = join(dir, 'cache');
    const first = await startDataPlane({ id: 'dp-cache', controlPlane: `127.0.0.1:${r2.grpcPort}`, host: '127.0.0.1', port: 0, cacheDir, log: () => {} });
    await first.ready;
    await waitFor('the snapshot cache to be written', () => existsSync(join(cacheDir, 'snapshot.json')) || undefined, 20_000, 50);
    await first.shutdown();
    await r2.proc.kill('SIGKILL');

    cachedDp = await startDataPlane({ id: 'dp-cache', controlPlane: `127.0.0.1:${r2.grpcPort}`, host: '127.0.0.1', port: 0, adminPort: 0, cacheDir, log: () => {} });
    await cachedDp.ready;
    const ready = await new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: cachedDp!.adminPort, path: '/ready' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      }).on('error', reject);
    });
    assert.equal(ready.status, 200);
    assert.equal(ready.body.config, 'cached');
    assert.ok(Date.parse(String(ready.body.cachedAt)) <= Date.now(), `cachedAt: ${String(ready.body.cachedAt)}`);
    // The drain made through replica 2 in the previous test is part of what was cached.
    for (let i = 0; i < 4; i++) assert.equal((await request(cachedDp.port, '/')).headers['x-backend'], 'b');
  });
});

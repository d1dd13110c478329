// One control plane steering several data planes over the real gRPC sync stream: balanced traffic
// on every data plane, fleet-wide stats, reloads under load, NACKs, control-plane loss, token.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane } from '../../controlplane/control-plane.js';
import { startDataPlane } from '../../dataplane/data-plane.js';
import { freePort, startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { adminClient } from '../helpers/admin-client.js';
import { request, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { steadyLoad } from '../kit/steady-load.js';
import { tempConfig } from '../kit/temp-config.js';

const configFor = (backends: FakeBackend[], extra = '') =>
  `method round_robin\nhealth_check off\n${backends.map((b) => `backend ${b.url}`).join('\n')}\n${extra}`;

/** One client sending round the data planes back to back until stopped; a non-200 is a failure. */
const fleetLoad = (ports: number[]) =>
  steadyLoad((i) => request(ports[i % ports.length]!, '/load'), { clients: 1, check: (r) => (r.status === 200 ? undefined : `${r.status} ${r.body}`) });

describe('a control plane with three data planes', () => {
  let backends: FakeBackend[];
  let cluster: Cluster;
  before(async () => {
    backends = await Promise.all([1, 2, 3].map((i) => startFakeBackend({ name: `b${i}` })));
    cluster = await startCluster(configFor(backends), { dataPlanes: 3 });
  });
  after(async () => {
    await cluster.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('balances on every data plane and reports fleet totals equal to what was sent', async () => {
    const sent = 3 * 30;
    for (const dp of cluster.dps) {
      const served: string[] = [];
      for (let i = 0; i < 30; i++) served.push(String((await request(dp.port, '/x')).headers['x-backend']));
      for (const b of backends) assert.equal(served.filter((s) => s === b.name).length, 10, `${b.name} on ${dp.id}`);
    }
    const received = backends.map((b) => b.requests.length);
    const stats = await waitFor('stats to add up', async () => {
      const res = await fetch(`http://127.0.0.1:${cluster.cp.adminPort}/api/stats`);
      const body = (await res.json()) as { totalRequests: number; backends: Array<{ url: string; requestCount: number; alive: boolean }> };
      return body.totalRequests === sent ? body : undefined;
    });
    for (const [i, b] of backends.entries()) {
      const row = stats.backends.find((x) => x.url === b.url);
      assert.equal(row?.requestCount, received[i], `requestCount for ${b.url}`);
      assert.equal(row?.alive, true);
    }
  });

  it('brings a valid reload to all data planes under load with no failed request, and refuses an invalid one', async () => {
    const load = fleetLoad(cluster.dps.map((d) => d.port));
    await load.passMark('the load is running', cluster.dps.length);
    const res = await cluster.reload(configFor(backends, `timeout server 20s\n`));
    assert.ok(res.ok, JSON.stringify(res));
    const admin = adminClient(cluster.cp.grpcPort);
    try {
      await waitFor('every data plane to ACK', async () => {
        const list = await admin.dataplanes();
        return list.dataplanes.filter((d) => d.connected).every((d) => d.version === res.version && d.ack_state === 'ACKED');
      });
      for (const dp of cluster.dps) assert.equal(dp.version(), res.version);
      const bad = await cluster.reload(configFor(backends, `route /x backend_pool=nowhere\nbogus_directive 1\n`));
      assert.equal(bad.ok, false);
      assert.ok((bad.errors ?? []).length >= 2, JSON.stringify(bad.errors));
      // The refusal is the event: the control plane still holds the old version (so it has nothing
      // new to send), and every data plane has acknowledged exactly that version.
      assert.equal((await admin.stats()).version, res.version, 'the control plane kept the last good version');
      const list = await admin.dataplanes();
      assert.deepEqual(list.dataplanes.map((d) => `${d.version} ${d.ack_state}`), cluster.dps.map(() => `${res.version} ACKED`));
      for (const dp of cluster.dps) assert.equal(dp.version(), res.version, 'an invalid config changes nothing');
      await load.passMark('the refused reload', cluster.dps.length);
    } finally {
      admin.close();
    }
    const outcomes = await load.stop();
    assert.deepEqual(outcomes.failed, []);
  });
});

describe('a data plane that cannot apply a snapshot', () => {
  let backends: FakeBackend[];
  let cluster: Cluster;
  before(async () => {
    backends = await Promise.all([1, 2].map((i) => startFakeBackend({ name: `n${i}` })));
    cluster = await startCluster(configFor(backends), { dataPlanes: 2 });
    await (await cluster.addDataPlane({ id: 'picky', rejectRegexContaining: 'unsupported' })).ready;
  });
  after(async () => {
    await cluster.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('NACKs, keeps its last good snapshot, and the control plane reports it while the others move on', async () => {
    const picky = cluster.dps.find((d) => d.id === 'picky')!;
    const old = picky.version();
    const res = await cluster.reload(configFor(backends, `backend ${backends[0]!.url} pool=v\nroute ~^/unsupported/ backend_pool=v\n`));
    assert.ok(res.ok, JSON.stringify(res));
    const admin = adminClient(cluster.cp.grpcPort);
    try {
      const list = await waitFor('ACKs and the NACK', async () => {
        const l = await admin.dataplanes();
        const p = l.dataplanes.find((d) => d.id === 'picky');
        const others = l.dataplanes.filter((d) => d.id !== 'picky');
        return p?.ack_state === 'NACKED' && others.every((d) => d.version === res.version) ? l : undefined;
      });
      const p = list.dataplanes.find((d) => d.id === 'picky')!;
      assert.match(p.nack_error, /not supported by this data plane/);
      assert.equal(p.version, old, 'it still serves the old version');
    } finally {
      admin.close();
    }
    assert.equal(picky.version(), old);
    assert.equal((await request(picky.port, '/still-serving')).status, 200);
  });
});

describe('control plane loss and return', () => {
  it('keeps data planes serving while the control plane is gone, then resumes reporting without double counting', async () => {
    const backends = await Promise.all([1, 2].map((i) => startFakeBackend({ name: `k${i}` })));
    const conf = tempConfig('golb-cp-', configFor(backends));
    const configPath = conf.path;
    let cp = await startControlPlane({ configPath, grpcPort: 0, adminPort: 0, log: () => {} });
    const grpcPort = cp.grpcPort;
    const lost = [0, 0];
    const dps = await Promise.all([0, 1].map((n) =>
      startDataPlane({ controlPlane: `127.0.0.1:${grpcPort}`, host: '127.0.0.1', port: 0, statsIntervalMs: 100, log: (line) => void (line.includes('lost control plane') && lost[n]!++) })));
    try {
      await Promise.all(dps.map((d) => d.ready));
      for (const dp of dps) for (let i = 0; i < 10; i++) assert.equal((await request(dp.port, '/before')).status, 200);
      const load = fleetLoad(dps.map((d) => d.port));
      await load.passMark('the load is running', dps.length);
      await cp.close();
      // Both data planes noticed the loss, then served both rounds of requests started after that.
      await waitFor('both data planes to notice the control plane is gone', () => lost.every((n) => n > 0));
      await load.passMark('the control plane is gone', 2 * dps.length);
      cp = await startControlPlane({ configPath, grpcPort, adminPort: 0, log: () => {} });
      const admin = adminClient(grpcPort);
      try {
        await waitFor('both data planes reconnected', async () => (await admin.dataplanes()).dataplanes.filter((d) => d.connected).length === 2, 20_000);
      } finally {
        admin.close();
      }
      const outcomes = await load.stop();
      assert.deepEqual(outcomes.failed, [], 'no request failed while the control plane was away');
      const sent = 20 + outcomes.ok;
      const total = await waitFor('totals to match what was sent', async () => {
        const body = (await (await fetch(`http://127.0.0.1:${cp.adminPort}/api/stats`)).json()) as { totalRequests: number };
        return body.totalRequests === sent ? body.totalRequests : undefined;
      });
      assert.equal(total, sent);
    } finally {
      await Promise.all(dps.map((d) => d.shutdown()));
      await cp.close();
      await Promise.all(backends.map((b) => b.close()));
      conf.remove();
    }
  });

  it('serves nothing before the first snapshot, then serves once the control plane appears', async () => {
    const backend = await startFakeBackend({ name: 'late' });
    const grpcPort = await freePort();
    const conf = tempConfig('golb-cp-', configFor([backend]));
    const configPath = conf.path;
    const dp = await startDataPlane({ controlPlane: `127.0.0.1:${grpcPort}`, host: '127.0.0.1', port: 0, adminPort: 0, log: () => {} });
    let cp: Awaited<ReturnType<typeof startControlPlane>> | undefined;
    try {
      const early = await request(dp.port, '/x', { agent: false });
      assert.equal(early.status, 503);
      assert.match(early.body, /no configuration/);
      const notReady = await fetch(`http://127.0.0.1:${dp.adminPort}/ready`);
      assert.equal(notReady.status, 503);
      assert.equal(backend.requests.length, 0);
      cp = await startControlPlane({ configPath, grpcPort, adminPort: -1, log: () => {} });
      await dp.ready;
      assert.equal((await request(dp.port, '/x', { agent: false })).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${dp.adminPort}/ready`)).status, 200);
    } finally {
      await dp.shutdown();
      await cp?.close();
      await backend.close();
      conf.remove();
    }
  });
});

describe('fleet scale', () => {
  it('brings 50 data planes to a new version after a reload', async () => {
    const backend = await startFakeBackend({ name: 'scale' });
    const cluster = await startCluster(configFor([backend]), { dataPlanes: 50, dp: { statsIntervalMs: 1000 } });
    try {
      const started = performance.now();
      const res = await cluster.reload(configFor([backend], 'retries 1\n'));
      assert.ok(res.ok);
      await waitFor('50 data planes on the new version', () => cluster.dps.every((d) => d.version() === res.version), 30_000, 5);
      const ms = performance.now() - started;
      console.log(`# 50 data planes converged ${ms.toFixed(0)} ms after the reload`);
    } finally {
      await cluster.close();
      await backend.close();
    }
  });
});

describe('sync stream with a token', () => {
  it('rejects a data plane with the wrong token and serves one with the right token', async () => {
    const backend = await startFakeBackend({ name: 'tok' });
    const cluster = await startCluster(configFor([backend]), { token: 's3cret' });
    const refusals: string[] = [];
    const intruder = await startDataPlane({ controlPlane: `127.0.0.1:${cluster.cp.grpcPort}`, host: '127.0.0.1', port: 0, token: 'wrong', log: (line) => void (line.includes('lost control plane') && refusals.push(line)) });
    try {
      assert.equal((await request(cluster.dps[0]!.port, '/x')).status, 200);
      // The event: the control plane ended the intruder's stream (it logs why, then retries).
      await waitFor('the control plane to refuse the wrong token', () => refusals.length > 0);
      assert.match(refusals[0]!, /token|unauthenticated/i);
      assert.equal(intruder.version(), undefined, 'the wrong token never gets a snapshot');
      assert.equal((await request(intruder.port, '/x', { agent: false })).status, 503);
      const admin = adminClient(cluster.cp.grpcPort);
      await assert.rejects(admin.stats(), /UNAUTHENTICATED|token/i);
      admin.close();
      const authed = adminClient(cluster.cp.grpcPort, 's3cret');
      assert.ok((await authed.stats()).version);
      authed.close();
    } finally {
      await intruder.shutdown();
      await cluster.close();
      await backend.close();
    }
  });
});

// DNS service discovery end to end: a real DNS server (dnsmasq on a loopback port), the real
// control plane resolving it, real data planes, fake backends on 127.0.0.2, .3... (all of 127/8
// is loopback on Linux). Records are added, removed and changed under steady load.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startFakeBackend, freePort, type FakeBackend } from '../fakes/fake-backend.js';
import { adminClient, type AdminClient } from '../helpers/admin-client.js';
import { request, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { startDnsServer, type DnsServer } from '../helpers/dnsmasq.js';

/** Requests back to back from a few concurrent clients until stopped; records every outcome. */
function steadyLoad(port: number, clients = 4) {
  let stop = false;
  const outcomes = { ok: 0, failed: [] as string[] };
  const done = Promise.all(
    Array.from({ length: clients }, async () => {
      while (!stop) {
        try {
          const r = await request(port, '/load');
          if (r.status === 200) outcomes.ok++;
          else outcomes.failed.push(`${r.status} ${r.body.trim()}`);
        } catch (err) {
          outcomes.failed.push((err as Error).message);
        }
      }
    }),
  );
  return { clients, outcomes, stop: async () => ((stop = true), await done, outcomes) };
}

/** Fake backends on the given loopback addresses, all on one port (the port a dns name implies). */
async function backendsOnOnePort(addresses: readonly string[]): Promise<FakeBackend[]> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const started: FakeBackend[] = [];
    try {
      for (const host of addresses) {
        started.push(await startFakeBackend({ name: nameOf(host), host, port: started[0]?.port, websocket: true }));
      }
      return started;
    } catch {
      await Promise.all(started.map((b) => b.close()));
    }
  }
  throw new Error('no port free on every address');
}

const nameOf = (host: string) => `b${host.split('.').pop()}`;
const loads = (b: FakeBackend) => b.requests.filter((r) => r.url === '/load').length;

function backendsOf(cluster: Cluster, pool = 'default') {
  return cluster.cp.store.snapshot?.pools.find((p) => p.name === pool)?.backends ?? [];
}

/** The snapshot's backends as "ID STATE", sorted. */
function view(cluster: Cluster, pool = 'default'): string[] {
  return backendsOf(cluster, pool)
    .map((b) => `${b.id} ${b.admin_state}`)
    .sort();
}

/** Waits until every data plane runs the control plane's current version. */
async function applied(cluster: Cluster): Promise<void> {
  await waitFor('the data planes to apply the snapshot', () => cluster.dps.every((d) => d.version() === cluster.cp.store.snapshot?.version), 10_000);
}

/** A WebSocket through the proxy that landed on `name` (round robin: a few tries). */
async function webSocketTo(port: number, name: string): Promise<WebSocket> {
  for (let i = 0; i < 20; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const greeting = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d) => resolve(String(d)));
      ws.once('error', reject);
    });
    if (greeting === `hello from ${name}`) return ws;
    ws.close();
  }
  throw new Error(`no WebSocket reached ${name}`);
}

function echo(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (d) => resolve(String(d)));
    ws.once('error', reject);
    ws.send(text);
  });
}

describe('DNS discovery of A records under steady load', () => {
  let dns: DnsServer;
  let backends: FakeBackend[];
  let cluster: Cluster;
  let admin: AdminClient;
  let port: number;
  const by = (host: string) => backends.find((b) => b.name === nameOf(host))!;

  before(async () => {
    backends = await backendsOnOnePort(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']);
    port = backends[0]!.port;
    dns = await startDnsServer({ domain: 'test', hosts: ['127.0.0.2 app.test', '127.0.0.3 app.test'] });
    cluster = await startCluster(
      `resolver 127.0.0.1:${dns.port} timeout=300ms ttl-min=100ms\n` +
        'timeout drain 3s\n' +
        'health_check path=/health interval=200ms\n' +
        `backend http://app.test:${port} discover=dns interval=500ms\n`,
    );
    admin = adminClient(cluster.cp.grpcPort);
  });
  after(async () => {
    admin.close();
    await cluster.close();
    await dns.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('resolves the name into one backend per address, with stable ids and its origin', async () => {
    assert.deepEqual(view(cluster), [`default/127.0.0.2:${port} READY`, `default/127.0.0.3:${port} READY`]);
    assert.deepEqual(
      backendsOf(cluster).map((b) => b.discovered_from),
      ['dns:app.test', 'dns:app.test'],
    );
    const health = await admin.health();
    assert.deepEqual(
      health.backends.map((b) => b.discovered_from),
      ['dns:app.test', 'dns:app.test'],
    );
    assert.equal(health.discovery[0]?.name, 'app.test');
    assert.equal(health.discovery[0]?.addresses, 2);
    assert.equal(health.discovery[0]?.error, '');
  });

  it('previews a reload of the same file as unchanged (a dry run sees the discovered addresses)', async () => {
    const events = await admin.reload({ reread: true, dry_run: true });
    const accepted = events.find((e) => e.accepted)?.accepted;
    assert.equal(accepted?.unchanged, true);
    assert.equal(accepted?.version, cluster.cp.store.snapshot?.version);
  });

  it('keeps the version while DNS keeps answering the same', async () => {
    const version = cluster.cp.store.snapshot?.version;
    const lastOk = async () => Number((await admin.health()).discovery[0]?.last_ok_unix_ms ?? 0);
    const first = await lastOk();
    await waitFor('two more resolutions', async () => (await lastOk()) > first, 10_000);
    const second = await lastOk();
    await waitFor('one more', async () => (await lastOk()) > second, 10_000);
    assert.equal(cluster.cp.store.snapshot?.version, version);
  });

  it('adds, removes and changes addresses with no failed request: new ones serve, removed ones drain', async () => {
    const dpPort = cluster.dps[0]!.port;
    const load = steadyLoad(dpPort);
    await waitFor('both first backends to serve', () => loads(by('127.0.0.2')) > 0 && loads(by('127.0.0.3')) > 0, 10_000);
    const ws = await webSocketTo(dpPort, 'b3');

    // Added: a third address serves within the interval (generous bound for a busy machine).
    const addedAt = Date.now();
    await dns.setHosts(['127.0.0.2 app.test', '127.0.0.3 app.test', '127.0.0.4 app.test']);
    await waitFor('the new address to serve', () => loads(by('127.0.0.4')) > 0, 10_000);
    console.log(`# new address served ${Date.now() - addedAt} ms after the record was added (interval 500 ms)`);

    // Removed: .3 drains; its in-flight requests (slowed down) and its WebSocket finish.
    by('127.0.0.3').setMode('slow', { delayMs: 300 });
    await dns.setHosts(['127.0.0.2 app.test', '127.0.0.4 app.test']);
    await waitFor('.3 to be draining', () => view(cluster).includes(`default/127.0.0.3:${port} DRAINING`), 10_000);
    await applied(cluster);
    const atDrain = loads(by('127.0.0.3'));
    assert.equal(await echo(ws, 'still there'), 'b3: still there', 'the WebSocket works while its backend drains');
    const okAtDrain = load.outcomes.ok;
    await waitFor('more requests', () => load.outcomes.ok >= okAtDrain + 100, 20_000);
    // Only requests already on their way when the drain applied may still arrive: at most one per client.
    assert.ok(loads(by('127.0.0.3')) - atDrain <= load.clients, 'no new request reaches the draining backend');
    await waitFor('.3 to leave the snapshot after the drain timeout', () => !view(cluster).some((v) => v.includes('127.0.0.3')), 15_000);
    assert.deepEqual(view(cluster), [`default/127.0.0.2:${port} READY`, `default/127.0.0.4:${port} READY`]);

    // Changed: .2 is replaced by .5.
    await dns.setHosts(['127.0.0.5 app.test', '127.0.0.4 app.test']);
    await waitFor('.5 to serve', () => loads(by('127.0.0.5')) > 0, 10_000);
    await waitFor('.2 to leave', () => !view(cluster).some((v) => v.includes('127.0.0.2')), 15_000);

    const outcomes = await load.stop();
    ws.terminate();
    assert.deepEqual(outcomes.failed, [], 'clients saw no failure');
    assert.ok(outcomes.ok > 100, `load ran (${outcomes.ok} requests)`);
    assert.deepEqual(view(cluster), [`default/127.0.0.4:${port} READY`, `default/127.0.0.5:${port} READY`]);
  });
});

describe('DNS discovery when the name stops resolving', () => {
  let dns: DnsServer;
  let backends: FakeBackend[];
  let cluster: Cluster;
  let admin: AdminClient;
  let port: number;
  const hosts = ['127.0.0.2 api.test', '127.0.0.3 api.test'];

  before(async () => {
    backends = await backendsOnOnePort(['127.0.0.2', '127.0.0.3']);
    port = backends[0]!.port;
    dns = await startDnsServer({ domain: 'test', hosts });
    cluster = await startCluster(
      `resolver 127.0.0.1:${dns.port} timeout=200ms ttl-min=100ms nxdomain-grace=3s\n` +
        'timeout drain 1s\n' +
        `backend http://api.test:${port} discover=dns interval=300ms\n`,
    );
    admin = adminClient(cluster.cp.grpcPort);
  });
  after(async () => {
    admin.close();
    await cluster.close();
    await dns.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  const error = async () => (await admin.health()).discovery[0]?.error ?? '';
  const ready = () => [`default/127.0.0.2:${port} READY`, `default/127.0.0.3:${port} READY`];

  it('keeps the last known addresses when the name server fails, and reports it', async () => {
    const dead = await freePort();
    // The name now goes to a name server that does not answer: dnsmasq answers SERVFAIL/REFUSED or times out.
    await dns.setServers([`server=/api.test/127.0.0.1#${dead}`]);
    await dns.setHosts([]);
    await waitFor('the failure to be reported', async () => (await error()) !== '', 10_000);
    assert.doesNotMatch(await error(), /NXDOMAIN/);
    assert.deepEqual(view(cluster), ready());
    for (let i = 0; i < 10; i++) assert.equal((await request(cluster.dps[0]!.port, '/x')).status, 200);
    const stats = await admin.stats();
    assert.notEqual(stats.discovery[0]?.error, '', 'golbctl stats shows it too');

    await dns.setServers([]);
    await dns.setHosts(hosts);
    await waitFor('the name to resolve again', async () => (await error()) === '', 10_000);
  });

  it('reports NXDOMAIN at once, and empties the pool only after the grace period', async () => {
    await dns.setHosts([]);
    await waitFor('NXDOMAIN to be reported', async () => /NXDOMAIN/.test(await error()), 10_000);
    const emptyAt = Number((await admin.health()).discovery[0]!.empty_at_unix_ms);
    assert.ok(emptyAt > 0, 'says when the pool empties');
    // The pool only loses the addresses at the first resolution after the grace period ends.
    if (Date.now() < emptyAt) assert.deepEqual(view(cluster), ready(), 'still served within the grace period');
    await waitFor('the addresses to drain and leave', () => view(cluster).length === 0, 15_000);
    await applied(cluster);
    assert.equal((await request(cluster.dps[0]!.port, '/x')).status, 503);

    await dns.setHosts(hosts);
    await waitFor('the addresses to come back', () => view(cluster).length === 2, 10_000);
    await applied(cluster);
    assert.equal((await request(cluster.dps[0]!.port, '/x')).status, 200);
  });
});

describe('DNS discovery of SRV records', () => {
  let dns: DnsServer;
  let backends: FakeBackend[];
  let cluster: Cluster;
  const srv = (b: FakeBackend, host: string, weight: number) => `_http._tcp.app.test,${nameOf(host)}.test,${b.port},0,${weight}`;

  before(async () => {
    backends = [await startFakeBackend({ name: 'b2', host: '127.0.0.2' }), await startFakeBackend({ name: 'b3', host: '127.0.0.3' })];
    dns = await startDnsServer({
      domain: 'test',
      hosts: ['127.0.0.2 b2.test', '127.0.0.3 b3.test'],
      srv: [srv(backends[0]!, '127.0.0.2', 10), srv(backends[1]!, '127.0.0.3', 30)],
    });
    cluster = await startCluster(
      `resolver 127.0.0.1:${dns.port} timeout=300ms\n` +
        'method weighted_round_robin\ntimeout drain 1s\n' +
        'backend http://_http._tcp.app.test discover=srv interval=500ms\n',
    );
  });
  after(async () => {
    await cluster.close();
    await dns.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('takes targets, ports and weights from the records, and drains a target the records drop', async () => {
    const [b2, b3] = backends as [FakeBackend, FakeBackend];
    assert.deepEqual(
      backendsOf(cluster).map((b) => [b.id, b.weight, b.discovered_from]),
      [
        [`default/127.0.0.2:${b2.port}`, 10, 'srv:_http._tcp.app.test'],
        [`default/127.0.0.3:${b3.port}`, 30, 'srv:_http._tcp.app.test'],
      ],
    );
    const load = steadyLoad(cluster.dps[0]!.port);
    await waitFor('both to serve', () => loads(b2) > 0 && loads(b3) > 0, 10_000);
    // A restart: DNS is down for a moment (the last addresses stay), then b3's record is gone.
    await dns.restart([srv(b2, '127.0.0.2', 10)]);
    await waitFor('b3 to drain and leave', () => view(cluster).length === 1, 15_000);
    await applied(cluster);
    const after = loads(b3);
    const ok = load.outcomes.ok;
    await waitFor('more requests', () => load.outcomes.ok >= ok + 50, 20_000);
    const outcomes = await load.stop();
    assert.equal(loads(b3), after, 'a target gone from DNS gets no traffic once it left');
    assert.deepEqual(outcomes.failed, [], 'clients saw no failure');
  });
});

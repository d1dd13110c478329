// Passive health must not be a weapon: application errors a client can provoke at will (GET /boom
// answered 500) must not empty a pool. Gateway failures still eject, never more than
// max_ejection_percent of a pool at once, and the panic threshold balances over every ready
// primary when too few are healthy. Real backends on 127.0.0.1, real control and data planes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, startCluster, tally, waitFor, type Cluster } from '../helpers/cluster.js';

/** An application: `/boom` answers 500 (its own bug), `/health` follows `healthy`, anything else 200. */
interface App {
  readonly name: string;
  readonly url: string;
  healthy: boolean;
  close(): Promise<void>;
}

async function startApp(name: string): Promise<App> {
  const app = { name, url: '', healthy: true, close: async () => {} };
  const server = http.createServer((req, res) => {
    req.resume();
    const status = req.url === '/boom' ? 500 : req.url === '/health' && !app.healthy ? 500 : 200;
    const body = `${name} ${status}\n`;
    res.writeHead(status, { 'x-backend': name, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  app.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app.close = () => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
  return app;
}

/** `n` requests one after another; the status and serving backend of each. */
async function sequence(port: number, path: string, n: number): Promise<Array<{ status: number; backend: string }>> {
  const out: Array<{ status: number; backend: string }> = [];
  for (let i = 0; i < n; i++) {
    const r = await request(port, path);
    out.push({ status: r.status, backend: String(r.headers['x-backend'] ?? '-') });
  }
  return out;
}

async function apiBackends(cluster: Cluster): Promise<Array<{ url: string; alive: boolean }>> {
  const res = await fetch(`http://127.0.0.1:${cluster.cp.adminPort}/api/stats`);
  return ((await res.json()) as { backends: Array<{ url: string; alive: boolean }> }).backends;
}

describe('passive health under application errors (default errors=gateway)', () => {
  let apps: App[];
  let cluster: Cluster;
  before(async () => {
    apps = await Promise.all(['a', 'b'].map(startApp));
    cluster = await startCluster(`method round_robin\nhealth_check off\n${apps.map((a) => `backend ${a.url}`).join('\n')}\n`);
  });
  after(async () => {
    await cluster?.close();
    await Promise.all(apps.map((a) => a.close()));
  });

  it('passes 20 application 500s through without ejecting anyone: every innocent request after them gets a 200 from both backends', async () => {
    const port = cluster.dps[0]!.port;
    const boom = await sequence(port, '/boom', 20);
    assert.deepEqual(tally(boom.map((r) => String(r.status))), { 500: 20 });
    const innocent = await sequence(port, '/page', 20);
    assert.deepEqual(tally(innocent.map((r) => String(r.status))), { 200: 20 }, 'no innocent request is refused');
    assert.deepEqual(tally(innocent.map((r) => r.backend)), { a: 10, b: 10 }, 'both backends still in rotation');
  });
});

describe('passive health on gateway failures', () => {
  let good: App;
  let unavailable: FakeBackend;
  let deadPort: number;
  let cluster: Cluster;
  before(async () => {
    good = await startApp('good');
    unavailable = await startFakeBackend({ name: 'unavailable' });
    unavailable.setMode('status', { status: 503 });
    deadPort = await freePort();
    cluster = await startCluster(
      `method round_robin\nhealth_check off\npassive_health max_fails=3 fail_timeout=60s\n` +
        `backend ${good.url} pool=gw\nbackend ${unavailable.url} pool=gw\n` +
        `backend ${good.url} pool=refused\nbackend http://127.0.0.1:${deadPort} pool=refused\n` +
        `route /gw/* backend_pool=gw\nroute /refused/* backend_pool=refused\n`,
    );
  });
  after(async () => {
    await cluster?.close();
    await Promise.all([good.close(), unavailable.close()]);
  });

  it('still ejects a backend that answers 503: it gets no more requests', async () => {
    const port = cluster.dps[0]!.port;
    const early = await sequence(port, '/gw/x', 12);
    assert.ok(early.some((r) => r.status === 503), 'the 503s reach the client until the ejection');
    const before = unavailable.requests.length;
    const later = await sequence(port, '/gw/x', 10);
    assert.deepEqual(tally(later.map((r) => `${r.status} ${r.backend}`)), { '200 good': 10 });
    assert.equal(unavailable.requests.length, before);
  });

  it('still ejects a backend that refuses connections', async () => {
    const port = cluster.dps[0]!.port;
    const replies = await sequence(port, '/refused/x', 10);
    assert.deepEqual(tally(replies.map((r) => String(r.status))), { 200: 10 }, 'refused GETs are retried on the good backend');
    await waitFor('the refusing backend reported down', async () => (await apiBackends(cluster)).find((b) => b.url.endsWith(`:${deadPort}`))?.alive === false);
  });
});

describe('passive health with errors=5xx', () => {
  let apps: App[];
  let cluster: Cluster;
  before(async () => {
    apps = await Promise.all(['a', 'b'].map(startApp));
    cluster = await startCluster(
      `method round_robin\nhealth_check off\npassive_health errors=5xx max_fails=3 fail_timeout=60s\n${apps.map((a) => `backend ${a.url}`).join('\n')}\n`,
    );
  });
  after(async () => {
    await cluster?.close();
    await Promise.all(apps.map((a) => a.close()));
  });

  it('lets application 500s eject, but never more than max_ejection_percent (50 %): the other backend keeps serving', async () => {
    const port = cluster.dps[0]!.port;
    const boom = await sequence(port, '/boom', 20);
    assert.deepEqual(tally(boom.map((r) => String(r.status))), { 500: 20 });
    const innocent = await sequence(port, '/page', 20);
    assert.deepEqual(tally(innocent.map((r) => String(r.status))), { 200: 20 }, 'no innocent 503');
    assert.equal(new Set(innocent.map((r) => r.backend)).size, 1, 'one backend was ejected (the 500s counted), the other serves everything');
    const down = await waitFor('one backend reported down', async () => {
      const n = (await apiBackends(cluster)).filter((b) => !b.alive).length;
      return n > 0 ? n : undefined;
    });
    assert.equal(down, 1);
  });
});

describe('panic threshold', () => {
  let apps: App[];
  let cluster: Cluster;
  const logged: string[] = [];
  before(async () => {
    apps = await Promise.all(['a', 'b', 'c'].map(startApp));
    apps[1]!.healthy = false;
    apps[2]!.healthy = false;
    cluster = await startCluster(
      `method round_robin\nhealth_check path=/health interval=100ms timeout=1s fall=1 rise=1\n` +
        apps.map((a) => `backend ${a.url} pool=brave\nbackend ${a.url} pool=calm`).join('\n') +
        `\npool brave panic_threshold=50%\nroute /brave/* backend_pool=brave\nroute /calm/* backend_pool=calm\n`,
      { dp: { log: (line) => logged.push(line) } },
    );
  });
  after(async () => {
    await cluster?.close();
    await Promise.all(apps.map((a) => a.close()));
  });

  it('with 2 of 3 backends failing their checks and panic_threshold=50%, balances over all three; without it, only the healthy one serves', async () => {
    const port = cluster.dps[0]!.port;
    await waitFor('4 backends (2 per pool) reported down', async () => (await apiBackends(cluster)).filter((b) => !b.alive).length === 4);
    const brave = await sequence(port, '/brave/x', 30);
    assert.deepEqual(tally(brave.map((r) => `${r.status} ${r.backend}`)), { '200 a': 10, '200 b': 10, '200 c': 10 });
    const calm = await sequence(port, '/calm/x', 10);
    assert.deepEqual(tally(calm.map((r) => `${r.status} ${r.backend}`)), { '200 a': 10 });
    assert.deepEqual(logged.filter((l) => l.includes('panic')), ['[health] pool brave in panic: under 50% of its ready primaries healthy, balancing over all of them, health ignored']);
  });
});

// Faults on the forwarding path through the real proxy: refused connections are retried, a POST
// is never delivered twice, truncation is visible, and nothing crashes the proxy.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { freePort, startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, startCluster, type Cluster } from '../helpers/cluster.js';

describe('forwarding under backend faults', () => {
  let good: FakeBackend;
  let flaky: FakeBackend;
  let deadPort: number;
  let cluster: Cluster;
  let port: number;
  before(async () => {
    good = await startFakeBackend({ name: 'good' });
    flaky = await startFakeBackend({ name: 'flaky' });
    deadPort = await freePort();
    cluster = await startCluster(`
method round_robin
health_check off
passive_health off
timeout server 1s
backend http://127.0.0.1:${deadPort}
backend ${good.url}
backend ${flaky.url} pool=faulty
pool faulty method=round_robin
route /faulty/* backend_pool=faulty
`);
    port = cluster.dps[0]!.port;
  });
  beforeEach(() => {
    flaky.setMode('ok');
  });
  after(async () => {
    await cluster.close();
    await good.close();
    await flaky.close();
  });

  it('retries a refused connection on another backend so the client sees no failure', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await request(port, '/x', { method: i % 2 ? 'POST' : 'GET', body: i % 2 ? `payload-${i}` : undefined });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-backend'], 'good');
    }
    const posts = good.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 10);
    assert.deepEqual(posts.map((p) => p.body).sort(), Array.from({ length: 10 }, (_, i) => `payload-${2 * i + 1}`).sort());
  });

  it('answers a POST whose backend dies after reading it with one 502 and one delivery', async () => {
    flaky.setMode('reset');
    const before = flaky.requests.length;
    const r = await request(port, '/faulty/order', { method: 'POST', body: 'order-1', headers: { 'x-request-id': 'order-1' } });
    assert.equal(r.status, 502);
    assert.match(r.body, /^502 Bad Gateway: backend failed \(request id order-1\)/);
    const delivered = flaky.requests.slice(before).filter((x) => x.requestId === 'order-1');
    assert.equal(delivered.length, 1, 'the POST reached a backend exactly once');
  });

  it('makes a backend killed mid-body visible as a broken response', async () => {
    flaky.setMode('die-mid-body', { bodyBytes: 100_000 });
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/faulty/big', agent: false }, (res) => {
        let got = 0;
        res.on('data', (c: Buffer) => (got += c.length));
        res.on('end', () => resolve(`clean end after ${got} bytes`));
        res.on('error', () => resolve('error'));
        res.on('aborted', () => resolve('error'));
      });
      req.on('error', () => resolve('error'));
    });
    assert.equal(outcome, 'error');
  });

  it('maps a backend that never answers to 504', async () => {
    flaky.setMode('hang');
    const r = await request(port, '/faulty/slow', { agent: false });
    assert.equal(r.status, 504);
    assert.match(r.body, /did not respond within 1000 ms/);
  });

  it('keeps serving after client resets, backend resets and garbage responses', async () => {
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.write('GET /faulty/x HTTP/1.1\r\nHost: a\r\n\r\n');
          s.resetAndDestroy();
          resolve();
        });
        s.on('error', () => resolve());
      });
    }
    flaky.setMode('garbage');
    assert.equal((await request(port, '/faulty/g', { agent: false })).status, 502);
    flaky.setMode('reset');
    assert.equal((await request(port, '/faulty/r', { agent: false })).status, 502);
    flaky.setMode('ok');
    const r = await request(port, '/faulty/after');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-backend'], 'flaky');
    assert.equal((await request(port, '/x')).status, 200);
  });

  it('answers 502 naming the backend when the only backend refuses connections', async () => {
    flaky.kill();
    const r = await request(port, '/faulty/x', { agent: false });
    assert.equal(r.status, 502);
    assert.match(r.body, /unreachable/);
  });
});

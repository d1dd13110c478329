// What golb tells a client about the inside of the network: nothing. Error bodies carry the
// status, a short reason and the request id (also in X-Request-Id); which backend failed, and
// how, goes to the log under that request id. The sticky cookie names its backend by an opaque
// token, not by pool and address, and still pins across reorders and reloads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { parseResponses, rawExchange } from './raw-client.js';

describe('disclosure', () => {
  let ok: FakeBackend;
  let other: FakeBackend;
  let resetting: FakeBackend;
  let deadPort: number;
  let cluster: Cluster;
  let port: number;
  const logs: string[] = [];
  const config = (order: 'ab' | 'ba') => `
method round_robin
health_check off
persistence cookie
cookie name=SID secret=disclosure-test ttl=1h
retries 0
${order === 'ab' ? `backend ${ok.url}\nbackend ${other.url}` : `backend ${other.url}\nbackend ${ok.url}`}
backend ${resetting.url} pool=reset
backend http://127.0.0.1:${deadPort} pool=dead
route /reset/* backend_pool=reset
route /dead/* backend_pool=dead
`;
  before(async () => {
    ok = await startFakeBackend({ name: 'ok' });
    other = await startFakeBackend({ name: 'other' });
    resetting = await startFakeBackend({ name: 'reset' });
    resetting.setMode('reset');
    deadPort = await freePort();
    cluster = await startCluster(config('ab'), { dp: { log: (line: string) => void logs.push(line) } });
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await Promise.all([ok, other, resetting].map((b) => b.close()));
  });

  /** Nothing in `text` names a backend: no pool/address id, no port of ours. */
  function assertNoBackend(text: string, what: string): void {
    for (const port of [ok.port, other.port, resetting.port, deadPort]) assert.ok(!text.includes(String(port)), `${what} names port ${port}: ${text}`);
    assert.doesNotMatch(text, /127\.0\.0\.1|reset\/|dead\/|default\//, `${what}: ${text}`);
  }

  for (const [path, status, pool, backendPort] of [
    ['/reset/x', 502, 'reset', () => resetting.port],
    ['/dead/x', 502, 'dead', () => deadPort],
  ] as const) {
    it(`answers ${status} for ${path} with a reason and the request id only; the log has the backend under that id`, async () => {
      const r = await request(port, path, { headers: { 'x-request-id': `rid-${pool}` } });
      assert.equal(r.status, status);
      assertNoBackend(r.body, `${path} body`);
      assertNoBackend(JSON.stringify(r.headers), `${path} headers`);
      assert.equal(r.headers['x-request-id'], `rid-${pool}`);
      assert.match(r.body, new RegExp(`^${status} Bad Gateway: backend [a-z ]+ \\(request id rid-${pool}\\)\\n$`));
      const line = await waitFor('the failure in the log', () => logs.find((l) => l.includes(`rid-${pool}`)));
      assert.ok(line.includes(`${pool}/127.0.0.1:${backendPort()}`), line);
    });
  }

  it('gives golb\'s own errors a request id even when the client sent none', async () => {
    const r = await request(port, '/dead/y');
    assert.equal(r.status, 502);
    const id = r.headers['x-request-id'];
    assert.ok(typeof id === 'string' && id.length > 0);
    assert.ok(r.body.includes(`(request id ${id})`));
    assertNoBackend(r.body, 'body');
  });

  it('answers a failed WebSocket upgrade without naming a backend or pool', async () => {
    const head =
      'GET /dead/ws HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Request-Id: rid-ws\r\n\r\n';
    const [res] = parseResponses((await rawExchange(port, head, { responses: 1, timeoutMs: 5000 })).text);
    assert.ok(res);
    assert.ok(res.status >= 500, `status ${res.status}`);
    assertNoBackend(res.body, 'upgrade body');
    assert.doesNotMatch(res.body, /pool/);
    assert.equal(res.headers['x-request-id'], 'rid-ws');
    const line = await waitFor('the failure in the log', () => logs.find((l) => l.includes('rid-ws')));
    assert.ok(line.includes(`dead/127.0.0.1:${deadPort}`), line);
  });

  it('issues a sticky cookie that decodes to nothing about the backend, and pins across a reload that reorders backends', async () => {
    const first = await request(port, '/');
    const set = first.headers['set-cookie']?.find((c) => c.startsWith('SID='));
    assert.ok(set);
    const value = set.split(';')[0]!.slice('SID='.length);
    for (const part of value.split('.')) {
      assertNoBackend(Buffer.from(part, 'base64url').toString('latin1'), 'decoded cookie part');
      assertNoBackend(part, 'cookie part');
    }
    const pinned = first.headers['x-backend'];
    const reloaded = await cluster.reload(config('ba'));
    assert.equal(reloaded.ok, true, JSON.stringify(reloaded.errors));
    await waitFor('the data plane to apply it', () => cluster.dps[0]!.version() === reloaded.version);
    for (let i = 0; i < 4; i++) {
      const r = await request(port, '/', { headers: { cookie: `SID=${value}` } });
      assert.equal(r.headers['x-backend'], pinned, `request ${i} after the reload`);
      assert.equal(r.headers['set-cookie'], undefined);
    }
  });

  it('keeps error bodies free of backend names on raw parse errors too (400, 414)', async () => {
    for (const head of ['GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`]) {
      const [res] = parseResponses((await rawExchange(port, head, { responses: 1 })).text);
      assert.ok(res && res.status >= 400 && res.status < 500);
      assert.ok(res.headers['x-request-id']);
      assertNoBackend(res.body, 'parse error body');
    }
  });
});

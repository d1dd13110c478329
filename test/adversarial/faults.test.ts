// Upstream faults through the real proxy: refused and black-holed backends, backends that hang
// before or after the status line, reset mid-body, answer garbage, or close a pooled keep-alive
// connection just as it is reused; latency and sliced delivery through our fault proxy. Every
// non-idempotent request is checked against the exactly-once ledger.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { startBlackHole, startFaultProxy, type BlackHole, type FaultProxy } from '../fakes/fault-proxy.js';
import { startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { parseResponses, rawExchange } from './raw-client.js';
import { okResponse, startScriptedBackend, type Script, type ScriptedBackend } from './scripted-backend.js';
import { assertLedger, deliveries, send, sleep, watchUncaught, type Outcome } from './support.js';

const CONNECT_MS = 300;
const SERVER_MS = 1000;
const CLIENT_MS = 1000;
const SLACK_MS = 1500;

/** Answers `/size/N` with N bytes of body (default 10). */
const sized: Script = (req, conn) => {
  const n = Number(/\/size\/(\d+)/.exec(req.url)?.[1] ?? 10);
  conn.socket.write(`HTTP/1.1 200 OK\r\nX-Backend: streamer\r\nContent-Length: ${n}\r\n\r\n`);
  const chunk = Buffer.alloc(Math.min(n, 16384), 'z');
  for (let left = n; left > 0; left -= chunk.length) conn.socket.write(left >= chunk.length ? chunk : chunk.subarray(0, left));
};

describe('upstream faults', () => {
  let good: FakeBackend;
  let blackhole: BlackHole;
  let script: ScriptedBackend;
  let stale: ScriptedBackend;
  let staleAlone: ScriptedBackend;
  let streamer: ScriptedBackend;
  let proxy: FaultProxy;
  let cluster: Cluster;
  let port: number;
  const uncaught = watchUncaught();

  before(async () => {
    good = await startFakeBackend({ name: 'good' });
    const dead = await freePort();
    blackhole = await startBlackHole();
    script = await startScriptedBackend('script');
    // Answers the first request on a connection, and closes any connection on which a second
    // request arrives, without a byte: the keep-alive race, every time.
    const closeOnReuse: Script = (req, conn) => {
      if (conn.handled > 0) conn.socket.destroy();
      else conn.socket.write(okResponse(conn.socket.localPort === stale?.port ? 'stale' : 'stale-alone', req));
    };
    stale = await startScriptedBackend('stale', closeOnReuse);
    staleAlone = await startScriptedBackend('stale-alone', closeOnReuse);
    streamer = await startScriptedBackend('streamer', sized);
    proxy = await startFaultProxy({ port: streamer.port });
    cluster = await startCluster(`
method round_robin
health_check off
passive_health off
timeout connect ${CONNECT_MS}ms
timeout server ${SERVER_MS}ms
timeout client ${CLIENT_MS}ms
retries 2
backend ${good.url}
backend http://127.0.0.1:${dead} pool=refused
backend ${good.url} pool=refused
backend http://127.0.0.1:${dead} pool=refusedonly
backend ${blackhole.url} pool=blackhole
backend ${good.url} pool=blackhole
backend ${blackhole.url} pool=blackholeonly
backend ${script.url} pool=script
backend ${stale.url} pool=stale
backend ${good.url} pool=stale
backend ${staleAlone.url} pool=stalealone
backend ${proxy.url} pool=faulty
route /refused/* backend_pool=refused
route /refusedonly/* backend_pool=refusedonly
route /blackhole/* backend_pool=blackhole
route /blackholeonly/* backend_pool=blackholeonly
route /script/* backend_pool=script
route /stale/* backend_pool=stale
route /stalealone/* backend_pool=stalealone
route /faulty/* backend_pool=faulty
`);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await Promise.all([good.close(), blackhole.close(), script.close(), stale.close(), staleAlone.close(), proxy.close(), streamer.close()]);
    assert.deepEqual(uncaught.stop(), [], 'no uncaught exception in the whole file');
  });

  let seq = 0;
  const id = (tag: string) => `${tag}-${++seq}`;
  const call = (path: string, method = 'GET', timeoutMs = 10_000) =>
    send(port, path, { method, id: id(method.toLowerCase()), body: method === 'POST' ? 'payload' : undefined, timeoutMs });

  it('retries a refused connection elsewhere, POST included, delivering each once', async () => {
    const out: Outcome[] = [];
    for (let i = 0; i < 20; i++) out.push(await call(`/refused/${i}`, i % 2 ? 'POST' : 'GET'));
    assert.deepEqual(out.map((o) => [o.status, o.backend]), out.map(() => [200, 'good']));
    assertLedger([good], out.map((o) => o.id), out.map((o) => o.id));
  });

  it('answers 502 when the only backend refuses connections', async () => {
    const r = await http.get(`http://127.0.0.1:${port}/refusedonly/x`);
    const res = await new Promise<http.IncomingMessage>((resolve) => r.on('response', resolve));
    let body = '';
    for await (const c of res) body += c;
    assert.equal(res.statusCode, 502);
    assert.match(body, /unreachable/);
  });

  it('gives up on a black-holed backend at the connect timeout and retries elsewhere, POST included', async () => {
    const out: Outcome[] = [];
    const took: number[] = [];
    for (let i = 0; i < 6; i++) {
      const started = Date.now();
      out.push(await call(`/blackhole/${i}`, i % 2 ? 'POST' : 'GET'));
      took.push(Date.now() - started);
    }
    assert.deepEqual(out.map((o) => [o.status, o.backend]), out.map(() => [200, 'good']));
    // Round robin sends every other first attempt into the black hole: those wait out the connect timeout.
    assert.ok(took.filter((t) => t >= CONNECT_MS - 20).length >= 2, `latencies ${took.join(', ')}`);
    assert.ok(Math.max(...took) < CONNECT_MS + SLACK_MS, `latencies ${took.join(', ')}`);
    // Nothing was sent into the black hole, so retrying a POST delivered it once.
    assertLedger([good], out.map((o) => o.id), out.map((o) => o.id));
  });

  it('answers 504 when the only backend is black-holed', async () => {
    const started = Date.now();
    const r = await rawExchange(port, 'GET /blackholeonly/x HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1, timeoutMs: 5000 });
    const [res] = parseResponses(r.text);
    assert.equal(res?.status, 504);
    assert.match(res!.body, new RegExp(`did not accept a connection within ${CONNECT_MS} ms`));
    assert.ok(Date.now() - started < CONNECT_MS + SLACK_MS);
  });

  it('answers 504 at the response timeout when a backend hangs after reading the request; a POST is not retried', async () => {
    script.setScript(() => {});
    const before = script.requests.length;
    const started = Date.now();
    const [get, post] = await Promise.all([call('/script/hang'), call('/script/hang', 'POST')]);
    const took = Date.now() - started;
    assert.deepEqual([get.status, post.status], [504, 504]);
    assert.ok(took >= SERVER_MS - 50 && took < SERVER_MS + SLACK_MS, `took ${took} ms`);
    assert.equal(deliveries([script]).get(post.id), 1, 'the POST reached the backend once');
    assert.equal(script.requests.length - before, 2);
  });

  it('cuts off a response whose backend hangs after the status line, at the client timeout', async () => {
    script.setScript((_req, conn) => conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789'));
    const r = await rawExchange(port, 'GET /script/stall HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 2 * CLIENT_MS + SLACK_MS + 3000 });
    assert.match(r.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(parseResponses(r.text).length, 0, 'the response never completed');
    assert.equal(r.closed, true, 'golb closed the connection');
    // Node re-arms an idle timer once while a write is pending, so at most two client timeouts.
    assert.ok(r.elapsedMs < 2 * CLIENT_MS + SLACK_MS, `closed after ${r.elapsedMs} ms`);
  });

  it('retries a GET reset before any response once, answers 502 to a reset POST, delivering it once', async () => {
    script.setScript((_req, conn) => conn.socket.resetAndDestroy());
    const get = await call('/script/reset');
    const post = await call('/script/reset', 'POST');
    assert.deepEqual([get.status, post.status], [502, 502]);
    const seen = deliveries([script]);
    assert.equal(seen.get(get.id), 2, 'a GET is replayed once on a fresh connection');
    assert.equal(seen.get(post.id), 1, 'a POST is never replayed');
  });

  const GARBAGE: Array<[string, string]> = [
    ['a four-digit status', 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n'],
    ['a status below 100', 'HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n'],
    ['an unknown version', 'HTTP/9.9 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ['no status line at all', 'garbage\r\n\r\n'],
    ['an HTTP/0.9-style bare body', '<html>hi</html>'],
    ['conflicting Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
    ['Content-Length with chunked', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
    ['an obs-folded field', 'HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nok'],
    ['bare LF line endings', 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok'],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nX-A : b\r\nContent-Length: 2\r\n\r\nok'],
    ['a NUL in a field', 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok'],
    ['a close without a byte', ''],
  ];
  for (const [name, reply] of GARBAGE) {
    it(`answers 502 to a backend that answers with ${name}; a POST is delivered once`, async () => {
      script.setScript((_req, conn) => {
        conn.socket.write(reply);
        setTimeout(() => conn.socket.end(), 20);
      });
      const get = await call('/script/garbage');
      const post = await call('/script/garbage', 'POST');
      assert.deepEqual([get.status, post.status], [502, 502]);
      assert.equal(deliveries([script]).get(post.id), 1);
    });
  }

  it('keeps serving after every garbage answer', async () => {
    script.setScript((req, conn) => conn.socket.write(okResponse('script', req)));
    const r = await call('/script/fine');
    assert.deepEqual([r.status, r.backend], [200, 'script']);
  });

  it('answers 502 to a 101 nobody asked for; a POST is delivered once', async () => {
    script.setScript((_req, conn) => conn.socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: other\r\nConnection: Upgrade\r\n\r\n'));
    const get = await call('/script/switch', 'GET', 5000);
    const post = await call('/script/switch', 'POST', 5000);
    assert.deepEqual([get.status, post.status], [502, 502]);
    assert.equal(deliveries([script]).get(post.id), 1);
  });

  it('gives the client its complete response when the backend sends extra bytes after it', async () => {
    script.setScript((_req, conn) => {
      conn.socket.write('HTTP/1.1 200 OK\r\nX-Backend: script\r\nContent-Length: 2\r\n\r\nokTRAILING-JUNK-THAT-IS-NOT-HTTP\r\n\r\n');
      setTimeout(() => conn.socket.end(), 20);
    });
    const r = await call('/script/extra');
    assert.deepEqual([r.status, r.backend], [200, 'script']);
    script.setScript((req, conn) => conn.socket.write(okResponse('script', req)));
    assert.equal((await call('/script/after-extra')).status, 200);
  });

  it('survives the stale keep-alive race: GETs retried transparently, a POST never duplicated', async () => {
    const out: Outcome[] = [];
    for (let i = 0; i < 45; i++) out.push(await call(`/stale/${i}`, i % 3 === 2 ? 'POST' : 'GET'));
    const gets = out.filter((o) => o.method === 'GET');
    const posts = out.filter((o) => o.method === 'POST');
    assert.deepEqual(gets.filter((o) => o.status !== 200).map((o) => o.status), [], 'every GET answered 200');
    assert.ok(stale.requests.some((r) => r.indexOnConnection > 0 && r.method === 'GET'), 'GETs did meet closed connections');
    assert.deepEqual(posts.filter((o) => o.status !== 200 && o.status !== 502).map((o) => o.status), []);
    // Each POST reached a backend at most once; each answered 200 exactly once.
    assertLedger([stale, good], posts.map((o) => o.id), posts.filter((o) => o.status === 200).map((o) => o.id));
  });

  it('retries a GET on the same backend over a fresh connection when it is the only one', async () => {
    const out: Outcome[] = [];
    for (let i = 0; i < 10; i++) out.push(await call(`/stalealone/${i}`));
    assert.deepEqual(out.map((o) => o.status), out.map(() => 200));
    assert.ok(staleAlone.connectionCount() > 5, 'connections were closed under the proxy and replaced');
  });

  it('aborts the upstream request when the client gives up first; the POST is not retried', async () => {
    const ANSWER_MS = 800;
    let closedAfter = -1;
    let answerDue = false;
    script.setScript((req, conn) => {
      const t0 = Date.now();
      conn.socket.once('close', () => (closedAfter = Date.now() - t0));
      setTimeout(() => ((answerDue = true), conn.socket.destroyed || conn.socket.write(okResponse('script', req))), ANSWER_MS);
    });
    const before = script.requests.length;
    const post = await call('/script/slow', 'POST', 150);
    assert.equal(post.status, 0, 'the client gave up');
    // The event: golb closed the upstream connection, and before the backend would have answered
    // (a bound the script sets, not the machine's speed).
    await waitFor('golb to drop the upstream request', () => closedAfter >= 0);
    assert.ok(closedAfter < ANSWER_MS, `golb dropped the upstream request ${closedAfter} ms after it started`);
    await waitFor("the backend's answer time to pass", () => answerDue);
    assert.equal(script.requests.length - before, 1, 'not retried anywhere');
    script.setScript((req, conn) => conn.socket.write(okResponse('script', req)));
    assert.equal((await call('/script/after')).status, 200);
  });

  it('passes a response through a slow link, and answers 504 when the latency exceeds the response timeout', async () => {
    proxy.setFault({ kind: 'latency', ms: 200 });
    let started = Date.now();
    const slow = await call('/faulty/size/1000');
    assert.deepEqual([slow.status, slow.backend], [200, 'streamer']);
    assert.ok(Date.now() - started >= 400, 'two crossings of 200 ms');
    proxy.setFault({ kind: 'latency', ms: SERVER_MS + 500 });
    started = Date.now();
    const tooSlow = await call('/faulty/size/1000', 'POST');
    assert.equal(tooSlow.status, 504);
    assert.ok(Date.now() - started < SERVER_MS + SLACK_MS);
    proxy.setFault({ kind: 'pass' });
    await sleep(SERVER_MS + 600);
    // golb dropped the upstream request at its timeout, so the delayed POST arrived at most once
    // (here: not at all, its connection was gone), and it was not retried.
    assert.ok((deliveries([streamer]).get(tooSlow.id) ?? 0) <= 1);
  });

  it('reassembles a response delivered a few bytes at a time, and a request sent one byte at a time', async () => {
    proxy.setFault({ kind: 'slice', bytes: 7, gapMs: 2 });
    const r = await rawExchange(port, 'GET /faulty/size/300 HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1, timeoutMs: 5000 });
    const [res] = parseResponses(r.text);
    assert.equal(res?.status, 200);
    assert.equal(res?.body, 'z'.repeat(300));
    proxy.setFault({ kind: 'pass' });
    const bytes = 'POST /faulty/size/5 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello';
    const before = streamer.requests.length;
    const sliced = await rawExchange(port, bytes.split(''), { gapMs: 2, responses: 1, timeoutMs: 5000 });
    assert.equal(parseResponses(sliced.text)[0]?.status, 200);
    assert.deepEqual(streamer.requests.slice(before).map((x) => x.body), ['hello']);
  });

  it('breaks the client connection when the backend link resets mid-body; a POST is delivered once', async () => {
    proxy.setFault({ kind: 'reset', afterBytes: 5000 });
    const r = await rawExchange(port, 'GET /faulty/size/100000 HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 5000 });
    assert.match(r.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(parseResponses(r.text).length, 0, 'the truncated response does not look complete');
    assert.equal(r.closed, true);
    const before = streamer.requests.length;
    const post = await call('/faulty/size/100000', 'POST');
    assert.ok(post.error !== undefined, 'the client sees a broken response, not a clean one');
    assert.equal(streamer.requests.length - before, 1, 'the POST was delivered once');
    assert.equal(deliveries([streamer]).get(post.id), 1);
    proxy.setFault({ kind: 'pass' });
    assert.equal((await call('/faulty/size/10')).status, 200);
  });
});

describe('a backend slower than the client timeout', () => {
  let script: ScriptedBackend;
  let cluster: Cluster;
  let port: number;
  before(async () => {
    script = await startScriptedBackend('patient', (req, conn) => setTimeout(() => conn.socket.write(okResponse('patient', req)), 1500));
    cluster = await startCluster(`
method round_robin
health_check off
timeout client 1s
timeout server 3s
backend ${script.url}
`);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await script.close();
  });

  it('still gets its answer through: the client side waits as long as the backend may take', async () => {
    const started = Date.now();
    const r = await send(port, '/patient', { id: 'patient-1', method: 'POST', body: 'x' });
    assert.deepEqual([r.status, r.backend], [200, 'patient']);
    assert.ok(Date.now() - started >= 1400);
    assert.equal(deliveries([script]).get('patient-1'), 1);
  });
});

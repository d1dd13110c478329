// Request framing end to end: a body reaches the backend framed exactly as the client framed it,
// whatever the method and engine (http-proxy once turned a chunked DELETE into `Content-Length: 0`
// and piped the body after it: a second, smuggled request). And pipelined requests are served one
// after another, in order; one whose answer the client will never get never reaches a backend.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { connect, parseResponses, rawExchange } from './raw-client.js';
import { okResponse, startScriptedBackend, type ScriptedBackend } from './scripted-backend.js';
import { sleep } from './support.js';

const METHODS = ['GET', 'HEAD', 'DELETE', 'OPTIONS', 'POST', 'PUT', 'PATCH'];
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';

/**
 * The status of the one response to `bytes`. A response to HEAD has no body whatever its
 * Content-Length says, so the head alone is the whole response.
 */
async function statusOf(port: number, method: string, bytes: string): Promise<number | undefined> {
  if (method !== 'HEAD') {
    const r = await rawExchange(port, bytes, { responses: 1, timeoutMs: 5000 });
    return parseResponses(r.text)[0]?.status;
  }
  const socket = await connect(port);
  socket.on('error', () => {});
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  socket.write(bytes);
  await waitFor('a response head', () => text.includes('\r\n\r\n'), 5000).catch(() => undefined);
  socket.destroy();
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('request framing', () => {
  let backend: ScriptedBackend;
  let cluster: Cluster;
  let port: number;
  before(async () => {
    backend = await startScriptedBackend('main');
    cluster = await startCluster(`
method round_robin
health_check off
passive_health off
backend ${backend.url}
`);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await backend.close();
  });

  for (const method of METHODS) {
    it(`carries a chunked ${method} body as one chunked request, never as a second one`, async () => {
      const before = backend.requests.length;
      const body = SMUGGLED;
      const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      assert.equal(await statusOf(port, method, `${method} /te HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`), 200);
      // A smuggled second request would arrive right behind the first: give it the chance.
      await sleep(150);
      const got = backend.requests.slice(before);
      assert.deepEqual(got.map((x) => [x.method, x.url, x.body]), [[method, '/te', body]]);
      assert.equal(got[0]!.headers['transfer-encoding'], 'chunked');
      assert.equal(got[0]!.headers['content-length'], undefined);
    });

    it(`carries a ${method} body with Content-Length as exactly that many bytes`, async () => {
      const before = backend.requests.length;
      assert.equal(await statusOf(port, method, `${method} /cl HTTP/1.1\r\nHost: x\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`), 200);
      await sleep(150);
      const got = backend.requests.slice(before);
      assert.deepEqual(got.map((x) => [x.method, x.url, x.body]), [[method, '/cl', SMUGGLED]]);
      assert.equal(got[0]!.headers['content-length'], String(SMUGGLED.length));
      assert.equal(got[0]!.headers['transfer-encoding'], undefined);
    });
  }
});

describe('pipelined requests', () => {
  let backend: ScriptedBackend;
  let cluster: Cluster;
  let port: number;
  before(async () => {
    backend = await startScriptedBackend('main');
    cluster = await startCluster(`
method round_robin
health_check off
passive_health off
client_max_body_size 64
backend ${backend.url}
`);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await backend.close();
  });

  it('never forwards a request pipelined behind one refused with 413 (the refusal closes the connection)', async () => {
    const before = backend.requests.length;
    const big = 'x'.repeat(100);
    const r = await rawExchange(port, `POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: ${big.length}\r\n\r\n${big}GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n`, { timeoutMs: 5000 });
    assert.deepEqual(parseResponses(r.text).map((x) => [x.status, x.headers.connection]), [[413, 'close']]);
    assert.equal(r.closed, true);
    await sleep(150);
    assert.deepEqual(backend.requests.slice(before).map((x) => x.url), []);
  });

  it('never forwards a request pipelined between an answered one and a malformed one (the error closes the connection)', async () => {
    // The reproduction: the trailing `0\r\n\r\n` (left over from a CL.TE attempt) is a
    // parse error, which makes the POST's answer close the connection; the GET between them
    // would never be answered, so it must never be forwarded.
    const before = backend.requests.length;
    backend.setScript((req, conn) => {
      if (req.method === 'POST') setTimeout(() => conn.socket.write(okResponse('main', req)), 100);
      else conn.socket.write(okResponse('main', req));
    });
    try {
      const r = await rawExchange(port, `POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n0\r\n\r\n`, { timeoutMs: 5000 });
      assert.deepEqual(parseResponses(r.text).map((x) => [x.status, x.body.trim(), x.headers.connection]), [[200, 'main POST /form', 'close']]);
      assert.equal(r.closed, true);
      await sleep(150);
      assert.deepEqual(backend.requests.slice(before).map((x) => x.url), ['/form']);
    } finally {
      backend.setScript((req, conn) => conn.socket.write(okResponse('main', req)));
    }
  });

  it('answers three pipelined GETs in order, on one connection that stays open', async () => {
    const before = backend.requests.length;
    const r = await rawExchange(port, ['/1', '/2', '/3'].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''), { responses: 3, timeoutMs: 5000 });
    const responses = parseResponses(r.text);
    assert.deepEqual(responses.map((x) => [x.status, x.body.trim()]), [[200, 'main GET /1'], [200, 'main GET /2'], [200, 'main GET /3']]);
    assert.equal(r.closed, false, 'keep-alive pipelining keeps the connection');
    assert.ok(responses.every((x) => x.headers.connection !== 'close'));
    assert.deepEqual(backend.requests.slice(before).map((x) => x.url), ['/1', '/2', '/3']);
  });

  it('answers a POST and the GET pipelined behind it, both, and keeps the connection', async () => {
    const before = backend.requests.length;
    const r = await rawExchange(port, `POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /next HTTP/1.1\r\nHost: x\r\n\r\n`, { responses: 2, timeoutMs: 5000 });
    const responses = parseResponses(r.text);
    assert.deepEqual(responses.map((x) => [x.status, x.body.trim(), x.headers.connection]), [[200, 'main POST /form', 'keep-alive'], [200, 'main GET /next', 'keep-alive']]);
    assert.deepEqual(backend.requests.slice(before).map((x) => [x.url, x.body]), [['/form', 'abc'], ['/next', '']]);
  });

  it('does not forward a pipelined request before the response ahead of it is complete', async () => {
    const before = backend.requests.length;
    const held: Array<() => void> = [];
    backend.setScript((req, conn) => {
      if (req.url === '/slow') held.push(() => conn.socket.write(okResponse('main', req)));
      else conn.socket.write(okResponse('main', req));
    });
    try {
      const socket = await connect(port);
      socket.on('error', () => {});
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      socket.write(`GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n`);
      await waitFor('the first request to reach the backend', () => held.length === 1, 3000);
      // While /slow is unanswered, /after waits in golb.
      await sleep(300);
      assert.deepEqual(backend.requests.slice(before).map((x) => x.url), ['/slow']);
      held[0]!();
      await waitFor('both pipelined responses', () => parseResponses(text).length === 2, 5000).catch(() => assert.fail(text));
      assert.deepEqual(parseResponses(text).map((x) => x.body.trim()), ['main GET /slow', 'main GET /after']);
      assert.deepEqual(backend.requests.slice(before).map((x) => x.url), ['/slow', '/after']);
      socket.destroy();
    } finally {
      backend.setScript((req, conn) => conn.socket.write(okResponse('main', req)));
    }
  });

  it('never forwards requests queued behind a response that closes the connection', async () => {
    const before = backend.requests.length;
    // The backend closes after /closing: golb's answer to it says Connection: close, so the
    // client will never get answers to what it pipelined behind it.
    backend.setScript((req, conn) => {
      if (req.url === '/closing') conn.socket.end(okResponse('main', req, 'Connection: close\r\n'));
      else conn.socket.write(okResponse('main', req));
    });
    try {
      // HTTP/1.0 without keep-alive: the first answer closes the connection whatever the backend says.
      for (const first of [`GET /closing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, `GET /plain10 HTTP/1.0\r\nHost: x\r\n\r\n`]) {
        const mark = backend.requests.length;
        const r = await rawExchange(port, `${first}GET /queued HTTP/1.1\r\nHost: x\r\n\r\nPOST /queued-post HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc`, { timeoutMs: 5000 });
        const responses = parseResponses(r.text);
        assert.equal(responses.length, 1, r.text);
        assert.equal(responses[0]!.status, 200);
        assert.equal(r.closed, true);
        await sleep(150);
        assert.deepEqual(backend.requests.slice(mark).map((x) => x.url), [first.split(' ')[1]]);
      }
      assert.ok(!backend.requests.slice(before).some((x) => x.url.startsWith('/queued')));
    } finally {
      backend.setScript((req, conn) => conn.socket.write(okResponse('main', req)));
    }
  });
});

// Methods and request-target forms at the edge: TRACE is refused (405 with Allow) unless
// allow_trace is on, since a reflecting backend would echo Authorization and cookies back;
// `OPTIONS *` is valid HTTP and goes to the default pool as `*`; any other method with `*` is a
// 400; a request line over the head limit is a 414, a header section over it a 431.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { parseResponses, rawExchange } from './raw-client.js';
import { okResponse, startScriptedBackend, type ScriptedBackend } from './scripted-backend.js';

const CONFIG = (def: string, api: string, extra = '') => `
method round_robin
health_check off
backend ${def}
backend ${api} pool=api
route /* backend_pool=api
${extra}`;

describe('methods and request-target forms', () => {
  let def: ScriptedBackend;
  let api: ScriptedBackend;
  let cluster: Cluster;
  let port: number;
  const seen = () => def.requests.length + api.requests.length;
  before(async () => {
    // The default-pool backend reflects TRACE the way RFC 9110 §9.3.8 describes: the request as the body.
    def = await startScriptedBackend('def', (req, conn) => conn.socket.write(okResponse('def', req)));
    api = await startScriptedBackend('api', (req, conn) => conn.socket.write(okResponse('api', req)));
    cluster = await startCluster(CONFIG(def.url, api.url));
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await Promise.all([def.close(), api.close()]);
  });

  async function one(payload: string | string[], gapMs = 0) {
    const r = await rawExchange(port, payload, { responses: 1, timeoutMs: 5000, gapMs });
    const [res] = parseResponses(r.text);
    assert.ok(res, `a response, got ${JSON.stringify(r.text.slice(0, 80))}`);
    return res;
  }

  it('answers TRACE with 405 and an Allow header, and no backend sees it', async () => {
    const n = seen();
    const res = await one('TRACE /x HTTP/1.1\r\nHost: a.example\r\nAuthorization: Bearer secret\r\nCookie: s=1\r\nConnection: close\r\n\r\n');
    assert.equal(res.status, 405);
    assert.match(res.headers.allow ?? '', /\bGET\b/);
    assert.doesNotMatch(res.headers.allow ?? '', /TRACE/);
    assert.doesNotMatch(res.body, /secret/);
    assert.equal(seen(), n);
  });

  it('forwards OPTIONS * to the default pool with the target * (not to a route), and refuses * with other methods', async () => {
    const n = def.requests.length;
    const res = await one('OPTIONS * HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-backend'], 'def');
    const got = def.requests[n];
    assert.ok(got);
    assert.deepEqual([got.method, got.url], ['OPTIONS', '*']);
    assert.equal(got.headers['x-forwarded-for'], '127.0.0.1');
    const before = seen();
    for (const method of ['GET', 'POST', 'DELETE', 'PUT']) {
      assert.equal((await one(`${method} * HTTP/1.1\r\nHost: a.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)).status, 400, method);
    }
    assert.equal(seen(), before);
  });

  it('answers 414 to a request line over the limit and 431 to a header section over it, in one write or several', async () => {
    const longUrl = `/${'a'.repeat(20_000)}`;
    const n = seen();
    assert.equal((await one(`GET ${longUrl} HTTP/1.1\r\nHost: a.example\r\n\r\n`)).status, 414);
    const split = `GET ${longUrl} HTTP/1.1\r\nHost: a.example\r\n\r\n`;
    assert.equal((await one([split.slice(0, 6000), split.slice(6000, 12_000), split.slice(12_000)], 50)).status, 414);
    const cookie = Array.from({ length: 200 }, (_, i) => `c${i}=${'v'.repeat(100)}`).join('; ');
    const bigHead = `GET /x HTTP/1.1\r\nHost: a.example\r\nCookie: ${cookie}\r\n\r\n`;
    assert.equal((await one(bigHead)).status, 431);
    assert.equal((await one([bigHead.slice(0, 6000), bigHead.slice(6000, 12_000), bigHead.slice(12_000)], 50)).status, 431);
    const manyHeaders = `GET /x HTTP/1.1\r\nHost: a.example\r\n${Array.from({ length: 40 }, (_, i) => `X-H${i}: ${'h'.repeat(500)}\r\n`).join('')}\r\n`;
    assert.equal((await one(manyHeaders)).status, 431);
    assert.equal(seen(), n, 'none of them reached a backend');
  });

  it('forwards TRACE with allow_trace on', async () => {
    const reloaded = await cluster.reload(CONFIG(def.url, api.url, 'allow_trace on'));
    assert.equal(reloaded.ok, true, JSON.stringify(reloaded.errors));
    await waitFor('the data plane to apply it', () => cluster.dps[0]!.version() === reloaded.version);
    const n = api.requests.length;
    const res = await one('TRACE /x HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n');
    assert.equal(res.status, 200);
    assert.equal(api.requests[n]?.method, 'TRACE');
  });
});

// The Host header (and an absolute-form target's authority) must be `host[:port]`: anything else
// gets 400 and never reaches a backend. `api.example.com:@evil.net` used to match a
// host=api.example.com route and went upstream verbatim, also as X-Forwarded-Host.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { parseResponses, rawExchange } from './raw-client.js';
import { okResponse, startScriptedBackend, type ScriptedBackend } from './scripted-backend.js';

describe('Host header validation', () => {
  let api: ScriptedBackend;
  let web: ScriptedBackend;
  let cluster: Cluster;
  let port: number;
  before(async () => {
    api = await startScriptedBackend('api', (req, conn) => conn.socket.write(okResponse('api', req)));
    web = await startScriptedBackend('web', (req, conn) => conn.socket.write(okResponse('web', req)));
    cluster = await startCluster(`
method round_robin
health_check off
backend ${web.url}
backend ${api.url} pool=api
route /* backend_pool=api host=api.example.com
`);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await Promise.all([api.close(), web.close()]);
  });

  async function status(head: string): Promise<number> {
    const r = await rawExchange(port, head, { responses: 1, timeoutMs: 3000 });
    const [res] = parseResponses(r.text);
    assert.ok(res, `a response to ${JSON.stringify(head.slice(0, 80))}, got ${JSON.stringify(r.text.slice(0, 80))}`);
    return res.status;
  }

  const refused = [
    'api.example.com:@evil.net',
    'api.example.com@evil.net',
    'user:pw@api.example.com',
    'api.example.com:8o',
    'api.example.com:99999',
    'api.example.com:0',
    'api.example.com:',
    'api.example.com:80:80',
    'api.example.com/evil',
    'api.example.com\\evil',
    'api.example.com?x',
    'api.example.com,evil.net',
    'api example.com',
    '[::1',
    '[::1]:70000',
    '[fe80::1%25eth0]',
    '999.0.0.1',
  ];

  it('answers 400 to every malformed Host, and no backend sees the request', async () => {
    const before = api.requests.length + web.requests.length;
    for (const host of refused) {
      assert.equal(await status(`GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`), 400, `Host: ${host}`);
    }
    assert.equal(api.requests.length + web.requests.length, before, 'nothing reached a backend');
  });

  it('answers 400 to an absolute-form target with a malformed authority, whatever Host says', async () => {
    const before = api.requests.length + web.requests.length;
    for (const authority of refused.filter((h) => !h.includes('/') && !h.includes('?') && !h.includes(' '))) {
      const head = `GET http://${authority}/x HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n`;
      assert.equal(await status(head), 400, `target authority ${authority}`);
    }
    assert.equal(await status('GET http://api.example.com:@evil.net/x HTTP/1.1\r\nHost: api.example.com:@evil.net\r\nConnection: close\r\n\r\n'), 400);
    assert.equal(api.requests.length + web.requests.length, before, 'nothing reached a backend');
  });

  it('answers 400 to an HTTP/1.1 request without Host, and serves HTTP/1.0 without one', async () => {
    const before = api.requests.length + web.requests.length;
    assert.equal(await status('GET /x HTTP/1.1\r\nConnection: close\r\n\r\n'), 400);
    assert.equal(api.requests.length + web.requests.length, before);
    assert.equal(await status('GET /x HTTP/1.0\r\n\r\n'), 200);
  });

  it('routes and forwards valid forms unchanged: name, name:port, IPv4, [IPv6]:port, absolute form', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET /a HTTP/1.1\r\nHost: api.example.com\r\n', 'api', 'api.example.com'],
      ['GET /a HTTP/1.1\r\nHost: API.Example.com:8443\r\n', 'api', 'API.Example.com:8443'],
      ['GET /a HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n', 'web', '127.0.0.1:8080'],
      ['GET /a HTTP/1.1\r\nHost: [::1]:8080\r\n', 'web', '[::1]:8080'],
      ['GET http://api.example.com/a HTTP/1.1\r\nHost: api.example.com\r\n', 'api', 'api.example.com'],
    ];
    for (const [head, backend, host] of cases) {
      const target = backend === 'api' ? api : web;
      const n = target.requests.length;
      assert.equal(await status(`${head}Connection: close\r\n\r\n`), 200, head);
      const got = target.requests[n];
      assert.ok(got, `${backend} got ${JSON.stringify(head)}`);
      assert.equal(got.headers.host, host);
      assert.equal(got.headers['x-forwarded-host'], host);
      assert.equal(got.url, '/a');
    }
  });
});

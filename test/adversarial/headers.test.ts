// Header hygiene through the real proxy, both ways: hop-by-hop fields never cross, the
// X-Forwarded-* family is golb's word and not the client's, and header limits answer 431 before a
// byte reaches a backend. The backend is a scripted TCP peer, so it sees the exact head golb sends
// and can answer with fields an HTTP library would not let it write.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { headerNames } from '../kit/raw-head.js';
import { connect, parseResponses, rawExchange } from './raw-client.js';
import { okResponse, startScriptedBackend, type ScriptedBackend } from './scripted-backend.js';

const BASE = (url: string, extra = '') => `
method round_robin
health_check off
max_header_size 8k
max_headers 50
client_max_body_size 1k
backend ${url}
${extra}`;

describe('header hygiene', () => {
  let backend: ScriptedBackend;
  let cluster: Cluster;
  let port: number;
  before(async () => {
    backend = await startScriptedBackend('hdr');
    cluster = await startCluster(BASE(backend.url));
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await backend.close();
  });

  async function one(head: string, expectClose = false): Promise<{ status: number; headers: Record<string, string>; rawNames: string[]; closed: boolean }> {
    const r = await rawExchange(port, head, { responses: 1, graceMs: expectClose ? 2000 : 0, timeoutMs: 3000 });
    const [res] = parseResponses(r.text);
    assert.ok(res, `a response, got ${JSON.stringify(r.text.slice(0, 80))}`);
    return { status: res.status, headers: res.headers, rawNames: res.rawNames, closed: r.closed };
  }

  it('drops hop-by-hop request fields, the ones Connection names, TE, Trailer, Upgrade and Proxy-*', async () => {
    const before = backend.requests.length;
    const r = await one(
      'GET /hop HTTP/1.1\r\nHost: shop.example\r\n' +
        'Connection: keep-alive, X-Hop, X-Other-Hop\r\nX-Hop: 1\r\nX-Other-Hop: 2\r\nKeep-Alive: timeout=300\r\n' +
        'TE: trailers\r\nTrailer: X-Checksum\r\nUpgrade: h2c\r\n' +
        'Proxy-Authorization: Basic dXNlcjpwYXNz\r\nProxy-Connection: keep-alive\r\nProxy-Custom: y\r\n' +
        'Accept: text/html\r\nX-Kept: yes\r\n\r\n',
    );
    assert.equal(r.status, 200);
    const got = backend.requests.slice(before);
    assert.equal(got.length, 1);
    const sent = headerNames(got[0]!.rawHead);
    for (const name of ['x-hop', 'x-other-hop', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection', 'proxy-custom']) {
      assert.ok(!sent.includes(name), `${name} reached the backend:\n${got[0]!.rawHead}`);
    }
    // What remains is the client's end-to-end fields plus golb's own.
    const allowed = new Set(['host', 'accept', 'x-kept', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'x-request-id', 'connection']);
    assert.deepEqual(sent.filter((n) => !allowed.has(n)), []);
    assert.equal(got[0]!.headers['x-kept'], 'yes');
    assert.equal(got[0]!.headers.accept, 'text/html');
    // golb's own upstream connection management, never the client's tokens.
    const connection = got[0]!.headers.connection;
    assert.ok(connection === undefined || /^(keep-alive|close)$/i.test(connection), `upstream Connection: ${connection}`);
  });

  it('refuses a non-WebSocket upgrade (h2c) with 400 and never forwards it', async () => {
    const before = backend.requests.length;
    const r = await one('GET /h2c HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n', true);
    assert.equal(r.status, 400);
    assert.equal(r.closed, true);
    assert.equal(backend.requests.length, before);
  });

  it('drops hop-by-hop response fields, the ones Connection names, and Proxy-*', async () => {
    backend.setScript((req, conn) =>
      conn.socket.write(
        okResponse(
          'hdr',
          req,
          'Connection: keep-alive, X-Hop-Resp\r\nX-Hop-Resp: secret\r\nKeep-Alive: timeout=999, max=7\r\n' +
            'Proxy-Authenticate: Basic realm="inner"\r\nProxy-Connection: keep-alive\r\nTrailer: X-Checksum\r\n' +
            'Upgrade: h2c\r\nX-Kept: yes\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n',
        ),
      ),
    );
    try {
      const r = await one('GET /resp HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(r.status, 200);
      for (const name of ['x-hop-resp', 'proxy-authenticate', 'proxy-connection', 'trailer', 'upgrade']) {
        assert.equal(r.headers[name], undefined, `${name} reached the client`);
      }
      // golb may speak keep-alive to its client, in its own words only.
      assert.doesNotMatch(r.headers['keep-alive'] ?? '', /999|max=7/);
      assert.doesNotMatch(r.headers.connection ?? '', /x-hop-resp/i);
      assert.equal(r.headers['x-kept'], 'yes');
      assert.equal(r.headers['set-cookie'], 'a=1, b=2', 'repeated end-to-end fields are all kept');
    } finally {
      backend.setScript((req, conn) => conn.socket.write(okResponse('hdr', req)));
    }
  });

  it('overwrites a spoofed X-Forwarded-For, X-Real-IP, Forwarded and X-Forwarded-* from an untrusted peer', async () => {
    const before = backend.requests.length;
    const r = await one(
      'GET /xff HTTP/1.1\r\nHost: shop.example:8080\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 7.7.7.7, 8.8.8.8\r\n' +
        'X-Real-IP: 6.6.6.6\r\nForwarded: for=6.6.6.6;proto=https\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\n' +
        'X-Forwarded-Port: 1\r\nX-Request-Id: <script>\r\n\r\n',
    );
    assert.equal(r.status, 200);
    const got = backend.requests.slice(before)[0]!;
    const sent = headerNames(got.rawHead);
    assert.equal(sent.filter((n) => n === 'x-forwarded-for').length, 1, 'exactly one X-Forwarded-For');
    assert.equal(got.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(got.headers['x-real-ip'], '127.0.0.1');
    assert.equal(got.headers['x-forwarded-host'], 'shop.example:8080');
    assert.equal(got.headers['x-forwarded-proto'], 'http');
    assert.equal(got.headers.forwarded, undefined);
    assert.equal(got.headers['x-forwarded-port'], undefined);
    assert.notEqual(got.requestId, '<script>');
    assert.match(got.requestId ?? '', /^[A-Za-z0-9_-]{10,}$/);
  });

  it('keeps a safe client request id', async () => {
    const before = backend.requests.length;
    assert.equal((await one('GET /rid HTTP/1.1\r\nHost: x\r\nX-Request-Id: order-42.a:b@c\r\n\r\n')).status, 200);
    assert.equal(backend.requests.slice(before)[0]!.requestId, 'order-42.a:b@c');
  });

  it('answers 431 to one oversized header and to a head over max_header_size, before any backend sees it', async () => {
    const before = backend.requests.length;
    const big = await one(`GET /big HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`, true);
    assert.equal(big.status, 431);
    assert.equal(big.closed, true);
    const many = Array.from({ length: 40 }, (_, i) => `X-Part-${i}: ${'b'.repeat(250)}\r\n`).join('');
    const wide = await one(`GET /wide HTTP/1.1\r\nHost: x\r\n${many}\r\n`);
    assert.equal(wide.status, 431);
    assert.equal(backend.requests.length, before);
    // Just under the limit is served.
    const fits = await one(`GET /fits HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(7000)}\r\n\r\n`);
    assert.equal(fits.status, 200);
    assert.equal(backend.requests.length, before + 1);
  });

  it('answers 431 to more than max_headers fields, before any backend sees it', async () => {
    const before = backend.requests.length;
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-F${i}: v\r\n`).join('');
    const tooMany = await one(`GET /many HTTP/1.1\r\nHost: x\r\n${fields(60)}\r\n`, true);
    assert.equal(tooMany.status, 431);
    assert.equal(tooMany.closed, true);
    assert.equal(backend.requests.length, before);
    assert.equal((await one(`GET /some HTTP/1.1\r\nHost: x\r\n${fields(45)}\r\n`)).status, 200);
    assert.equal(backend.requests.length, before + 1);
  });

  it('answers 413 to a declared body over client_max_body_size, before any backend sees it', async () => {
    const before = backend.requests.length;
    const over = await one(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n${'u'.repeat(2000)}`, true);
    assert.equal(over.status, 413);
    assert.equal(over.closed, true);
    assert.equal(backend.requests.length, before);
    const fits = await one(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n${'u'.repeat(1000)}`);
    assert.equal(fits.status, 200);
    assert.deepEqual(backend.requests.slice(before).map((x) => x.body.length), [1000]);
  });

  it('cuts off a chunked body once it passes client_max_body_size; the backend never gets it complete', async () => {
    const before = backend.requests.length;
    const chunk = `258\r\n${'c'.repeat(600)}\r\n`;
    const r = await rawExchange(port, [`POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`, chunk, chunk, chunk, '0\r\n\r\n'], { gapMs: 50, timeoutMs: 3000 });
    assert.equal(r.closed, true);
    const responses = parseResponses(r.text);
    // The 413 goes out first; a client still sending may see the reset before it reads it.
    assert.ok(responses.length === 0 || (responses.length === 1 && responses[0]!.status === 413), r.text.slice(0, 100));
    assert.equal(backend.requests.length, before);
    const small = await rawExchange(port, `POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}0\r\n\r\n`, { responses: 1 });
    assert.equal(parseResponses(small.text)[0]?.status, 200);
    assert.deepEqual(backend.requests.slice(before).map((x) => x.body.length), [600]);
  });

  it('applies a lowered max_header_size to a connection opened before the reload', async () => {
    const socket = await connect(port);
    try {
      const reloaded = await cluster.reload(BASE(backend.url, 'max_header_size 4k'));
      assert.equal(reloaded.ok, true, JSON.stringify(reloaded.errors));
      await waitFor('the data plane to apply the new limit', () => cluster.dps[0]!.version() === reloaded.version);
      const before = backend.requests.length;
      const reply = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d: Buffer) => {
          text += d.toString('latin1');
          if (parseResponses(text).length > 0) resolve(text);
        });
        socket.on('close', () => resolve(text));
      });
      socket.write(`GET /old-conn HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(6000)}\r\n\r\n`);
      assert.equal(parseResponses(await reply)[0]?.status, 431);
      assert.equal(backend.requests.length, before);
    } finally {
      socket.destroy();
    }
  });

  it('believes X-Forwarded-For only from a trusted proxy, and then extends it', async () => {
    const reloaded = await cluster.reload(BASE(backend.url, 'trusted_proxies 127.0.0.1'));
    assert.equal(reloaded.ok, true, JSON.stringify(reloaded.errors));
    await waitFor('the data plane to trust 127.0.0.1', () => cluster.dps[0]!.version() === reloaded.version);
    const before = backend.requests.length;
    assert.equal((await one('GET /trusted HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n')).status, 200);
    const got = backend.requests.slice(before)[0]!;
    assert.equal(got.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(got.headers['x-real-ip'], '203.0.113.9');
  });
});

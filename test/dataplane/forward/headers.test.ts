// Header hygiene at the proxy boundary, driven through buildUpstreamHeaders / filterResponseHeaders.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { buildUpstreamHeaders, filterResponseHeaders } from '../../../dataplane/forward/headers.js';

function incoming(raw: Record<string, string>): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.headers = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v]));
  return req;
}

const opts = { clientIp: '10.0.0.7', proto: 'http' as const, host: 'shop.example', requestId: 'rid-1' };

describe('upstream request headers', () => {
  it('drops hop-by-hop fields, those named in Connection, and Proxy-*', () => {
    const out = buildUpstreamHeaders(
      incoming({
        Host: 'shop.example',
        Connection: 'close, X-Secret-Hop',
        'Keep-Alive': 'timeout=5',
        TE: 'trailers',
        Trailer: 'X-T',
        Upgrade: 'h2c',
        'Proxy-Authorization': 'Basic x',
        'Proxy-Connection': 'keep-alive',
        'X-Secret-Hop': '1',
        Accept: 'text/html',
      }),
      opts,
    );
    for (const name of ['connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection', 'x-secret-hop']) {
      assert.equal(out[name], undefined, name);
    }
    assert.equal(out.accept, 'text/html');
    assert.equal(out.host, 'shop.example');
  });

  it('sets X-Forwarded-* and X-Request-Id itself, replacing what an untrusted client sent', () => {
    const out = buildUpstreamHeaders(incoming({ 'X-Forwarded-For': '1.2.3.4', 'X-Forwarded-Proto': 'https', 'X-Real-IP': '1.2.3.4', Forwarded: 'for=1.2.3.4' }), opts);
    assert.equal(out['x-forwarded-for'], '10.0.0.7');
    assert.equal(out['x-forwarded-proto'], 'http');
    assert.equal(out['x-forwarded-host'], 'shop.example');
    assert.equal(out['x-real-ip'], '10.0.0.7');
    assert.equal(out['x-request-id'], 'rid-1');
    assert.equal(out.forwarded, undefined);
  });

  it('extends the chain received from a trusted proxy', () => {
    const out = buildUpstreamHeaders(incoming({}), { ...opts, priorForwardedFor: '203.0.113.9, 10.0.0.1' });
    assert.equal(out['x-forwarded-for'], '203.0.113.9, 10.0.0.1, 10.0.0.7');
  });

  it('keeps chunked framing explicit and the upgrade pair only for upgrades', () => {
    assert.equal(buildUpstreamHeaders(incoming({ 'Transfer-Encoding': 'chunked' }), opts)['transfer-encoding'], 'chunked');
    const up = buildUpstreamHeaders(incoming({ Connection: 'Upgrade', Upgrade: 'websocket' }), { ...opts, upgrade: true });
    assert.equal(up.connection, 'Upgrade');
    assert.equal(up.upgrade, 'websocket');
  });
});

describe('response headers', () => {
  it('drops hop-by-hop fields and keeps repeated ones in order', () => {
    const raw = ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Connection', 'keep-alive, X-Hop', 'Keep-Alive', 'timeout=5', 'X-Hop', 'y', 'Transfer-Encoding', 'chunked', 'Proxy-Authenticate', 'Basic'];
    const out = filterResponseHeaders(raw, { connection: 'keep-alive, X-Hop', 'transfer-encoding': 'chunked' });
    assert.deepEqual(out, ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  });

  it('keeps a valid Content-Length', () => {
    assert.deepEqual(filterResponseHeaders(['Content-Length', '12'], { 'content-length': '12' }), ['Content-Length', '12']);
  });
});

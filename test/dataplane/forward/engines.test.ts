// One table of forwarding cases run against every ForwardEngine, with real backends on loopback:
// both engines must report the same outcome and the client must see the same thing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ForwardEngine, ForwardResult } from '../../../dataplane/forward/engine.js';
import { buildUpstreamHeaders, filterRawResponseHeaders, filterResponseHeaders } from '../../../dataplane/forward/headers.js';
import { createHttpProxyEngine } from '../../../dataplane/forward/http-proxy-engine.js';
import { createUndiciEngine } from '../../../dataplane/forward/undici-engine.js';
import { freePort, startFakeBackend, type FakeBackend } from '../../fakes/fake-backend.js';

interface Front {
  port: number;
  /** Every engine outcome, per X-Case header, in attempt order. */
  results: Map<string, ForwardResult[]>;
  close(): Promise<void>;
}

/**
 * A minimal proxy around one engine: X-Targets lists backend URLs to try in order (the next one
 * only after connect-failed), X-Response-Ms sets the response timeout, X-Cookie a Set-Cookie to add,
 * X-Close asks for Connection: close.
 */
async function startFront(engine: ForwardEngine): Promise<Front> {
  const results = new Map<string, ForwardResult[]>();
  const server = http.createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const id = String(req.headers['x-case']);
    const list: ForwardResult[] = [];
    results.set(id, list);
    const targets = String(req.headers['x-targets']).split(',');
    const responseMs = Number(req.headers['x-response-ms'] ?? 5000);
    for (const t of targets) {
      const result = await engine.forward({
        req,
        res,
        target: { id: t, url: new URL(t) },
        path: req.url ?? '/',
        headers: buildUpstreamHeaders(req, { clientIp: '127.0.0.1', proto: 'http', host: req.headers.host ?? '', requestId: id }),
        timeouts: { connectMs: 2000, responseMs, idleMs: 10_000 },
        responseHeaders: {
          setCookie: req.headers['x-cookie'] as string | undefined,
          connectionClose: req.headers['x-close'] === '1',
        },
      });
      list.push(result);
      if (result.outcome === 'connect-failed') continue;
      if (result.outcome === 'failed' && !result.responseStarted) {
        const status = result.errorClass === 'timeout' ? 504 : 502;
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(`${status} ${result.errorClass}\n`);
      }
      return;
    }
    res.writeHead(502);
    res.end('502 all unreachable\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    results,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function send(port: number, id: string, targets: string[], o: { method?: string; body?: string | Buffer[]; headers?: Record<string, string>; path?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: o.path ?? `/case/${id}`,
        method: o.method ?? 'GET',
        agent: false,
        headers: { 'x-case': id, 'x-targets': targets.join(','), ...o.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
      },
    );
    req.on('error', reject);
    if (Array.isArray(o.body)) {
      // A chunked upload, written in pieces.
      for (const part of o.body) req.write(part);
      req.end();
    } else req.end(o.body);
  });
}

/** A backend answering every request with `size` bytes, counting the connections it accepts. */
async function startBigBackend(size: number): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const payload = Buffer.alloc(size, 'z');
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size, connection: 'keep-alive, x-hop', 'x-hop': 'secret', 'keep-alive': 'timeout=5' });
      res.end(payload);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const engines: Array<[string, () => ForwardEngine]> = [
  ['http-proxy', () => createHttpProxyEngine()],
  ['undici', () => createUndiciEngine()],
];

for (const [name, make] of engines) {
  describe(`forward engine: ${name}`, () => {
    let engine: ForwardEngine;
    let front: Front;
    let good: FakeBackend;
    let bad: FakeBackend;
    let big: Awaited<ReturnType<typeof startBigBackend>>;
    let dead: string;

    before(async () => {
      engine = make();
      front = await startFront(engine);
      good = await startFakeBackend({ name: 'good' });
      bad = await startFakeBackend({ name: 'bad' });
      big = await startBigBackend(2 * 1024 * 1024);
      dead = `http://127.0.0.1:${await freePort()}`;
    });
    after(async () => {
      await front.close();
      engine.close();
      await good.close();
      await bad.close();
      await big.close();
    });

    it('relays a response with its status and headers and reports it as responded', async () => {
      const r = await send(front.port, 'ok', [good.url], { headers: { 'x-cookie': 'GOLB_SESSION=abc; Path=/' } });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-backend'], 'good');
      assert.equal(r.body.toString(), 'good GET /case/ok\n');
      assert.equal(r.headers['set-cookie']?.[0], 'GOLB_SESSION=abc; Path=/');
      const [result] = front.results.get('ok')!;
      assert.deepEqual(result, { outcome: 'responded', status: 200, bytesIn: 0, bytesOut: r.body.length });
      const seen = good.requests.at(-1)!;
      assert.equal(seen.requestId, 'ok');
      assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    });

    it('passes a backend error status through as a response', async () => {
      bad.setMode('status', { status: 503 });
      const r = await send(front.port, 'status', [bad.url]);
      assert.equal(r.status, 503);
      assert.equal(front.results.get('status')![0]!.outcome, 'responded');
    });

    it('delivers a POST body and counts its bytes', async () => {
      const r = await send(front.port, 'post', [good.url], { method: 'POST', body: 'hello=world' });
      assert.equal(r.status, 200);
      assert.equal(good.requests.at(-1)!.body, 'hello=world');
      const [result] = front.results.get('post')!;
      assert.equal(result!.outcome, 'responded');
      assert.equal(result!.outcome === 'responded' && result.bytesIn, 11);
    });

    it('streams a chunked upload to the backend intact', async () => {
      const parts = Array.from({ length: 20 }, (_, i) => Buffer.from(`part-${i};`));
      const r = await send(front.port, 'chunked', [good.url], { method: 'PUT', body: parts });
      assert.equal(r.status, 200);
      const seen = good.requests.at(-1)!;
      assert.equal(seen.body, Buffer.concat(parts).toString());
      assert.equal(seen.headers['transfer-encoding'], 'chunked');
    });

    it('reports a refused connect as connect-failed with the body unread, so a retry delivers it once', async () => {
      const before = good.requests.length;
      const r = await send(front.port, 'refused', [dead, good.url], { method: 'POST', body: 'only-once' });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-backend'], 'good');
      const outcomes = front.results.get('refused')!.map((x) => x.outcome);
      assert.deepEqual(outcomes, ['connect-failed', 'responded']);
      const delivered = good.requests.slice(before).filter((x) => x.requestId === 'refused');
      assert.deepEqual(delivered.map((x) => x.body), ['only-once']);
    });

    it('reports a backend that never answers as a timeout after the request was sent', async () => {
      bad.setMode('hang');
      const r = await send(front.port, 'hang', [bad.url], { headers: { 'x-response-ms': '300' } });
      assert.equal(r.status, 504);
      const [result] = front.results.get('hang')!;
      assert.equal(result!.outcome, 'failed');
      assert.equal(result!.outcome === 'failed' && result.errorClass, 'timeout');
      assert.equal(result!.outcome === 'failed' && result.requestSent, true);
      assert.equal(result!.outcome === 'failed' && result.responseStarted, false);
    });

    it('reports a reset after the request was read as failed with the request sent', async () => {
      bad.setMode('reset');
      const r = await send(front.port, 'reset', [bad.url], { method: 'POST', body: 'x' });
      assert.equal(r.status, 502);
      const [result] = front.results.get('reset')!;
      assert.equal(result!.outcome, 'failed');
      assert.equal(result!.outcome === 'failed' && result.errorClass, 'reset');
      assert.equal(result!.outcome === 'failed' && result.requestSent, true);
    });

    it('reports a non-HTTP answer as a protocol failure', async () => {
      bad.setMode('garbage');
      const r = await send(front.port, 'garbage', [bad.url]);
      assert.equal(r.status, 502);
      const [result] = front.results.get('garbage')!;
      assert.equal(result!.outcome === 'failed' && result.errorClass, 'protocol');
    });

    it('breaks the client connection when the backend dies mid-body', async () => {
      bad.setMode('die-mid-body', { bodyBytes: 200_000 });
      await assert.rejects(send(front.port, 'mid-body', [bad.url]));
      const [result] = front.results.get('mid-body')!;
      assert.equal(result!.outcome, 'failed');
      assert.equal(result!.outcome === 'failed' && result.responseStarted, true);
    });

    it('reports a client that leaves before the answer as client-aborted', async () => {
      bad.setMode('slow', { delayMs: 400 });
      const gone = new Promise<void>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: front.port, path: '/leave', agent: false, headers: { 'x-case': 'abort', 'x-targets': bad.url } });
        req.on('error', () => resolve());
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 100);
      });
      await gone;
      const deadline = Date.now() + 3000;
      while (!front.results.get('abort')?.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(front.results.get('abort'), [{ outcome: 'client-aborted' }]);
    });

    it('relays a large body to a slow reader completely, with hop-by-hop headers removed', async () => {
      const r = await new Promise<Reply>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: front.port, path: '/big', agent: false, headers: { 'x-case': 'big', 'x-targets': big.url } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => {
            chunks.push(c);
            // Read slowly enough that the proxy has to hold the backend back.
            res.pause();
            setTimeout(() => res.resume(), 1);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        }).on('error', reject);
      });
      assert.equal(r.status, 200);
      assert.equal(r.body.length, 2 * 1024 * 1024);
      assert.equal(r.headers['content-length'], String(2 * 1024 * 1024));
      assert.equal(r.headers['x-hop'], undefined);
      assert.equal(r.headers['keep-alive'], undefined);
      const [result] = front.results.get('big')!;
      assert.equal(result!.outcome === 'responded' && result.bytesOut, 2 * 1024 * 1024);
    });

    it('reuses one upstream connection for sequential requests', async () => {
      const before = big.connections();
      for (let i = 0; i < 5; i++) assert.equal((await send(front.port, `reuse-${i}`, [big.url])).status, 200);
      assert.ok(big.connections() - before <= 1, `${big.connections() - before} new upstream connections for 5 requests`);
    });

    it('asks the client to close when told to', async () => {
      const r = await send(front.port, 'close', [good.url], { headers: { 'x-close': '1' } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.connection, 'close');
    });
  });
}



describe('response header filter on raw (undici) headers', () => {
  /** The header object Node's parser would build from `raw` (no duplicate Content-Length here). */
  function parsed(raw: string[]): http.IncomingHttpHeaders {
    const out: http.IncomingHttpHeaders = {};
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const value = raw[i + 1]!;
      if (name === 'set-cookie') out['set-cookie'] = [...(out['set-cookie'] ?? []), value];
      else out[name] = out[name] === undefined ? value : `${out[name] as string}, ${value}`;
    }
    return out;
  }

  const cases: Array<[string, string[]]> = [
    ['nginx static file', ['Server', 'nginx', 'Date', 'x', 'Content-Type', 'text/plain', 'Content-Length', '100', 'Connection', 'keep-alive', 'ETag', '"a"']],
    ['chunked, with Keep-Alive and Trailer', ['Transfer-Encoding', 'chunked', 'Keep-Alive', 'timeout=5', 'Trailer', 'X-T', 'X-A', '1']],
    ['Connection naming fields', ['Connection', 'close, X-Secret, x-other', 'X-Secret', 's', 'X-Other', 'o', 'X-Kept', 'k', 'Content-Length', '3']],
    ['Proxy-* and Upgrade', ['Proxy-Authenticate', 'Basic', 'Proxy-Foo', 'bar', 'Upgrade', 'h2c', 'TE', 'trailers', 'Vary', 'Accept']],
    ['repeated Set-Cookie, odd case', ['set-cookie', 'a=1', 'SET-COOKIE', 'b=2', 'content-length', '0', 'x-mixed-Case', 'v']],
    ['invalid Content-Length dropped', ['Content-Length', '12x', 'X-A', '1']],
  ];
  for (const [name, raw] of cases) {
    it(`keeps exactly what the http-proxy engine keeps: ${name}`, () => {
      assert.deepEqual(filterRawResponseHeaders(raw.map((x) => Buffer.from(x, 'latin1'))), filterResponseHeaders(raw, parsed(raw)));
    });
  }
});

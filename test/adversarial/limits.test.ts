// Limits an operator expects, each a directive with a safe default, each answered with a refusal
// rather than a crash: client connections per data plane, WebSocket tunnels per data plane,
// WebSocket message size, and upstream pools of backends that left the config (closed and
// forgotten, without cutting off a request still in flight to them).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { createEngine, type EngineName } from '../../dataplane/data-plane.js';
import type { ForwardEngine } from '../../dataplane/forward/engine.js';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { connect, parseResponses, rawExchange } from './raw-client.js';

interface LocalStats {
  active_connections: string;
  limits: { connections_refused: number; websockets_open: number; websockets_refused: number };
}

async function localStats(adminPort: number): Promise<LocalStats> {
  return (await (await fetch(`http://127.0.0.1:${adminPort}/api/stats`)).json()) as LocalStats;
}

/** A `ws` backend that echoes, sends `N` bytes when asked with "big N", and records the close codes it hears. */
interface WsBackend {
  readonly url: string;
  readonly received: number[];
  readonly closeCodes: number[];
  close(): Promise<void>;
}

async function startWsBackend(): Promise<WsBackend> {
  const wss = new WebSocketServer({ noServer: true, clientTracking: true });
  const received: number[] = [];
  const closeCodes: number[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((_req, res) => res.end('ok\n'));
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket: Socket, head) => {
    socket.on('error', () => socket.destroy());
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      ws.on('close', (code) => closeCodes.push(code));
      ws.on('message', (data, isBinary) => {
        const buf = data as Buffer;
        received.push(buf.length);
        const big = /^big (\d+)$/.exec(buf.toString());
        if (big) ws.send(Buffer.alloc(Number(big[1]), 'b'));
        else ws.send(buf, { binary: isBinary });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    closeCodes,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Client {
  ws: WebSocket;
  closed: Promise<number>;
}

function openClient(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
}

function next(c: Client): Promise<Buffer> {
  return new Promise((resolve) => c.ws.once('message', (d) => resolve(d as Buffer)));
}

describe('client connection cap (max_connections)', () => {
  let backend: FakeBackend;
  let cluster: Cluster;
  let port: number;
  let adminPort: number;
  before(async () => {
    backend = await startFakeBackend({ name: 'cap' });
    cluster = await startCluster(`health_check off\nmax_connections 5\nbackend ${backend.url}\n`, { dp: { adminPort: 0 } });
    port = cluster.dps[0]!.port;
    adminPort = cluster.dps[0]!.adminPort!;
  });
  after(async () => {
    await cluster.close();
    await backend.close();
  });

  it('closes a connection over the cap at once, counts it, and takes new ones when one leaves', async () => {
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const s = await connect(port);
        s.on('error', () => {});
        held.push(s);
      }
      await waitFor('five connections held', async () => (await localStats(adminPort)).active_connections === '5');
      const over = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { timeoutMs: 5000 });
      assert.ok(over.closed, 'the sixth connection is closed');
      assert.equal(over.text, '', 'and never served');
      assert.equal((await localStats(adminPort)).limits.connections_refused, 1);
      assert.equal(backend.requests.length, 0);

      held.shift()!.destroy();
      const served = await waitFor('a new connection served once one left', async () => {
        const r = await rawExchange(port, 'GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { timeoutMs: 5000 });
        return parseResponses(r.text)[0]?.status === 200;
      });
      assert.ok(served);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});

describe('WebSocket tunnel cap (max_websockets)', () => {
  let backend: WsBackend;
  let cluster: Cluster;
  let port: number;
  let adminPort: number;
  before(async () => {
    backend = await startWsBackend();
    cluster = await startCluster(`health_check off\nmax_websockets 2\nbackend ${backend.url}\n`, { dp: { adminPort: 0 } });
    port = cluster.dps[0]!.port;
    adminPort = cluster.dps[0]!.adminPort!;
  });
  after(async () => {
    await cluster.close();
    await backend.close();
  });

  it('answers the upgrade over the cap with 503 and Retry-After, and opens one again once a tunnel closes', async () => {
    const first = await openClient(port);
    const second = await openClient(port);
    const refused = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      ws.once('unexpected-response', (_req, res) => {
        resolve(res);
        ws.terminate();
      });
      ws.once('open', () => reject(new Error('a third tunnel opened')));
      ws.once('error', () => {});
    });
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.headers['retry-after'], '1');
    const stats = await localStats(adminPort);
    assert.equal(stats.limits.websockets_refused, 1);
    assert.equal(stats.limits.websockets_open, 2);

    first.ws.close();
    await first.closed;
    await waitFor('the closed tunnel released', async () => (await localStats(adminPort)).limits.websockets_open === 1);
    const third = await openClient(port);
    const echoed = next(third);
    third.ws.send('hello');
    assert.equal((await echoed).toString(), 'hello');
    second.ws.close();
    third.ws.close();
    await Promise.all([second.closed, third.closed]);
    await waitFor('every tunnel released', async () => (await localStats(adminPort)).limits.websockets_open === 0);
  });
});

describe('WebSocket message size (websocket_max_message)', () => {
  let backend: WsBackend;
  let cluster: Cluster;
  let port: number;
  before(async () => {
    backend = await startWsBackend();
    cluster = await startCluster(`health_check off\nwebsocket_max_message 1k\nbackend ${backend.url}\n`);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await backend.close();
  });

  it('relays a message up to the limit both ways', async () => {
    const c = await openClient(port);
    const echoed = next(c);
    c.ws.send(Buffer.alloc(1024, 'a'));
    assert.equal((await echoed).length, 1024);
    const big = next(c);
    c.ws.send('big 1024');
    assert.equal((await big).length, 1024);
    c.ws.close();
    await c.closed;
  });

  it('closes the tunnel with 1009 toward a client that sends a bigger message, which never reaches the backend', async () => {
    const c = await openClient(port);
    const heard = backend.closeCodes.length;
    c.ws.send(Buffer.alloc(1025, 'a'));
    assert.equal(await c.closed, 1009);
    await waitFor('the backend heard the close', () => backend.closeCodes.length > heard);
    assert.equal(backend.closeCodes.at(-1), 1001, 'the backend is told the client went away');
    assert.ok(!backend.received.includes(1025), 'the oversized message was not relayed');
  });

  it('closes the tunnel with 1009 toward a backend that sends a bigger message', async () => {
    const c = await openClient(port);
    const heard = backend.closeCodes.length;
    c.ws.send('big 1025');
    assert.equal(await c.closed, 1009);
    await waitFor('the backend heard the close', () => backend.closeCodes.length > heard);
    assert.equal(backend.closeCodes.at(-1), 1009);
  });
});

describe('upstream pools of backends that left the config', () => {
  const conf = (url: string) => `health_check off\npassive_health off\nbackend ${url}\n`;
  let engine: ForwardEngine;
  let current: FakeBackend;
  let cluster: Cluster;
  let port: number;

  before(async () => {
    engine = createEngine((process.env.GOLB_ENGINE ?? 'undici') as EngineName);
    current = await startFakeBackend({ name: 'gen-first' });
    cluster = await startCluster(conf(current.url), { dp: { engine } });
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await current.close();
  });

  async function reloadTo(url: string): Promise<void> {
    const r = await cluster.reload(conf(url));
    assert.ok(r.ok, JSON.stringify(r.errors));
    await waitFor('the data plane applied the reload', () => cluster.dps[0]!.version() === r.version);
  }

  it('stay bounded over 50 reloads, each to a backend on a fresh port', async () => {
    for (let i = 0; i < 50; i++) {
      const fresh = await startFakeBackend({ name: `gen${i}` });
      await reloadTo(fresh.url);
      const reply = await request(port, `/gen/${i}`);
      assert.equal(reply.headers['x-backend'], `gen${i}`);
      await current.close();
      current = fresh;
      assert.ok(engine.upstreamPools() <= 2, `reload ${i}: ${engine.upstreamPools()} upstream pools held`);
    }
    assert.equal(engine.upstreamPools(), 1);
  });

  it('let a request in flight to a removed backend finish', async () => {
    const leaving = await startFakeBackend({ name: 'leaving' });
    leaving.setMode('slow', { delayMs: 1500 });
    await reloadTo(leaving.url);
    const pending = request(port, '/in-flight');
    await waitFor('the request reached the leaving backend', () => leaving.requests.some((r) => r.url === '/in-flight'));
    const staying = await startFakeBackend({ name: 'staying' });
    await reloadTo(staying.url);
    const reply = await pending;
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-backend'], 'leaving');
    assert.equal(reply.body, 'leaving GET /in-flight\n');
    assert.equal(leaving.requests.filter((r) => r.url === '/in-flight').length, 1, 'delivered once: not cut off and retried');
    assert.equal((await request(port, '/next')).headers['x-backend'], 'staying');
    await current.close();
    await leaving.close();
    current = staying;
  });
});

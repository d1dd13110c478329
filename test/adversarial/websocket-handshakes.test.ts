// WebSocket handshakes that must settle: every bad handshake is answered 400 without a backend
// connection, a client that half-closes mid-handshake is let go, and whatever happens the backend's
// in-flight count and open tunnels come back to zero and no backend socket is left behind. The
// backend here is a real `ws` server that counts every TCP connection it accepts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { parseResponses, rawExchange } from './raw-client.js';
import { drive } from './support.js';

interface WsBackend {
  readonly url: string;
  /** TCP connections accepted since start. */
  connections(): number;
  /** TCP connections open now. */
  openSockets(): number;
  /** WebSockets open now (the ws server's own tracking). */
  openWebSockets(): number;
  close(): Promise<void>;
}

async function startWsBackend(): Promise<WsBackend> {
  const wss = new WebSocketServer({ noServer: true, clientTracking: true });
  const open = new Set<Socket>();
  let accepted = 0;
  const server = http.createServer((_req, res) => res.end('ok\n'));
  server.on('connection', (s: Socket) => {
    accepted++;
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  server.on('upgrade', (req, socket: Socket, head) => {
    socket.on('error', () => socket.destroy());
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    openSockets: () => open.size,
    openWebSockets: () => wss.clients.size,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      for (const s of open) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A handshake with `fields` in place of the usual ones where given (null drops a field). */
function handshake(opts: { method?: string; target?: string; fields?: Record<string, string | string[] | null> } = {}): string {
  const fields: Record<string, string | string[] | null> = {
    Host: 'ws.example',
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': KEY,
    ...opts.fields,
  };
  const lines = [`${opts.method ?? 'GET'} ${opts.target ?? '/ws'} HTTP/1.1`];
  for (const [name, value] of Object.entries(fields)) {
    if (value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  }
  return lines.join('\r\n') + '\r\n\r\n';
}

/** Handshakes `ws`'s handleUpgrade (or RFC 6455) refuses: each gets 400 and no backend connection. */
const BAD: ReadonlyArray<{ name: string; bytes: string }> = [
  { name: 'a duplicated subprotocol (a, a)', bytes: handshake({ fields: { 'Sec-WebSocket-Protocol': 'a, a' } }) },
  { name: 'a subprotocol repeated across two fields', bytes: handshake({ fields: { 'Sec-WebSocket-Protocol': ['chat', 'chat'] } }) },
  { name: 'a fragment in the target (/ws?x#y)', bytes: handshake({ target: '/ws?x#y' }) },
  { name: 'a trailing comma in the subprotocols (chat,)', bytes: handshake({ fields: { 'Sec-WebSocket-Protocol': 'chat,' } }) },
  { name: 'a leading comma in the subprotocols (,chat)', bytes: handshake({ fields: { 'Sec-WebSocket-Protocol': ',chat' } }) },
  { name: 'an empty subprotocol element (a,,b)', bytes: handshake({ fields: { 'Sec-WebSocket-Protocol': 'a,,b' } }) },
  { name: 'an empty Sec-WebSocket-Protocol', bytes: handshake({ fields: { 'Sec-WebSocket-Protocol': '' } }) },
  { name: 'a subprotocol with a separator (a/b)', bytes: handshake({ fields: { 'Sec-WebSocket-Protocol': 'a/b' } }) },
  { name: 'a space inside a subprotocol (a b)', bytes: handshake({ fields: { 'Sec-WebSocket-Protocol': 'a b' } }) },
  { name: 'no Sec-WebSocket-Key', bytes: handshake({ fields: { 'Sec-WebSocket-Key': null } }) },
  { name: 'a short Sec-WebSocket-Key', bytes: handshake({ fields: { 'Sec-WebSocket-Key': 'c2hvcnQ=' } }) },
  { name: 'two Sec-WebSocket-Key fields', bytes: handshake({ fields: { 'Sec-WebSocket-Key': [KEY, KEY] } }) },
  { name: 'Sec-WebSocket-Version 8', bytes: handshake({ fields: { 'Sec-WebSocket-Version': '8' } }) },
  { name: 'no Sec-WebSocket-Version', bytes: handshake({ fields: { 'Sec-WebSocket-Version': null } }) },
  { name: 'a POST handshake', bytes: handshake({ method: 'POST', fields: { 'Content-Length': '0' } }) },
  { name: 'Upgrade: h2c', bytes: handshake({ fields: { Upgrade: 'h2c' } }) },
];

describe('WebSocket handshakes that never settle', () => {
  let backend: WsBackend;
  let cluster: Cluster;
  let port: number;
  let adminPort: number;

  before(async () => {
    backend = await startWsBackend();
    // max_conn=3: three leaked in-flight upgrades would be enough to lock the backend out.
    cluster = await startCluster(`health_check off\npassive_health off\nbackend ${backend.url} max_conn=3\n`, { dp: { adminPort: 0 } });
    port = cluster.dps[0]!.port;
    adminPort = cluster.dps[0]!.adminPort!;
  });
  after(async () => {
    await cluster.close();
    await backend.close();
  });

  async function counts(): Promise<{ inFlight: number; tunnels: number }> {
    const res = await fetch(`http://127.0.0.1:${adminPort}/api/stats`);
    const body = (await res.json()) as { backends: Array<{ in_flight: string; open_websockets: string }> };
    const b = body.backends[0]!;
    return { inFlight: Number(b.in_flight), tunnels: Number(b.open_websockets) };
  }

  /** Waits until nothing is in flight, no tunnel is open and the backend holds no socket. */
  async function settled(what: string): Promise<void> {
    await waitFor(`${what}: in-flight 0, tunnels 0, no backend socket`, async () => {
      const c = await counts();
      return c.inFlight === 0 && c.tunnels === 0 && backend.openSockets() === 0 && backend.openWebSockets() === 0;
    });
  }

  for (const c of BAD) {
    it(`answers 400 to ${c.name} without a backend connection, and leaves nothing in flight`, async () => {
      const dialled = backend.connections();
      const r = await rawExchange(port, c.bytes, { timeoutMs: 5000 });
      const [res] = parseResponses(r.text);
      assert.equal(res?.status, 400, `got ${JSON.stringify(r.text.slice(0, 60))}`);
      assert.ok(r.closed, 'the connection is closed');
      await settled(c.name);
      assert.equal(backend.connections(), dialled, 'no backend connection was made');
    });
  }

  it('lets go of a client that half-closes right after a valid handshake, and of its backend socket', async () => {
    const r = await rawExchange(port, handshake(), { endAfterWrite: true, timeoutMs: 5000 });
    assert.ok(r.closed, 'the proxy closes the half-closed connection');
    await settled('half-close');
  });

  it('leaves no backend socket and nothing in flight after 200 attempts of each', async () => {
    const cases = [...BAD.map((c) => ({ ...c, end: false })), { name: 'half-close', bytes: handshake(), end: true }];
    for (const c of cases) {
      const dialled = backend.connections();
      const outcomes = await drive(200, 20, async (i) => {
        const r = await rawExchange(port, c.bytes, { endAfterWrite: c.end, timeoutMs: 10_000 });
        const status = parseResponses(r.text)[0]?.status ?? 0;
        return { id: String(i), method: 'GET', status, error: r.closed ? undefined : 'not closed', at: 0 };
      });
      assert.deepEqual(outcomes.filter((o) => o.error), [], `${c.name}: every connection closed`);
      if (!c.end) {
        assert.ok(outcomes.every((o) => o.status === 400), `${c.name}: every attempt answered 400`);
        assert.equal(backend.connections(), dialled, `${c.name}: no backend connection`);
      }
      await settled(`200 × ${c.name}`);
    }
  });

  it('still opens and echoes through a tunnel afterwards: the backend is not held at its limit', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['chat']);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    assert.equal(ws.protocol, 'chat');
    const echoed = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
    ws.send('still here');
    assert.equal(await echoed, 'still here');
    ws.close();
    await settled('after a normal tunnel');
  });
});

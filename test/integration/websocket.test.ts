// WebSocket proxying through the real data plane: balancing, stickiness, failover at connect time,
// a backend dying under open sockets, refused upgrades, and resets that must not hurt the process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import { freePort, startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, startCluster, tally, waitFor, type Cluster } from '../helpers/cluster.js';

interface Client {
  ws: WebSocket;
  backend: string;
  closed: Promise<number>;
  setCookie: string | undefined;
}

function connect(port: number, headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`, { headers });
    let setCookie: string | undefined;
    ws.once('upgrade', (res) => (setCookie = res.headers['set-cookie']?.[0]));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.once('message', (data) => resolve({ ws, backend: data.toString().replace('hello from ', ''), closed, setCookie }));
    ws.once('error', reject);
  });
}

function echo(c: Client, text: string): Promise<string> {
  return new Promise((resolve) => {
    c.ws.once('message', (d) => resolve(d.toString()));
    c.ws.send(text);
  });
}

describe('WebSocket balancing and failover', () => {
  let backends: FakeBackend[];
  let deadPort: number;
  let cluster: Cluster;
  before(async () => {
    backends = await Promise.all([1, 2, 3].map((i) => startFakeBackend({ name: `w${i}`, websocket: true })));
    deadPort = await freePort();
    cluster = await startCluster(
      `method round_robin\nhealth_check off\npassive_health off\n` +
        `backend http://127.0.0.1:${deadPort}\n` +
        backends.map((b) => `backend ${b.url}`).join('\n') + '\n',
    );
  });
  after(async () => {
    await cluster.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('spreads 200 sockets round robin, skipping a dead backend invisibly, and echoes through each', async () => {
    const port = cluster.dps[0]!.port;
    const clients: Client[] = [];
    for (let batch = 0; batch < 4; batch++) clients.push(...(await Promise.all(Array.from({ length: 50 }, () => connect(port)))));
    const counts = tally(clients.map((c) => c.backend));
    assert.deepEqual(Object.keys(counts).sort(), ['w1', 'w2', 'w3']);
    for (const n of Object.values(counts)) assert.ok(n >= 60 && n <= 75, `balanced: ${JSON.stringify(counts)}`);
    for (const c of clients.slice(0, 20)) assert.equal(await echo(c, 'ping'), `${c.backend}: ping`);

    const stats = await waitFor('open sockets in the control plane stats', async () => {
      const body = (await (await fetch(`http://127.0.0.1:${cluster.cp.adminPort}/api/stats`)).json()) as { backends: Array<{ url: string; openWebSockets: number }> };
      const total = body.backends.reduce((n, b) => n + b.openWebSockets, 0);
      return total === 200 ? body : undefined;
    });
    assert.equal(stats.backends.find((b) => b.url === `http://127.0.0.1:${deadPort}`)?.openWebSockets, 0);

    // Kill one backend under its open sockets: its clients hear 1012 (reconnect), the rest stay open.
    const victim = backends[0]!;
    const victims = clients.filter((c) => c.backend === victim.name);
    victim.kill();
    const codes = await Promise.all(victims.map((c) => c.closed));
    assert.deepEqual(new Set(codes), new Set([1012]));
    assert.ok(clients.filter((c) => c.backend !== victim.name).every((c) => c.ws.readyState === WebSocket.OPEN));
    const again = await Promise.all(victims.map(() => connect(port)));
    assert.ok(again.every((c) => c.backend !== victim.name), 'every reconnect lands on a live backend');
    for (const c of [...clients, ...again]) c.ws.terminate();
    await victim.revive();
  });

  it('relays a refused upgrade and opens no tunnel', async () => {
    const port = cluster.dps[0]!.port;
    for (const b of backends) b.setMode('status', { status: 403 });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`);
        ws.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('open', () => reject(new Error('a tunnel opened')));
        ws.once('error', () => {});
      });
      assert.equal(status, 403);
    } finally {
      for (const b of backends) b.setMode('ok');
    }
  });

  it('refuses an invalid handshake with 400 and survives client resets mid-handshake', async () => {
    const port = cluster.dps[0]!.port;
    const reply = await rawExchange(port, 'GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 400 /);
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.write('GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
          s.resetAndDestroy();
          resolve();
        });
        s.on('error', () => resolve());
      });
    }
    const c = await connect(port);
    assert.equal(await echo(c, 'still here'), `${c.backend}: still here`);
    c.ws.terminate();
    assert.equal((await request(port, '/')).status, 200);
  });
});

describe('WebSocket stickiness', () => {
  let backends: FakeBackend[];
  let cluster: Cluster;
  before(async () => {
    backends = await Promise.all([1, 2, 3].map((i) => startFakeBackend({ name: `s${i}`, websocket: true })));
    cluster = await startCluster(`method round_robin\npersistence cookie\nhealth_check off\n` + backends.map((b) => `backend ${b.url}`).join('\n') + '\n');
  });
  after(async () => {
    await cluster.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('pins a client by cookie on the upgrade response, and reconnects land on the same backend', async () => {
    const port = cluster.dps[0]!.port;
    const first = await connect(port);
    assert.ok(first.setCookie?.startsWith('GOLB_SESSION='), 'the handshake response carries the cookie');
    const cookie = first.setCookie!.split(';')[0]!;
    first.ws.close();
    for (let i = 0; i < 6; i++) {
      const c = await connect(port, { cookie });
      assert.equal(c.backend, first.backend);
      c.ws.close();
    }
  });
});

function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.setTimeout(3000, () => s.destroy());
  });
}

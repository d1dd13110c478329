// Slow and abusive clients: slowloris heads, trickled bodies, clients that never read, idle and
// flooding connections — each cut off by the configured timeouts and limits, with memory bounded
// by backpressure, while ordinary clients keep getting prompt answers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { parseResponses, rawExchange } from './raw-client.js';
import { startScriptedBackend, type ScriptedBackend } from './scripted-backend.js';
import { drive, send, sleep } from './support.js';
import { waitFor } from '../kit/wait.js';

const HEADER_TIMEOUT_MS = 1000;
const CLIENT_TIMEOUT_MS = 2000;
/** Node checks deadlines every 250 ms (golb's setting); the rest is scheduling slack on a busy CI box. */
const SLACK_MS = 1500;
const HUGE = 200 * 1024 * 1024;

describe('slow and abusive clients', () => {
  let web: FakeBackend;
  let big: ScriptedBackend;
  let bigWritten = 0;
  /** Backend connections of `big` that have closed (golb cut the stream). */
  let bigClosed = 0;
  let cluster: Cluster;
  let port: number;
  before(async () => {
    web = await startFakeBackend({ name: 'web' });
    // Streams a 200 MB body, writing only as fast as golb reads it.
    big = await startScriptedBackend('big', (_req, conn) => {
      conn.socket.once('close', () => bigClosed++);
      conn.socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${HUGE}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = () => {
        while (sent < HUGE && !conn.socket.destroyed) {
          sent += chunk.length;
          bigWritten += chunk.length;
          if (!conn.socket.write(chunk)) {
            conn.socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    cluster = await startCluster(`
method round_robin
health_check off
timeout http-request ${HEADER_TIMEOUT_MS}ms
timeout client ${CLIENT_TIMEOUT_MS}ms
timeout http-keep-alive 1s
timeout server 1s
backend ${web.url}
backend ${big.url} pool=big
route /big/* backend_pool=big
`);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await web.close();
    await big.close();
  });

  /**
   * Meanwhile, ordinary clients: every one answered 200 (within its client timeout), and the first
   * while `abusersHeld()` still says the abusive connections are open - served alongside them, not
   * after golb cut them off (the event replaces a wall-clock bound on each request).
   */
  async function ordinaryTraffic(n: number, tag: string, abusersHeld: () => boolean): Promise<void> {
    for (let i = 0; i < n; i++) {
      const r = await send(port, `/ordinary/${tag}/${i}`, { id: `${tag}-${i}`, timeoutMs: 5000 });
      assert.equal(r.status, 200, `ordinary request ${i}: ${r.error ?? r.status}`);
      if (i === 0) assert.ok(abusersHeld(), 'the first ordinary request was answered while the abusive connections were still open');
      await sleep(50);
    }
  }

  it('closes slowloris connections with 408 at the header timeout, and serves others meanwhile', async () => {
    const before = web.requests.length;
    // 40 clients each trickle a never-ending head, one field every 200 ms.
    const trickle = ['GET /loris HTTP/1.1\r\n', 'Host: x\r\n', ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: y\r\n`)];
    let connected = 0;
    let closed = 0;
    const loris = Promise.all(
      Array.from({ length: 40 }, () =>
        rawExchange(port, trickle, { gapMs: 200, timeoutMs: HEADER_TIMEOUT_MS + SLACK_MS + 2000, onConnect: () => connected++ }).then((r) => (closed++, r)),
      ),
    );
    await waitFor('40 slowloris connections', () => connected === 40);
    await ordinaryTraffic(10, 'loris', () => closed === 0);
    for (const r of await loris) {
      assert.equal(r.closed, true, 'closed by golb');
      assert.ok(r.elapsedMs >= HEADER_TIMEOUT_MS - 50 && r.elapsedMs <= HEADER_TIMEOUT_MS + SLACK_MS, `closed after ${r.elapsedMs} ms`);
      assert.deepEqual(parseResponses(r.text).map((x) => x.status), [408]);
    }
    assert.deepEqual(
      web.requests.slice(before).map((x) => x.url).filter((u) => !u.startsWith('/ordinary/')),
      [],
      'no slowloris request reached the backend',
    );
  });

  it('closes connections that send nothing at the header timeout', async () => {
    const idle = await Promise.all(Array.from({ length: 100 }, () => rawExchange(port, [], { timeoutMs: HEADER_TIMEOUT_MS + SLACK_MS + 2000 })));
    for (const r of idle) {
      assert.equal(r.closed, true);
      assert.ok(r.elapsedMs <= HEADER_TIMEOUT_MS + SLACK_MS, `idle connection lived ${r.elapsedMs} ms`);
    }
  });

  it('closes an idle keep-alive connection at the keep-alive timeout', async () => {
    const r = await rawExchange(port, 'GET /once HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 5000 });
    assert.equal(parseResponses(r.text)[0]?.status, 200);
    assert.equal(r.closed, true);
    assert.ok(r.elapsedMs <= 1000 + SLACK_MS + 1000, `kept ${r.elapsedMs} ms`);
  });

  it('answers a trickled body with 408 at the client timeout; no backend gets a complete request', async () => {
    const before = web.requests.length;
    const body = Array.from({ length: 30 }, () => 'a');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        rawExchange(port, [`POST /slow-body/${i} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n`, ...body], { gapMs: 200, timeoutMs: CLIENT_TIMEOUT_MS + SLACK_MS + 3000 }),
      ),
    );
    for (const r of results) {
      assert.equal(r.closed, true);
      assert.ok(r.elapsedMs <= CLIENT_TIMEOUT_MS + SLACK_MS, `slow body lasted ${r.elapsedMs} ms`);
      assert.deepEqual(parseResponses(r.text).map((x) => x.status), [408]);
    }
    assert.deepEqual(web.requests.slice(before).map((x) => x.url), []);
  });

  it('holds a never-reading client to bounded memory by backpressure, then drops it at the client timeout', async () => {
    bigWritten = 0;
    const closedBefore = bigClosed;
    const rssBefore = process.memoryUsage().rss;
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /big/file HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.pause();
    await ordinaryTraffic(5, 'nonreader', () => !socket.destroyed);
    // Node re-arms a socket's idle timer once when a write is still pending at its first expiry,
    // so a stalled writer is dropped between one and two client timeouts. The event: golb dropped
    // it and cut the backend stream it was feeding (instead of sleeping past that bound).
    await waitFor('golb to drop the stalled client and cut its backend stream', () => bigClosed > closedBefore, 2 * CLIENT_TIMEOUT_MS + SLACK_MS + 5000);
    // The backend could only write what the socket buffers along the way hold, not 200 MB.
    assert.ok(bigWritten < 64 * 1024 * 1024, `backend wrote ${bigWritten} bytes to a client that reads nothing`);
    assert.ok(process.memoryUsage().rss - rssBefore < 150 * 1024 * 1024, 'memory stayed bounded');
    // Now read: whatever was buffered drains, then the connection turns out closed by golb.
    let received = 0;
    const closed = new Promise<number>((resolve) => {
      const t = setTimeout(() => resolve(-1), 5000);
      socket.on('close', () => {
        clearTimeout(t);
        resolve(received);
      });
    });
    socket.on('data', (c: Buffer) => (received += c.length));
    socket.resume();
    const got = await closed;
    socket.destroy();
    assert.notEqual(got, -1, 'golb closed the connection of the client that stopped reading');
    assert.ok(got < HUGE, 'the response was cut short');
  });

  it('survives a connection flood: every connection is closed by the timeouts, and others are served', async () => {
    const sockets: net.Socket[] = [];
    const closedAt: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 500; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.on('close', () => closedAt.push(Date.now() - started));
      s.resume();
      // Half send a partial head, half nothing at all.
      if (i % 2) s.write('GET /flood HTTP/1.1\r\nHost: x\r\n');
      sockets.push(s);
    }
    // 200 concurrent ordinary requests while the flood is on.
    const outcomes = await drive(200, 50, (i) => send(port, `/during-flood/${i}`, { id: `flood-${i}`, timeoutMs: 5000 }));
    assert.deepEqual(outcomes.filter((o) => o.status !== 200).map((o) => o.error ?? o.status), []);
    const deadline = Date.now() + HEADER_TIMEOUT_MS + SLACK_MS + 2000;
    while (closedAt.length < sockets.length && Date.now() < deadline) await sleep(50);
    for (const s of sockets) s.destroy();
    assert.equal(closedAt.length, 500, 'every flooding connection was closed by golb');
    assert.ok(Math.max(...closedAt) <= HEADER_TIMEOUT_MS + SLACK_MS + 1500, `the last one lasted ${Math.max(...closedAt)} ms`);
  });
});

// Health checks, draining and self-healing through the real control plane, data plane and backends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { adminClient } from '../helpers/admin-client.js';
import { request, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { steadyLoad } from '../kit/steady-load.js';

/** Requests back to back from four clients until stopped; a non-200 is a failure. */
const clientLoad = (port: number) =>
  steadyLoad(() => request(port, '/load'), { clients: 4, check: (r) => (r.status === 200 ? undefined : `${r.status} ${r.body.trim()}`) });

describe('active health checks under load', () => {
  const intervalMs = 200;
  const fall = 2;
  const rise = 2;
  let backends: FakeBackend[];
  let cluster: Cluster;
  before(async () => {
    backends = await Promise.all([1, 2, 3].map((i) => startFakeBackend({ name: `h${i}` })));
    cluster = await startCluster(
      `method round_robin\nhealth_check path=/health interval=${intervalMs}ms timeout=200ms fall=${fall} rise=${rise}\n` +
        backends.map((b) => `backend ${b.url}`).join('\n') + '\n',
    );
  });
  after(async () => {
    await cluster.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('takes a killed backend out, with no failed request, and brings it back when it returns', async () => {
    const port = cluster.dps[0]!.port;
    const admin = cluster.cp.adminPort;
    const alive = async (url: string) => {
      const body = (await (await fetch(`http://127.0.0.1:${admin}/api/stats`)).json()) as { backends: Array<{ url: string; alive: boolean }> };
      return body.backends.find((b) => b.url === url)?.alive;
    };
    const load = clientLoad(port);
    /** Which backend served each successful request from the `from`-th result on. */
    const servedBy = (from = 0) => load.outcomes.results.slice(from).filter((r) => r.status === 200).map((r) => String(r.headers['x-backend']));
    // Three rounds of the four clients over three backends: the victim served before the kill.
    await load.passMark('the load is running', 3 * 4);
    assert.ok(servedBy().includes('h2'), 'the victim served before the kill');
    const victim = backends[1]!;
    victim.kill();
    const killedAt = Date.now();
    // Generous bound: interval × fall plus a report interval and scheduling slack on a busy machine.
    await waitFor('the control plane to see it down', async () => (await alive(victim.url)) === false, intervalMs * fall + 5000);
    const downAfter = Date.now() - killedAt;
    const sinceDown = load.outcomes.results.length;
    // Enough requests started after the control plane saw it down to have cycled round robin
    // several times: none of them reached the dead backend.
    await load.passMark('the backend was marked down', 3 * 4);
    assert.ok(!servedBy(sinceDown).includes('h2'), 'no request reaches the dead backend');
    await victim.revive();
    await waitFor('it to come back', async () => (await alive(victim.url)) === true, intervalMs * rise + 5000);
    const sinceBack = load.outcomes.results.length;
    await waitFor('traffic to reach it again', () => servedBy(sinceBack).includes('h2'), 5000);
    // The load spanned the whole kill-and-recover window (it was running before the kill and
    // reached the returned backend), and no request in it failed.
    const outcomes = await load.stop();
    assert.deepEqual(outcomes.failed, [], 'clients saw no failure');
    console.log(`# marked down ${downAfter} ms after the kill (interval ${intervalMs} ms × fall ${fall})`);
  });
});

describe('draining a backend', () => {
  let backends: FakeBackend[];
  let cluster: Cluster;
  before(async () => {
    backends = await Promise.all([1, 2].map((i) => startFakeBackend({ name: `d${i}`, websocket: true })));
    cluster = await startCluster(`method round_robin\nhealth_check off\n` + backends.map((b) => `backend ${b.url}`).join('\n') + '\n');
  });
  after(async () => {
    await cluster.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('finishes in-flight requests, sends no new ones, closes its WebSockets with 1001 at the deadline, and reports safe to remove', async () => {
    const port = cluster.dps[0]!.port;
    const [target, other] = backends as [FakeBackend, FakeBackend];
    // 40 sockets, round robin: 20 on each backend.
    const sockets = await Promise.all(Array.from({ length: 40 }, () => openSocket(port)));
    const onTarget = sockets.filter((s) => s.greeting === `hello from ${target.name}`);
    assert.equal(onTarget.length, 20);
    // 100 slow requests in flight, about 50 on the backend to drain.
    target.setMode('slow', { delayMs: 1500 });
    other.setMode('slow', { delayMs: 1500 });
    const inFlight = Array.from({ length: 100 }, () => request(port, '/slow', { agent: false }));
    await waitFor('50 requests in flight on the target', () => target.requests.filter((r) => r.url === '/slow').length === 50 || undefined, 5000).catch(() => undefined);
    const admin = adminClient(cluster.cp.grpcPort);
    try {
      const drained = await admin.drain({ backend: target.url, timeout_ms: 2500 });
      assert.equal(drained.backends[0]?.admin_state, 'draining');
      await waitFor('the data plane to apply the drain', () => cluster.dps[0]!.version() === drained.version);
      target.setMode('ok');
      other.setMode('ok');
      const before = target.requests.length;
      for (let i = 0; i < 30; i++) assert.equal((await request(port, '/after-drain')).headers['x-backend'], other.name);
      assert.equal(target.requests.length, before, 'no new request reached the draining backend');
      const replies = await Promise.all(inFlight);
      assert.deepEqual(replies.map((r) => r.status), Array(100).fill(200), 'every in-flight request completed');
      assert.equal(replies.filter((r) => r.headers['x-backend'] === target.name).length, 50);
      // WebSockets on the target stay open until the deadline, then close with 1001; the others stay.
      assert.ok(onTarget.every((s) => s.ws.readyState === WebSocket.OPEN));
      const codes = await Promise.all(onTarget.map((s) => s.closed));
      assert.deepEqual(new Set(codes), new Set([1001]));
      assert.ok(sockets.filter((s) => !onTarget.includes(s)).every((s) => s.ws.readyState === WebSocket.OPEN));
      const status = await waitFor('safe to remove', async () => {
        const st = await admin.drainStatus({ backend: target.url });
        return st.backends[0]?.safe_to_remove ? st : undefined;
      });
      assert.equal(status.backends[0]?.in_flight, '0');
      assert.equal(status.backends[0]?.open_websockets, '0');
      await waitFor('maintenance after the deadline', async () => (await admin.drainStatus({ backend: target.url })).backends[0]?.backend?.admin_state === 'maintenance');
      // Drain state survives a reload of the same config.
      const reloaded = await cluster.reload(`method round_robin\nhealth_check off\n` + backends.map((b) => `backend ${b.url}`).join('\n') + '\n# touched\n');
      assert.ok(reloaded.ok);
      assert.equal((await admin.drainStatus({ backend: target.url })).backends[0]?.backend?.admin_state, 'maintenance');
      const undrained = await admin.undrain({ backend: target.url });
      await waitFor('undrain applied', () => cluster.dps[0]!.version() === undrained.version);
      const served = new Set<string>();
      for (let i = 0; i < 10; i++) served.add(String((await request(port, '/back')).headers['x-backend']));
      assert.ok(served.has(target.name), 'back in rotation after undrain');
    } finally {
      admin.close();
      for (const s of sockets) s.ws.terminate();
    }
  });

  it('names an unknown backend clearly', async () => {
    const admin = adminClient(cluster.cp.grpcPort);
    try {
      await assert.rejects(admin.drain({ backend: 'http://127.0.0.1:1' }), /NOT_FOUND.*no backend http:\/\/127\.0\.0\.1:1/);
    } finally {
      admin.close();
    }
  });
});

interface OpenSocket {
  ws: WebSocket;
  greeting: string;
  closed: Promise<number>;
}

function openSocket(port: number, headers: Record<string, string> = {}): Promise<OpenSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.once('message', (data) => resolve({ ws, greeting: data.toString(), closed }));
    ws.once('error', reject);
  });
}

describe('every backend in a pool down', () => {
  it('answers 503 with Retry-After and a clear body, and counts it', async () => {
    const backends = await Promise.all([1, 2].map((i) => startFakeBackend({ name: `z${i}` })));
    const cluster = await startCluster(
      `health_check path=/health interval=100ms timeout=100ms fall=1 rise=1\n` + backends.map((b) => `backend ${b.url}`).join('\n') + '\n',
    );
    try {
      const port = cluster.dps[0]!.port;
      assert.equal((await request(port, '/')).status, 200);
      for (const b of backends) b.kill();
      const r = await waitFor('503', async () => {
        const reply = await request(port, '/x', { agent: false });
        return reply.status === 503 ? reply : undefined;
      });
      assert.equal(r.headers['retry-after'], '1');
      assert.match(r.body, /no backend available/);
      const stats = await waitFor('the 503 counted', async () => {
        const body = (await (await fetch(`http://127.0.0.1:${cluster.cp.adminPort}/api/stats`)).json()) as { noBackend: number; backends: Array<{ alive: boolean }> };
        return body.noBackend >= 1 ? body : undefined;
      });
      assert.ok(stats.backends.every((b) => !b.alive));
    } finally {
      await cluster.close();
      await Promise.all(backends.map((b) => b.close()));
    }
  });
});

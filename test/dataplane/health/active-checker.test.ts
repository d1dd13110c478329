// Active checks against real HTTP and TCP servers on loopback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ActiveHealthChecker, runProbe } from '../../../dataplane/health/active-checker.js';
import { BackendState } from '../../../dataplane/pools/backend-state.js';
import { freePort } from '../../fakes/fake-backend.js';
import { ManualClock } from '../../kit/manual-clock.js';
import { waitFor } from '../../kit/wait.js';

const base = { enabled: true, type: 'http', path: '/health', interval_ms: 40, timeout_ms: 500, healthy_threshold: 2, unhealthy_threshold: 2, expected_status_min: 200, expected_status_max: 399, host: '' };

describe('active health checks', () => {
  let status = 200;
  let seenHost = '';
  let server: http.Server;
  let url: URL;
  before(async () => {
    server = http.createServer((req, res) => {
      seenHost = req.headers.host ?? '';
      res.writeHead(req.url === '/health' ? status : 404);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(() => server.close());

  it('probes with GET on the path and checks the status range', async () => {
    status = 204;
    assert.deepEqual(await runProbe(url, base), { ok: true });
    status = 503;
    assert.deepEqual(await runProbe(url, base), { ok: false, reason: 'GET /health answered 503' });
    assert.deepEqual(await runProbe(url, { ...base, expected_status_min: 500, expected_status_max: 503 }), { ok: true });
    await runProbe(url, { ...base, host: 'app.internal' });
    assert.equal(seenHost, 'app.internal');
  });

  it('tcp mode succeeds on connect and fails on refusal', async () => {
    assert.deepEqual(await runProbe(url, { ...base, type: 'tcp' }), { ok: true });
    const dead = new URL(`http://127.0.0.1:${await freePort()}`);
    assert.deepEqual(await runProbe(dead, { ...base, type: 'tcp' }), { ok: false, reason: 'ECONNREFUSED' });
  });

  it('takes a failing backend out after `fall` failures and back after `rise` successes, reporting each transition once', async () => {
    status = 200;
    const state = new BackendState('p/x', 'p', url.href);
    const events: string[] = [];
    const clock = new ManualClock();
    const checker = new ActiveHealthChecker({ onTransition: (_s, healthy, reason) => events.push(`${healthy}: ${reason}`), random: () => 0.5, clock });
    /** Fires the next probe and waits until it is recorded (the checker then sets the next timer). */
    const probe = async () => {
      const before = clock.scheduled;
      assert.ok(clock.fireNext(), 'a probe is scheduled');
      await waitFor('the probe to be recorded', () => clock.scheduled > before);
    };
    try {
      checker.update([{ name: 'p', spec: base, backends: [{ state, url }] }]);
      for (let i = 0; i < 4; i++) await probe();
      assert.equal(state.isHealthy(clock.now()), true);
      assert.deepEqual(events, [], 'passing probes report nothing');
      status = 500;
      await probe();
      assert.equal(state.activeHealthy, true, 'one failure is below `fall`');
      await probe();
      assert.equal(state.activeHealthy, false);
      assert.deepEqual(events, ['false: health check failed 2 times: GET /health answered 500']);
      await probe();
      assert.equal(events.length, 1, 'a further failure is not reported again');
      status = 200;
      await probe();
      assert.equal(state.activeHealthy, false, 'one success is below `rise`');
      await probe();
      assert.equal(state.activeHealthy, true);
      assert.deepEqual(events.at(-1), 'true: health check passed 2 times');
      await probe();
      assert.equal(events.length, 2);
    } finally {
      checker.stop();
    }
    assert.equal(clock.pending, 0, 'stop cancels the next probe');
  });

  it('waits the interval with ±10% jitter between probes, and the first probe within a second', async () => {
    const clock = new ManualClock();
    const draws = [0, 0, 0.99];
    const checker = new ActiveHealthChecker({ onTransition: () => {}, random: () => draws.shift() ?? 0.5, clock });
    const state = new BackendState('p/j', 'p', url.href);
    try {
      const start = clock.now();
      checker.update([{ name: 'p', spec: { ...base, interval_ms: 5000 }, backends: [{ state, url }] }]);
      const fireAndWait = async () => {
        const before = clock.scheduled;
        clock.fireNext();
        await waitFor('the probe to be recorded', () => clock.scheduled > before);
      };
      await fireAndWait();
      assert.equal(clock.now() - start, 0, 'random 0: the first probe at once');
      const t1 = clock.now();
      await fireAndWait();
      assert.equal(clock.now() - t1, 4500, 'random 0: interval × 0.9');
      const t2 = clock.now();
      await fireAndWait();
      assert.equal(clock.now() - t2, 5490, 'random 0.99: interval × 1.098');
    } finally {
      checker.stop();
    }
  });

  it('disabling checks returns a backend held out by them', async () => {
    status = 500;
    const state = new BackendState('p/y', 'p', url.href);
    const checker = new ActiveHealthChecker({ onTransition: () => {} });
    try {
      checker.update([{ name: 'p', spec: base, backends: [{ state, url }] }]);
      await waitFor('the backend to be marked unhealthy', () => !state.activeHealthy);
      checker.update([{ name: 'p', spec: { ...base, enabled: false }, backends: [{ state, url }] }]);
      assert.equal(state.activeHealthy, true);
    } finally {
      checker.stop();
      status = 200;
    }
  });
});

// Active checks against real HTTP and TCP servers on loopback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ActiveHealthChecker, runProbe } from '../../../dataplane/health/active-checker.js';
import { BackendState } from '../../../dataplane/pools/backend-state.js';
import { freePort } from '../../fakes/fake-backend.js';
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
    const checker = new ActiveHealthChecker({ onTransition: (_s, healthy, reason) => events.push(`${healthy}: ${reason}`), random: () => 0.5 });
    try {
      checker.update([{ name: 'p', spec: base, backends: [{ state, url }] }]);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(state.isHealthy(Date.now()), true);
      assert.deepEqual(events, []);
      status = 500;
      await waitFor('the backend to be marked unhealthy', () => !state.activeHealthy);
      assert.deepEqual(events, ['false: health check failed 2 times: GET /health answered 500']);
      status = 200;
      await waitFor('the backend to be marked healthy', () => state.activeHealthy);
      assert.deepEqual(events.at(-1), 'true: health check passed 2 times');
      assert.equal(events.length, 2);
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

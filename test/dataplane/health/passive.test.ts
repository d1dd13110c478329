// Passive ejection through its real interface: outcomes in, ejections and transitions out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mayEject } from '../../../dataplane/health/ejection-cap.js';
import { observePassive as observe, passiveOutcomeOf, settleExpiredEjections, type PassiveOutcome } from '../../../dataplane/health/passive.js';
import { BackendState, type HealthListener } from '../../../dataplane/pools/backend-state.js';
import type { PassiveHealthSpec } from '../../../proto/index.js';

const spec: PassiveHealthSpec = { enabled: true, max_failures: 3, ejection_ms: 1000, max_ejection_ms: 4000, errors: 'gateway', max_ejection_percent: 50 };

/** A backend alone in its pool, as the older tests here see it (one ejection is always allowed). */
function observePassive(state: BackendState, s: PassiveHealthSpec, o: PassiveOutcome, now: number, listener: HealthListener): void {
  observe(state, s, o, now, listener, [{ state }]);
}

function harness() {
  const state = new BackendState('p/127.0.0.1:1', 'p', 'http://127.0.0.1:1');
  const events: string[] = [];
  const listener = (_s: BackendState, healthy: boolean, reason: string) => events.push(`${healthy ? 'up' : 'down'}: ${reason}`);
  return { state, events, listener };
}

function poolOf(n: number) {
  return Array.from({ length: n }, (_, i) => ({ state: new BackendState(`p/127.0.0.1:${i + 1}`, 'p', `http://127.0.0.1:${i + 1}`) }));
}

describe('passive health', () => {
  it('ejects after max_failures consecutive failures and reports it once', () => {
    const { state, events, listener } = harness();
    observePassive(state, spec, 'connect-failure', 0, listener);
    observePassive(state, spec, 'connect-failure', 1, listener);
    assert.equal(state.isHealthy(2), true);
    observePassive(state, spec, 'connect-failure', 2, listener);
    assert.equal(state.isHealthy(3), false);
    assert.deepEqual(events, ['down: ejected for 1s after 3 consecutive connection failures']);
    // Stragglers failing while it is out neither extend the ejection nor report again.
    observePassive(state, spec, 'gateway-error', 10, listener);
    assert.equal(state.ejectedUntil, 1002);
    assert.equal(events.length, 1);
  });

  it('a success in between resets the streak', () => {
    const { state, events, listener } = harness();
    for (const o of ['gateway-error', 'gateway-error', 'success', 'gateway-error', 'gateway-error'] as const) observePassive(state, spec, o, 0, listener);
    assert.equal(state.isHealthy(1), true);
    assert.deepEqual(events, []);
  });

  it('returns the backend when the ejection is over and doubles the next ejection, up to the maximum', () => {
    const { state, events, listener } = harness();
    const fail3 = (at: number) => {
      for (let i = 0; i < 3; i++) observePassive(state, spec, 'timeout', at, listener);
    };
    fail3(0);
    assert.equal(state.ejectedUntil, 1000);
    settleExpiredEjections([state], 999, listener);
    assert.equal(events.length, 1);
    settleExpiredEjections([state], 1000, listener);
    assert.deepEqual(events.at(-1), 'up: ejection period over');
    fail3(1100);
    assert.equal(state.ejectedUntil, 1100 + 2000);
    settleExpiredEjections([state], 3100, listener);
    fail3(3200);
    assert.equal(state.ejectedUntil, 3200 + 4000);
    settleExpiredEjections([state], 7200, listener);
    fail3(7300);
    assert.equal(state.ejectedUntil, 7300 + 4000, 'capped at max_ejection_ms');
  });

  it('forgets old ejections after behaving for a full max-ejection period', () => {
    const { state, listener } = harness();
    for (let i = 0; i < 3; i++) observePassive(state, spec, 'timeout', 0, listener);
    settleExpiredEjections([state], 1000, listener);
    observePassive(state, spec, 'success', 1000 + 4001, listener);
    assert.equal(state.ejections, 0);
    for (let i = 0; i < 3; i++) observePassive(state, spec, 'timeout', 6000, listener);
    assert.equal(state.ejectedUntil, 7000, 'back to the base ejection length');
  });

  it('classifies 502, 503 and 504 as gateway failures and other 5xx as server errors', () => {
    const table: Array<[number, PassiveOutcome]> = [
      [200, 'success'], [302, 'success'], [404, 'success'], [429, 'success'], [499, 'success'],
      [500, 'server-error'], [501, 'server-error'], [502, 'gateway-error'], [503, 'gateway-error'],
      [504, 'gateway-error'], [505, 'server-error'], [599, 'server-error'],
    ];
    for (const [status, outcome] of table) assert.equal(passiveOutcomeOf(status), outcome, String(status));
  });

  it('ignores application 500s by default: they even end a streak of gateway failures', () => {
    const { state, events, listener } = harness();
    for (let i = 0; i < 20; i++) observePassive(state, spec, 'server-error', i, listener);
    assert.equal(state.isHealthy(21), true);
    for (const o of ['gateway-error', 'gateway-error', 'server-error', 'gateway-error', 'gateway-error'] as const) observePassive(state, spec, o, 30, listener);
    assert.equal(state.isHealthy(31), true);
    assert.deepEqual(events, []);
  });

  it('counts application 500s with errors=5xx', () => {
    const { state, events, listener } = harness();
    for (let i = 0; i < 3; i++) observePassive(state, { ...spec, errors: '5xx' }, 'server-error', 0, listener);
    assert.equal(state.isHealthy(1), false);
    assert.deepEqual(events, ['down: ejected for 1s after 3 consecutive failed responses']);
  });

  it('never ejects more of a pool than max_ejection_percent, and the refused backend needs a fresh streak', () => {
    const pool = poolOf(2);
    const events: string[] = [];
    const listener = (s: BackendState, healthy: boolean) => events.push(`${s.id} ${healthy ? 'up' : 'down'}`);
    for (let i = 0; i < 3; i++) for (const m of pool) observe(m.state, spec, 'connect-failure', 0, listener, pool);
    assert.deepEqual(events, ['p/127.0.0.1:1 down'], 'the first ejection takes 50 %; a second would take 100 %');
    assert.equal(pool[1]!.state.isHealthy(1), true);
    assert.equal(pool[1]!.state.consecutiveFailures, 0);
    // Once the first ejection is over, the second backend's next full streak ejects it.
    for (let i = 0; i < 3; i++) observe(pool[1]!.state, spec, 'connect-failure', 1000, listener, pool);
    assert.deepEqual(events, ['p/127.0.0.1:1 down', 'p/127.0.0.1:2 down']);
  });

  it('mayEject: the cap in percent of the pool, and always at least one backend', () => {
    const table: Array<{ size: number; ejected: number; percent: number; may: boolean }> = [
      { size: 1, ejected: 0, percent: 50, may: true },
      { size: 1, ejected: 0, percent: 0, may: true },
      { size: 2, ejected: 0, percent: 50, may: true },
      { size: 2, ejected: 1, percent: 50, may: false },
      { size: 2, ejected: 1, percent: 100, may: true },
      { size: 3, ejected: 1, percent: 50, may: false },
      { size: 4, ejected: 1, percent: 50, may: true },
      { size: 4, ejected: 2, percent: 50, may: false },
      { size: 5, ejected: 1, percent: 50, may: true },
      { size: 5, ejected: 2, percent: 50, may: false },
      { size: 10, ejected: 2, percent: 10, may: false },
      { size: 10, ejected: 1, percent: 0, may: false },
    ];
    for (const row of table) {
      const pool = poolOf(row.size);
      for (let i = 0; i < row.ejected; i++) pool[i]!.state.ejectedUntil = 100;
      // An ejection that is over does not count.
      if (row.ejected < row.size) pool[row.size - 1]!.state.ejectedUntil = 50;
      assert.equal(mayEject(pool, row.percent, 60), row.may, JSON.stringify(row));
    }
  });
});

// Passive ejection through its real interface: outcomes in, ejections and transitions out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { observePassive, settleExpiredEjections } from '../../../dataplane/health/passive.js';
import { BackendState } from '../../../dataplane/pools/backend-state.js';

const spec = { enabled: true, max_failures: 3, ejection_ms: 1000, max_ejection_ms: 4000 };

function harness() {
  const state = new BackendState('p/127.0.0.1:1', 'p', 'http://127.0.0.1:1');
  const events: string[] = [];
  const listener = (_s: BackendState, healthy: boolean, reason: string) => events.push(`${healthy ? 'up' : 'down'}: ${reason}`);
  return { state, events, listener };
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
    observePassive(state, spec, 'server-error', 10, listener);
    assert.equal(state.ejectedUntil, 1002);
    assert.equal(events.length, 1);
  });

  it('a success in between resets the streak', () => {
    const { state, events, listener } = harness();
    for (const o of ['server-error', 'server-error', 'success', 'server-error', 'server-error'] as const) observePassive(state, spec, o, 0, listener);
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
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide, isReplayable, maxUpgradeAttempts, type FailedAttempt, type RetryDecision } from '../../../dataplane/server/retry-policy.js';

const timeouts = { retries: 2, connect_ms: 1500, response_ms: 30000 };
const refused: FailedAttempt = { outcome: 'connect-failed', error: 'ECONNREFUSED' };
const failed = (errorClass: 'timeout' | 'reset' | 'protocol' | 'connect-timeout', responseStarted = false): FailedAttempt => ({
  outcome: 'failed',
  errorClass,
  error: errorClass,
  requestSent: errorClass !== 'connect-timeout',
  responseStarted,
});

const unreachable = { status: 502, message: 'backend unreachable' };
const broken = { status: 502, message: 'backend failed' };
const slow = { status: 504, message: 'backend did not respond within 30000 ms' };
const noAccept = { status: 504, message: 'backend did not accept a connection within 1500 ms' };

describe('decide', () => {
  const cases: Array<[string, FailedAttempt, number, boolean, RetryDecision]> = [
    ['a refused connection, any method, goes elsewhere', refused, 0, false, { action: 'retry-elsewhere', ...unreachable }],
    ['a refused connection of a GET goes elsewhere', refused, 1, true, { action: 'retry-elsewhere', ...unreachable }],
    ['a refused connection on the last attempt gives up with 502', refused, 2, false, { action: 'give-up', ...unreachable }],
    ['a connect timeout of a POST goes elsewhere (nothing was sent)', failed('connect-timeout'), 0, false, { action: 'retry-elsewhere', ...noAccept }],
    ['a connect timeout on the last attempt gives up with 504', failed('connect-timeout'), 2, true, { action: 'give-up', ...noAccept }],
    ['a reset of a POST gives up with 502 (the backend may have acted)', failed('reset'), 0, false, { action: 'give-up', ...broken }],
    ['a reset of a GET on the first attempt may use the same backend once', failed('reset'), 0, true, { action: 'retry-same', ...broken }],
    ['a reset of a GET on a later attempt goes elsewhere only', failed('reset'), 1, true, { action: 'retry-elsewhere', ...broken }],
    ['a response timeout of a GET goes elsewhere', failed('timeout'), 0, true, { action: 'retry-elsewhere', ...slow }],
    ['a response timeout of a POST gives up with 504', failed('timeout'), 0, false, { action: 'give-up', ...slow }],
    ['a protocol error of a GET goes elsewhere', failed('protocol'), 1, true, { action: 'retry-elsewhere', ...broken }],
    ['a protocol error of a POST gives up with 502', failed('protocol'), 0, false, { action: 'give-up', ...broken }],
    ['a failure after the response started gives up silently', failed('reset', true), 0, true, { action: 'give-up' }],
    ['a timeout after the response started gives up silently', failed('timeout', true), 0, false, { action: 'give-up' }],
    ['a client that left gives up silently', { outcome: 'client-aborted' }, 0, true, { action: 'give-up' }],
  ];
  for (const [what, outcome, attempt, replayable, expected] of cases) {
    it(what, () => {
      assert.deepEqual(decide(outcome, attempt, { replayable, timeouts }), expected);
    });
  }

  it('never retries with retries 0, and gives the same status', () => {
    for (const outcome of [refused, failed('connect-timeout'), failed('reset'), failed('timeout')]) {
      const d = decide(outcome, 0, { replayable: true, timeouts: { ...timeouts, retries: 0 } });
      assert.equal(d.action, 'give-up');
      assert.ok(d.status === 502 || d.status === 504);
    }
  });

  it('allows at most 1 + retries attempts', () => {
    const request = { replayable: true, timeouts: { ...timeouts, retries: 3 } };
    const actions = [0, 1, 2, 3].map((n) => decide(refused, n, request).action);
    assert.deepEqual(actions, ['retry-elsewhere', 'retry-elsewhere', 'retry-elsewhere', 'give-up']);
  });
});

describe('isReplayable', () => {
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['GET', {}, true],
    ['HEAD', {}, true],
    ['OPTIONS', {}, true],
    ['TRACE', {}, true],
    ['PUT', { 'content-length': '0' }, true],
    ['DELETE', {}, true],
    ['GET', { 'content-length': '5' }, false],
    ['GET', { 'transfer-encoding': 'chunked' }, false],
    ['PUT', { 'content-length': '3' }, false],
    ['POST', {}, false],
    ['PATCH', {}, false],
  ];
  for (const [method, headers, expected] of cases) {
    it(`is ${expected} for ${method} ${JSON.stringify(headers)}`, () => {
      assert.equal(isReplayable(method, headers), expected);
    });
  }
});

describe('maxUpgradeAttempts', () => {
  it('lets an upgrade try every backend of the pool, and at least 1 + retries', () => {
    assert.equal(maxUpgradeAttempts(2, 5), 5);
    assert.equal(maxUpgradeAttempts(2, 2), 3);
    assert.equal(maxUpgradeAttempts(0, 1), 1);
    assert.equal(maxUpgradeAttempts(0, 4), 4);
  });
});

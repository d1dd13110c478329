// Passive health: the proxy's own traffic is the probe. Consecutive connect failures, timeouts and
// gateway failures (502/503/504, a broken response) eject a backend for a back-off period that
// doubles on repeat (bounded), never more of the pool than the ejection cap allows (Envoy's outlier
// detection). Other 5xx are the application's answers and count only with `errors=5xx`: otherwise
// anyone who can make the application fail could eject every backend. A client that hangs up is
// never counted (the proxy handler does not report it).
import type { PassiveHealthSpec } from '../../proto/index.js';
import type { BackendState, HealthListener } from '../pools/backend-state.js';
import { mayEject } from './ejection-cap.js';

/**
 * `gateway-error`: a 502/503/504 response or a response that broke off (Envoy's gateway failure);
 * `server-error`: any other 5xx status.
 */
export type PassiveOutcome = 'success' | 'connect-failure' | 'gateway-error' | 'server-error' | 'timeout';

const DESCRIBE: Record<Exclude<PassiveOutcome, 'success'>, string> = {
  'connect-failure': 'connection failures',
  'gateway-error': 'gateway failures',
  'server-error': 'failed responses',
  timeout: 'timeouts',
};

/** What a backend's response status says about its health. */
export function passiveOutcomeOf(status: number): PassiveOutcome {
  if (status === 502 || status === 503 || status === 504) return 'gateway-error';
  return status >= 500 ? 'server-error' : 'success';
}

/**
 * Feeds one request outcome into the backend's passive health. `members` is the backend's pool
 * (every member, this one included), which the ejection cap counts.
 */
export function observePassive(
  state: BackendState,
  spec: PassiveHealthSpec,
  outcome: PassiveOutcome,
  now: number,
  onTransition: HealthListener,
  members: readonly { readonly state: BackendState }[],
): void {
  // Under errors=gateway an application 5xx is an answer: the backend is up and talking.
  if (outcome === 'server-error' && spec.errors !== '5xx') outcome = 'success';
  if (outcome === 'success') {
    state.consecutiveFailures = 0;
    // A backend that has behaved for a full max-ejection period starts its back-off from scratch.
    if (state.ejections > 0 && state.ejectedUntil + Math.max(spec.max_ejection_ms, spec.ejection_ms) < now) state.ejections = 0;
    return;
  }
  if (state.ejectedUntil > now) return; // already out; stragglers finishing late do not extend it
  state.consecutiveFailures++;
  const limit = Math.max(1, spec.max_failures);
  if (state.consecutiveFailures < limit) return;
  if (!mayEject(members, spec.max_ejection_percent, now)) {
    // Over the cap the backend stays in; a fresh streak is needed before the next try, by which
    // time another ejection may have ended.
    state.consecutiveFailures = 0;
    return;
  }
  state.ejections++;
  const base = Math.max(1, spec.ejection_ms);
  const length = Math.min(base * 2 ** Math.min(state.ejections - 1, 20), Math.max(base, spec.max_ejection_ms));
  state.ejectedUntil = now + length;
  state.consecutiveFailures = 0;
  state.settleHealth(now, `ejected for ${formatMs(length)} after ${limit} consecutive ${DESCRIBE[outcome]}`, onTransition);
}

/** Returns backends whose ejection period is over to rotation (and reports it once). */
export function settleExpiredEjections(states: Iterable<BackendState>, now: number, onTransition: HealthListener): void {
  for (const state of states) {
    if (state.ejectedUntil === 0 || state.ejectedUntil > now) continue;
    if (!state.reportedHealthy) state.settleHealth(now, 'ejection period over', onTransition);
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

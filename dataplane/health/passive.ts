// Passive health: the proxy's own traffic is the probe. Consecutive connect failures, timeouts or
// 5xx responses eject a backend for a back-off period that doubles on repeat (bounded); a client
// that hangs up is never counted (the proxy handler does not report it).
import type { PassiveHealthSpec } from '../../proto/index.js';
import type { BackendState, HealthListener } from '../pools/backend-state.js';

export type PassiveOutcome = 'success' | 'connect-failure' | 'server-error' | 'timeout';

const DESCRIBE: Record<Exclude<PassiveOutcome, 'success'>, string> = {
  'connect-failure': 'connection failures',
  'server-error': 'failed responses',
  timeout: 'timeouts',
};

/** Feeds one request outcome into the backend's passive health. */
export function observePassive(state: BackendState, spec: PassiveHealthSpec, outcome: PassiveOutcome, now: number, onTransition: HealthListener): void {
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

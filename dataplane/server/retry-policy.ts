// The retry policy: after one attempt failed, whether the request may go to a backend again, and
// what the client is told if nothing else answers. Pure: no sockets, no clock, no backend state.
import type { TimeoutsSpec } from '../../proto/index.js';
import type { ForwardResult } from '../forward/engine.js';

/** Methods a backend must accept twice with the same effect (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * True when the request may be sent again even if a backend may already have seen it: an
 * idempotent method with no body (a body is streamed once from the client and cannot be replayed).
 */
export function isReplayable(method: string, headers: { 'transfer-encoding'?: string; 'content-length'?: string }): boolean {
  const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0';
  return IDEMPOTENT.has(method) && !hasBody;
}

/** What the policy reads about the request; fixed for all its attempts. */
export interface RetryRequest {
  replayable: boolean;
  /** The pool's timeouts: `retries` bounds the attempts, the others name the deadline in a 504. */
  timeouts: Pick<TimeoutsSpec, 'retries' | 'connect_ms' | 'response_ms'>;
}

/** Every outcome of one attempt except a response, which ends the request. */
export type FailedAttempt = Exclude<ForwardResult, { outcome: 'responded' }>;

/**
 * - `retry-elsewhere`: try another backend (the failed one is marked tried).
 * - `retry-same`: as `retry-elsewhere`, but when no other backend can take the request, this same
 *   backend gets it once more, on a fresh connection.
 * - `give-up`: answer the client now with `status`/`message`, or, without them, send nothing (the
 *   client left, or the engine already broke a started response).
 * On a retry `status`/`message` are what the client gets if no later attempt answers.
 */
export type RetryDecision =
  | { action: 'retry-elsewhere' | 'retry-same'; status: number; message: string }
  | { action: 'give-up'; status?: number; message?: string };

/**
 * Decides after attempt number `attempt` (0 for the first) failed. Up to `1 + retries` attempts:
 * - a refused or timed-out connection sent nothing: any request goes elsewhere;
 * - a broken exchange may have reached the backend: only a replayable request goes again;
 * - a reset on the first attempt of a replayable request is typically a pooled keep-alive
 *   connection the backend closed just as it was reused: the same backend may take it once more
 *   when no other can (a one-backend pool would otherwise answer 502 to a healthy backend);
 * - once the response has started, or the client left, there is nothing left to decide.
 */
export function decide(outcome: FailedAttempt, attempt: number, request: RetryRequest): RetryDecision {
  if (outcome.outcome === 'client-aborted') return { action: 'give-up' };
  const answer = failureAnswer(outcome, request.timeouts);
  if (outcome.outcome === 'failed' && outcome.responseStarted) return { action: 'give-up' };
  const retryable = outcome.outcome === 'connect-failed' || outcome.errorClass === 'connect-timeout' || request.replayable;
  if (!retryable || attempt + 1 >= 1 + request.timeouts.retries) return { action: 'give-up', ...answer };
  const sameOnce = outcome.outcome === 'failed' && outcome.errorClass === 'reset' && request.replayable && attempt === 0;
  return { action: sameOnce ? 'retry-same' : 'retry-elsewhere', ...answer };
}

/** The status and message a client gets for a failed attempt: never a backend address (the log has it). */
export function failureAnswer(
  outcome: Exclude<FailedAttempt, { outcome: 'client-aborted' }>,
  timeouts: Pick<TimeoutsSpec, 'connect_ms' | 'response_ms'>,
): { status: number; message: string } {
  if (outcome.outcome === 'connect-failed') return { status: 502, message: 'backend unreachable' };
  switch (outcome.errorClass) {
    case 'timeout':
      return { status: 504, message: `backend did not respond within ${timeouts.response_ms} ms` };
    case 'connect-timeout':
      return { status: 504, message: `backend did not accept a connection within ${timeouts.connect_ms} ms` };
    default:
      return { status: 502, message: 'backend failed' };
  }
}

/**
 * How many attempts a WebSocket upgrade may make: `1 + max(retries, backends - 1)`, which is in
 * effect "every backend of the pool once" (a tried backend is never picked again, so a bound above
 * the pool size only ends the loop on "no backend left"). Unlike a request, an upgrade is retried
 * only after `connect-failed` (unreachable, or the handshake did not complete): no application code
 * has seen a message, so another backend is always safe, and a connection meant to live for hours
 * is worth finding a live backend for rather than stopping after `retries`.
 * Example: retries 2, 5 backends → 5 attempts; retries 2, 2 backends → 3 (the third finds none).
 */
export function maxUpgradeAttempts(retries: number, backends: number): number {
  return 1 + Math.max(retries, backends - 1);
}

// Shared pieces of the adversarial suite: the exactly-once ledger, an uncaught-exception watch,
// open file descriptor counts, and a bounded concurrent load driver.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import http from 'node:http';

/** Anything that records requests with their ids (fake and scripted backends alike). */
export interface Recorder {
  readonly name: string;
  readonly requests: ReadonlyArray<{ requestId: string | undefined; method: string; url: string }>;
}

/** How many times each request id reached any of `backends`. */
export function deliveries(backends: readonly Recorder[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const b of backends) {
    for (const r of b.requests) if (r.requestId !== undefined) seen.set(r.requestId, (seen.get(r.requestId) ?? 0) + 1);
  }
  return seen;
}

/**
 * The exactly-once ledger: each id in `ids` reached a backend at most once; ids in `answered`
 * (the client got a backend's response) exactly once.
 */
export function assertLedger(backends: readonly Recorder[], ids: Iterable<string>, answered: Iterable<string> = []): void {
  const seen = deliveries(backends);
  const twice = [...ids].filter((id) => (seen.get(id) ?? 0) > 1);
  assert.deepEqual(twice, [], `requests delivered more than once: ${twice.join(', ')}`);
  const missing = [...answered].filter((id) => seen.get(id) !== 1);
  assert.deepEqual(missing, [], `answered requests not delivered exactly once: ${missing.join(', ')}`);
}

/** Counts uncaught exceptions and unhandled rejections while installed; `stop()` returns them. */
export function watchUncaught(): { count(): number; errors: unknown[]; stop(): unknown[] } {
  const errors: unknown[] = [];
  const onError = (err: unknown) => errors.push(err);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return {
    errors,
    count: () => errors.length,
    stop() {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
      return errors;
    },
  };
}

/** Open file descriptors of this process (Linux). */
export function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

export interface Outcome {
  id: string;
  method: string;
  status: number;
  /** Transport error text when there was no response. */
  error?: string;
  backend?: string;
  at: number;
}

/** One request on a fresh or pooled connection; never rejects: failures are outcomes. */
export function send(port: number, path: string, opts: { method?: string; id: string; body?: string; agent?: http.Agent | false; timeoutMs?: number; headers?: Record<string, string> }): Promise<Outcome> {
  const method = opts.method ?? 'GET';
  return new Promise((resolve) => {
    const at = Date.now();
    const req = http.request(
      { host: '127.0.0.1', port, path, method, agent: opts.agent ?? false, headers: { 'x-request-id': opts.id, ...opts.headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ id: opts.id, method, status: res.statusCode ?? 0, backend: res.headers['x-backend'] as string | undefined, at }));
        res.on('error', (e) => resolve({ id: opts.id, method, status: 0, error: e.message, at }));
      },
    );
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error('client timeout')));
    req.on('error', (e) => resolve({ id: opts.id, method, status: 0, error: e.message, at }));
    req.end(opts.body);
  });
}

/**
 * Runs `total` requests through `make(i)` with at most `concurrency` in flight, or until
 * `untilMs` elapses; resolves with every outcome.
 */
export async function drive(total: number, concurrency: number, make: (i: number) => Promise<Outcome>, untilMs = Infinity): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const deadline = Date.now() + untilMs;
  let next = 0;
  const worker = async () => {
    while (next < total && Date.now() < deadline) {
      const i = next++;
      out.push(await make(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

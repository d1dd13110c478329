// Steady load for tests that change something while traffic flows (reload, kill, drain, restart):
// a few clients send back to back until stopped, always bounded in count and time, so a test that
// forgets to stop (or throws before it does) cannot leave traffic running.
import { waitFor } from './wait.js';

export interface LoadOutcomes<T> {
  /** Requests whose result passed `check`. */
  ok: number;
  /** One reason per failed request: what `check` said, or the error `send` threw. */
  failed: string[];
  /** Every value `send` returned (passed or not), in order of completion. */
  results: T[];
  /** Wall time from start to the last request settling (the load's span, not a speed). */
  ranMs: number;
}

export interface SteadyLoad<T> {
  /** Live view: read while the load runs to see what happened since a point. */
  readonly outcomes: LoadOutcomes<T>;
  /** Stops sending, waits for the requests in flight, returns the outcomes. */
  stop(): Promise<LoadOutcomes<T>>;
  /** Settles when every client has stopped (by `stop()` or by a bound). */
  readonly done: Promise<LoadOutcomes<T>>;
  /**
   * Waits until `count` requests (default: one per client) that started after this call have
   * settled: the event that proves traffic flowed past a point of the test (a kill, a reload),
   * in place of sleeping and hoping it did. Throws with `what` if the load stops first.
   */
  passMark(what: string, count?: number): Promise<void>;
}

export interface SteadyLoadOptions<T> {
  /** Concurrent clients (default 4). */
  clients?: number;
  /** Pause after each request, per client (default 0: back to back). */
  pauseMs?: number;
  /** Stops by itself after this many requests (default 20 000). */
  maxRequests?: number;
  /** Stops by itself after this long (default 60 s). */
  maxMs?: number;
  /** Undefined when `result` is a success, else the reason it failed (default: every result passes). */
  check?: (result: T) => string | undefined;
}

/**
 * Starts `clients` loops that each call `send(i, client)` (i counts requests across all clients)
 * until `stop()`, `maxRequests` or `maxMs`. A throw from `send` is a failure with its message.
 */
export function steadyLoad<T>(send: (i: number, client: number) => Promise<T>, options: SteadyLoadOptions<T> = {}): SteadyLoad<T> {
  const { clients = 4, pauseMs = 0, maxRequests = 20_000, maxMs = 60_000, check = () => undefined } = options;
  const outcomes: LoadOutcomes<T> = { ok: 0, failed: [], results: [], ranMs: 0 };
  const started = Date.now();
  let stopped = false;
  let n = 0;
  /** Index of each settled request, in order of settling (for passMark). */
  const settled: number[] = [];
  const client = async (c: number): Promise<void> => {
    while (!stopped && n < maxRequests && Date.now() - started < maxMs) {
      const i = n++;
      try {
        const r = await send(i, c);
        outcomes.results.push(r);
        const reason = check(r);
        if (reason === undefined) outcomes.ok++;
        else outcomes.failed.push(reason);
      } catch (err) {
        outcomes.failed.push((err as Error).message);
      }
      settled.push(i);
      if (pauseMs > 0 && !stopped) await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const done = Promise.all(Array.from({ length: clients }, (_, c) => client(c))).then(() => {
    outcomes.ranMs = Date.now() - started;
    return outcomes;
  });
  let finished = false;
  void done.then(() => (finished = true));
  return {
    outcomes,
    done,
    stop: () => ((stopped = true), done),
    async passMark(what, count = clients) {
      const mark = n;
      let from = settled.length;
      let seen = 0;
      await waitFor(
        `${count} requests past: ${what}`,
        () => {
          for (; from < settled.length; from++) if (settled[from]! >= mark) seen++;
          if (seen < count && finished) throw new Error(`the load stopped before ${count} requests past: ${what}`);
          return seen >= count;
        },
        30_000,
      );
    },
  };
}

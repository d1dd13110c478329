// The clock the active health checker waits on: the real one by default; tests inject a manual one
// so they can run probes one at a time instead of sleeping through intervals.

export interface CheckerClock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
  /** Calls `fn` once after `ms`; must not keep the process alive. Returns a handle for clearTimer. */
  setTimer(fn: () => void, ms: number): unknown;
  /** Cancels a timer from setTimer; a handle that already fired or was cleared is ignored. */
  clearTimer(handle: unknown): void;
}

export const realClock: CheckerClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

// A clock a test moves by hand: timers fire only when the test says so, in due order, so a test of
// interval-driven code (the health checker) counts probes instead of sleeping through intervals.
import type { CheckerClock } from '../../dataplane/health/checker-clock.js';

export class ManualClock implements CheckerClock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();
  /** How many timers were ever set: a new one after a fire means the fired work has finished. */
  scheduled = 0;

  constructor(startMs = 1_000_000) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): number {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    this.scheduled++;
    return id;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time to the earliest timer and fires it; false when none is pending. */
  fireNext(): boolean {
    let next: [number, { at: number; fn: () => void }] | undefined;
    for (const t of this.#timers) if (!next || t[1].at < next[1].at) next = t;
    if (!next) return false;
    this.#timers.delete(next[0]);
    this.#now = Math.max(this.#now, next[1].at);
    next[1].fn();
    return true;
  }
}

// One record per backend, kept by BackendId across snapshots: health from every producer
// (active checks, passive ejection), live load, and cumulative counters.
import type { BackendId } from '../balancers/balancer.js';

/** Upper bounds (ms) of the latency histogram buckets; one overflow bucket follows. */
export const LATENCY_BOUNDS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export type HealthListener = (state: BackendState, healthy: boolean, reason: string) => void;

export class BackendState {
  readonly id: BackendId;
  readonly pool: string;
  url: string;

  /** Active-check verdict; true until a check says otherwise. */
  activeHealthy = true;
  /** Passive ejection: out of rotation until this time (ms since epoch). */
  ejectedUntil = 0;
  consecutiveFailures = 0;
  ejections = 0;
  healthReason = '';
  healthSince = Date.now();
  #lastReportedHealthy = true;

  inFlight = 0;
  openWebSockets = 0;

  requests = 0;
  errors = 0;
  websocketsTotal = 0;
  bytesIn = 0;
  bytesOut = 0;
  latencySumMs = 0;
  readonly latencyBuckets: number[] = new Array(LATENCY_BOUNDS_MS.length + 1).fill(0);
  readonly errorsByClass = new Map<string, number>();
  readonly responsesByClass = new Map<string, number>();

  constructor(id: BackendId, pool: string, url: string) {
    this.id = id;
    this.pool = pool;
    this.url = url;
  }

  /** Healthy as every producer sees it at `now`. */
  isHealthy(now: number): boolean {
    return this.activeHealthy && this.ejectedUntil <= now;
  }

  /** In-flight requests plus open WebSockets: what load-aware balancers compare. */
  load(): number {
    return this.inFlight + this.openWebSockets;
  }

  recordLatency(ms: number): void {
    this.latencySumMs += ms;
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]!) i++;
    this.latencyBuckets[i]!++;
  }

  recordError(errorClass: string): void {
    this.errors++;
    this.errorsByClass.set(errorClass, (this.errorsByClass.get(errorClass) ?? 0) + 1);
  }

  recordResponse(status: number): void {
    const cls = `${Math.floor(status / 100)}xx`;
    this.responsesByClass.set(cls, (this.responsesByClass.get(cls) ?? 0) + 1);
  }

  /**
   * Re-evaluates health after a producer changed it and tells `onChange` once per transition
   * (so flapping producers that agree do not spam). Returns true when it changed.
   */
  settleHealth(now: number, reason: string, onChange?: HealthListener): boolean {
    const healthy = this.isHealthy(now);
    if (healthy === this.#lastReportedHealthy) return false;
    this.#lastReportedHealthy = healthy;
    this.healthReason = reason;
    this.healthSince = now;
    onChange?.(this, healthy, reason);
    return true;
  }

  /** The last verdict reported through settleHealth. */
  get reportedHealthy(): boolean {
    return this.#lastReportedHealthy;
  }
}

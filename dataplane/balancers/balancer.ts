// The balancer contract: a read-only choice over one pool's backends, rebuilt per snapshot.
// A balancer never sees health or admin state; it asks `isAvailable` and skips what is not.
//
// Why `isAvailable` is passed in rather than the caller filtering the algorithm's candidates (the
// shape Pingora's selection takes: the algorithm yields backends, the caller keeps the first usable
// one): the predicate already keeps health out of the algorithm — it learns only "not now", never
// why (unhealthy, ejected, draining, at its limit, already tried) — and where a backend is skipped
// is part of an algorithm's semantics. Smooth weighted round robin lets an unavailable backend sit
// the round out: its running total does not grow and the round's total weight excludes it (5:1:1
// over a, b, c with b down gives a a a c a a, repeating, and b resumes with its old total).
// Yielding candidates would run b's total through rounds it could not serve, changing what a and
// c get and the sequence b resumes with; power-of-two would spend its two samples on backends that
// cannot take the request. So each algorithm asks the predicate where its pick sequence needs it,
// and the contract suite (test/dataplane/balancers/contract.test.ts) holds all seven to "never an
// unavailable one".

/** Stable backend identity (derived from pool + URL by the control plane), never a list index. */
export type BackendId = string;

export interface BalancerTarget {
  readonly id: BackendId;
  /** Positive integer weight. */
  readonly weight: number;
}

/** Everything a pick may consult about the moment; built once per request. */
export interface PickContext<T extends BalancerTarget> {
  /** True when `t` may take a new request now (healthy, ready, under its limit, not yet tried). */
  isAvailable(t: T): boolean;
  /** Current in-flight requests plus open WebSockets on `t` (load-aware algorithms). */
  load(t: T): number;
  /** Hash key for hash-based algorithms (client ip, path, header value...). */
  key?: string;
}

export interface Balancer<T extends BalancerTarget> {
  /**
   * Chooses a target among the available ones, or `undefined` when none is available.
   * May advance internal state (round-robin cursor, smooth weights); never throws.
   */
  pick(ctx: PickContext<T>): T | undefined;
}

export interface BalancerOptions {
  /** Uniform in [0, 1); injected so tests can script it. Defaults to Math.random. */
  random?: () => number;
  /** consistent_hash bounded-load factor (e.g. 1.25); 0 or undefined disables it. */
  hashBalanceFactor?: number;
}

export type BalancerFactory = <T extends BalancerTarget>(targets: readonly T[], options: BalancerOptions) => Balancer<T>;

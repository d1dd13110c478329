// Small helpers shared by the balancer implementations.
import type { BalancerTarget } from './balancer.js';

/** The weight a balancer uses: a positive integer, with anything below 1 (or not a number) as 1. */
export function effectiveWeight(t: BalancerTarget): number {
  const w = t.weight;
  return Number.isFinite(w) && w >= 1 ? Math.floor(w) : 1;
}

/** A load as a non-negative finite number (a bad report counts as idle rather than breaking the pick). */
export function effectiveLoad(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** `random()` forced into [0, 1) so a misbehaving source can never index out of range. */
export function unitRandom(random: () => number): number {
  const r = random();
  if (!(r >= 0)) return 0; // NaN or negative
  return r < 1 ? r : 1 - Number.EPSILON / 2;
}

/** An index in [0, n) from `random`. */
export function randomIndex(random: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(unitRandom(random) * n));
}

/**
 * Whether a's (load+1)/weight is lower than b's, compared by cross-multiplying so equal ratios
 * compare equal exactly (no floating-point division).
 * Returns < 0 when a is less loaded, 0 on a tie, > 0 when b is less loaded.
 */
export function compareLoad(loadA: number, weightA: number, loadB: number, weightB: number): number {
  return (loadA + 1) * weightB - (loadB + 1) * weightA;
}

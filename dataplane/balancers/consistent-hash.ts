// consistent_hash: a hash ring with 160 × weight virtual nodes per target, each placed at
// hash(`${id}#${i}`). A key goes to the first node clockwise from hash(key), walking on past
// unavailable targets. Node positions depend only on target ids, so every data plane builds the same
// ring, and removing a target only moves the keys that were on it.
//
// Bounded load (options.hashBalanceFactor > 0) wraps the ring: see bounded-load.ts.
//
// Without a key the pick is a weighted random target among the available ones.
import type { Balancer, BalancerOptions, BalancerTarget, PickContext } from './balancer.js';
import { withBoundedLoad } from './bounded-load.js';
import { effectiveWeight } from './common.js';
import { fnv1a32, hash32, mix32 } from './hash.js';
import { pickWeightedRandom } from './random.js';

export const VIRTUAL_NODES_PER_WEIGHT = 160;
/**
 * Ring size limit. Weights may go up to 1,000,000, and 160 nodes per unit of weight would then need
 * gigabytes; past this many nodes every target's count is scaled down in proportion (at least 1).
 */
export const MAX_RING_NODES = 1 << 20;
/** Targets per ring (rank field of a packed node); point × RANK_SPAN + rank stays below 2^53. */
const RANK_SPAN = 1 << 21;

/** Virtual nodes per target: 160 × weight, scaled down together when the ring would be too large. */
function virtualNodeCounts(weights: readonly number[]): number[] {
  const wanted = weights.map((w) => VIRTUAL_NODES_PER_WEIGHT * w);
  const total = wanted.reduce((x, y) => x + y, 0);
  if (total <= MAX_RING_NODES) return wanted;
  return wanted.map((c) => Math.max(1, Math.floor((c * MAX_RING_NODES) / total)));
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class ConsistentHashBalancer<T extends BalancerTarget> implements Balancer<T> {
  readonly #targets: readonly T[];
  readonly #weights: readonly number[];
  /** Ring positions, ascending. */
  readonly #points: Uint32Array;
  /** #owners[k] = index in #targets of the node at #points[k]. */
  readonly #owners: Uint32Array;
  readonly #random: () => number;

  constructor(targets: readonly T[], options: BalancerOptions = {}) {
    this.#targets = [...targets];
    this.#weights = this.#targets.map(effectiveWeight);
    this.#random = options.random ?? Math.random;

    const counts = virtualNodeCounts(this.#weights);
    // Each node is packed into one double, point × 2^21 + rank, where rank orders the targets by
    // id: a numeric sort then orders by point, and ties on a point (rare) by id, so the ring does
    // not depend on the order the targets were listed in.
    const order = this.#targets.map((_, i) => i).sort((a, b) => compareIds(this.#targets[a]!.id, this.#targets[b]!.id));
    const total = counts.reduce((x, y) => x + y, 0);
    const packed = new Float64Array(total);
    let k = 0;
    order.forEach((owner, rank) => {
      // hash(`${id}#${i}`), with the FNV state of the `${id}#` prefix computed once.
      const prefix = fnv1a32(`${this.#targets[owner]!.id}#`);
      for (let i = 0; i < counts[owner]!; i++) packed[k++] = mix32(fnv1a32(String(i), prefix)) * RANK_SPAN + rank;
    });
    packed.sort();
    this.#points = new Uint32Array(total);
    this.#owners = new Uint32Array(total);
    for (let j = 0; j < total; j++) {
      const v = packed[j]!;
      const rank = v % RANK_SPAN;
      this.#points[j] = (v - rank) / RANK_SPAN;
      this.#owners[j] = order[rank]!;
    }
  }

  pick(ctx: PickContext<T>): T | undefined {
    const key = ctx.key;
    if (key === undefined || key === '') return pickWeightedRandom(this.#targets, this.#weights, ctx, this.#random);
    const n = this.#targets.length;
    if (n === 0) return undefined;

    const len = this.#points.length;
    const start = this.#firstAtOrAfter(hash32(key));
    let asked = 0; // distinct targets looked at; the walk ends once all were
    const visited = new Uint8Array(n);
    for (let step = 0; step < len && asked < n; step++) {
      const owner = this.#owners[(start + step) % len]!;
      if (visited[owner] === 1) continue;
      visited[owner] = 1;
      asked++;
      if (ctx.isAvailable(this.#targets[owner]!)) return this.#targets[owner];
    }
    return undefined;
  }

  /** Index of the first ring node at or after `h`, wrapping to 0 past the end. */
  #firstAtOrAfter(h: number): number {
    let lo = 0;
    let hi = this.#points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.#points.length ? 0 : lo;
  }
}

export function createConsistentHash<T extends BalancerTarget>(
  targets: readonly T[],
  options: BalancerOptions = {},
): Balancer<T> {
  return withBoundedLoad(new ConsistentHashBalancer(targets, options), targets, options.hashBalanceFactor);
}

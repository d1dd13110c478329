// consistent_hash: a hash ring with 160 × weight virtual nodes per target, each placed at
// hash(`${id}#${i}`). A key goes to the first node clockwise from hash(key), walking on past
// unavailable targets. Node positions depend only on target ids, so every data plane builds the same
// ring, and removing a target only moves the keys that were on it.
//
// Bounded load (options.hashBalanceFactor > 0, e.g. 1.25; "consistent hashing with bounded loads"):
// the walk also passes targets already carrying more than their share, where the share of a target
// is ceil(factor × (totalLoad + 1) × weight / availableWeight), i.e. ceil(factor × (totalLoad + 1) /
// availableCount) when the weights are equal. If every available target is over its share, the
// first available one on the walk is used anyway.
//
// Without a key the pick is a weighted random target among the available ones.
import type { Balancer, BalancerOptions, BalancerTarget, PickContext } from './balancer.js';
import { effectiveLoad, effectiveWeight } from './common.js';
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
  readonly #factor: number;
  readonly #random: () => number;

  constructor(targets: readonly T[], options: BalancerOptions = {}) {
    this.#targets = [...targets];
    this.#weights = this.#targets.map(effectiveWeight);
    const factor = options.hashBalanceFactor;
    this.#factor = factor !== undefined && Number.isFinite(factor) && factor > 0 ? factor : 0;
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

    // Availability (and load) of each target, asked at most once per pick.
    const available = new Uint8Array(n); // 0 = not asked, 1 = available, 2 = unavailable
    const loads = new Float64Array(n);
    let capPerWeight = Infinity; // a target may carry up to ceil(capPerWeight × weight) - 1 before the new request
    if (this.#factor > 0) {
      let totalLoad = 0;
      let availableWeight = 0;
      for (let i = 0; i < n; i++) {
        const t = this.#targets[i]!;
        if (ctx.isAvailable(t)) {
          available[i] = 1;
          loads[i] = effectiveLoad(ctx.load(t));
          totalLoad += loads[i]!;
          availableWeight += this.#weights[i]!;
        } else {
          available[i] = 2;
        }
      }
      if (availableWeight === 0) return undefined;
      capPerWeight = (this.#factor * (totalLoad + 1)) / availableWeight;
    }

    const len = this.#points.length;
    const start = this.#firstAtOrAfter(hash32(key));
    let firstAvailable = -1;
    let asked = 0; // distinct targets looked at; the walk ends once all were
    const visited = new Uint8Array(n);
    for (let step = 0; step < len && asked < n; step++) {
      const owner = this.#owners[(start + step) % len]!;
      if (visited[owner] === 1) continue;
      visited[owner] = 1;
      asked++;
      if (available[owner] === 0) available[owner] = ctx.isAvailable(this.#targets[owner]!) ? 1 : 2;
      if (available[owner] !== 1) continue;
      if (capPerWeight === Infinity) return this.#targets[owner];
      if (firstAvailable < 0) firstAvailable = owner;
      if (loads[owner]! + 1 <= Math.ceil(capPerWeight * this.#weights[owner]!)) return this.#targets[owner];
    }
    return firstAvailable < 0 ? undefined : this.#targets[firstAvailable];
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
  return new ConsistentHashBalancer(targets, options);
}

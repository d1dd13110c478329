// ip_hash: the client ip (ctx.key) picks the target, so a client keeps hitting the same backend.
// The key's hash indexes the targets' weight space (a weight-3 target owns three slots). When that
// target is unavailable the key is rehashed, up to MAX_REHASH times, and after that the targets are
// walked in order from the last probe. Every step depends only on the key, the targets (ordered by
// id, so the order they were listed in does not matter) and which are available, so every data
// plane makes the same choice. Without a key this is plain round robin.
import type { Balancer, BalancerOptions, BalancerTarget, PickContext } from './balancer.js';
import { effectiveWeight } from './common.js';
import { hash32, rehash32 } from './hash.js';
import { RoundRobinBalancer } from './round-robin.js';

const MAX_REHASH = 20;

export class IpHashBalancer<T extends BalancerTarget> implements Balancer<T> {
  readonly #targets: readonly T[];
  /** #ends[i] = sum of the weights of targets 0..i (exclusive upper bound of target i's slots). */
  readonly #ends: readonly number[];
  readonly #totalWeight: number;
  readonly #fallback: RoundRobinBalancer<T>;

  constructor(targets: readonly T[]) {
    this.#targets = [...targets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let sum = 0;
    this.#ends = this.#targets.map((t) => (sum += effectiveWeight(t)));
    this.#totalWeight = sum;
    this.#fallback = new RoundRobinBalancer(targets);
  }

  pick(ctx: PickContext<T>): T | undefined {
    const key = ctx.key;
    if (key === undefined || key === '') return this.#fallback.pick(ctx);
    const n = this.#targets.length;
    if (n === 0) return undefined;

    // 0 = not asked yet, 1 = available, 2 = unavailable: each target is asked at most once.
    const seen = new Uint8Array(n);
    let unavailable = 0;
    const tryIndex = (i: number): boolean => {
      if (seen[i] === 0) {
        seen[i] = ctx.isAvailable(this.#targets[i]!) ? 1 : 2;
        if (seen[i] === 2) unavailable++;
      }
      return seen[i] === 1;
    };

    let h = hash32(key);
    let index = this.#slotOwner(h % this.#totalWeight);
    for (let attempt = 0; ; attempt++) {
      if (tryIndex(index)) return this.#targets[index];
      if (unavailable === n || attempt >= MAX_REHASH) break;
      h = rehash32(h, attempt);
      index = this.#slotOwner(h % this.#totalWeight);
    }
    for (let step = 1; step < n && unavailable < n; step++) {
      const i = (index + step) % n;
      if (tryIndex(i)) return this.#targets[i];
    }
    return undefined;
  }

  /** The target owning weight slot `slot` (binary search over the cumulative weights). */
  #slotOwner(slot: number): number {
    let lo = 0;
    let hi = this.#ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ends[mid]! > slot) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

export function createIpHash<T extends BalancerTarget>(targets: readonly T[], _options: BalancerOptions = {}): Balancer<T> {
  return new IpHashBalancer(targets);
}

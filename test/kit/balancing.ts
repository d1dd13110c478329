// The shared kit for balancer and selector tests: one way to describe the moment of a pick
// (who is down, who carries what, the hash key), scripted randomness, and pick sequences as strings
// ("aabacaa") so a table can assert a whole cycle at once.
import type { Balancer, BalancerTarget, PickContext } from '../../dataplane/balancers/balancer.js';

export interface PickMoment<T extends BalancerTarget> {
  /** Ids that are not available: a string of one-letter ids ("bc") or a list. */
  down?: string | readonly string[];
  /** In-flight load per id (absent = 0). */
  loads?: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
  key?: string;
  /** Availability by predicate, when `down` is not enough. */
  available?: (t: T) => boolean;
}

/** A PickContext for `m`: available unless listed in `down` (or refused by `available`). */
export function pickContext<T extends BalancerTarget>(m: PickMoment<T> = {}): PickContext<T> {
  const down = m.down ?? '';
  const loads = m.loads;
  const loadOf = (id: string): number => (loads === undefined ? 0 : loads instanceof Map ? (loads.get(id) ?? 0) : ((loads as Record<string, number>)[id] ?? 0));
  return {
    isAvailable: (t) => !(typeof down === 'string' ? t.id.length === 1 && down.includes(t.id) : down.includes(t.id)) && (m.available?.(t) ?? true),
    load: (t) => loadOf(t.id),
    key: m.key,
  };
}

/** A random() that returns `values` in turn, cycling; `calls()` says how often it was drawn. */
export function scripted(values: readonly number[]): (() => number) & { calls(): number } {
  let i = 0;
  return Object.assign(() => values[i++ % values.length]!, { calls: () => i });
}

/** A deterministic uniform [0, 1) stream from `seed` (mulberry32): many draws, same every run. */
export function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` picks as one string of ids, '-' where nothing was picked. */
export function picks<T extends BalancerTarget>(b: Balancer<T>, n: number, ctx: PickContext<T> = pickContext()): string {
  return Array.from({ length: n }, () => b.pick(ctx)?.id ?? '-').join('');
}

/** Targets of weight 1 named by the letters of `ids`. */
export function equal(ids: string): BalancerTarget[] {
  return [...ids].map((id) => ({ id, weight: 1 }));
}

/** Targets a, b, c... with the given weights. */
export function weighted(weights: readonly number[]): BalancerTarget[] {
  return weights.map((weight, i) => ({ id: 'abcdefghij'[i]!, weight }));
}

// Quantiles of a cumulative latency histogram (bucket counts with upper bounds, as the data planes
// report them).

/**
 * Quantile estimate from histogram buckets, linear within the bucket. Example: counts [0, 10, 0]
 * with bounds [1, 2] ms, q = 0.5 → rank 5 falls in the second bucket (1–2 ms), halfway → 1.5 ms.
 */
export function quantile(buckets: readonly number[], bounds: readonly number[], q: number): number {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const c = buckets[i] ?? 0;
    if (c > 0 && seen + c >= rank) {
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      const upper = bounds[i] ?? lower * 2;
      return lower + ((rank - seen) / c) * (upper - lower);
    }
    seen += c;
  }
  return bounds.at(-1) ?? 0;
}

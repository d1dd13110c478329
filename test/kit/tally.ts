// Counting outcomes so a whole distribution is asserted at once: { a: 10, b: 10 }.

/** How often each value occurs. */
export function tally(values: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

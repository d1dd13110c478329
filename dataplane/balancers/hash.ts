// Shared non-cryptographic hashing for the hash-based balancers.
// Every data plane must map the same key to the same backend, so these functions depend only on
// their input: no seeds, no process state, no platform byte order.

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a, 32-bit, over the UTF-8 bytes of `s` (lone surrogates encode as U+FFFD, like TextEncoder).
 * `state` continues an earlier hash: fnv1a32(b, fnv1a32(a)) === fnv1a32(a + b).
 */
export function fnv1a32(s: string, state: number = FNV_OFFSET_BASIS): number {
  let h = state;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, FNV_PRIME);
      continue;
    }
    if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), FNV_PRIME);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        h = Math.imul(h ^ (0xf0 | (cp >> 18)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((cp >> 12) & 0x3f)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((cp >> 6) & 0x3f)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | (cp & 0x3f)), FNV_PRIME);
        continue;
      }
      c = 0xfffd;
    }
    h = Math.imul(h ^ (0xe0 | (c >> 12)), FNV_PRIME);
    h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), FNV_PRIME);
    h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit finalizer: spreads every input bit over the whole output. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The hash the balancers use: FNV-1a followed by an avalanche step, so near-identical inputs
 * ("a#1", "a#2", "10.0.0.7", "10.0.0.8") land far apart. Unsigned 32-bit result.
 */
export function hash32(s: string): number {
  return mix32(fnv1a32(s));
}

/** A further, independent-looking hash of `h` for probe number `attempt` (rehashing). */
export function rehash32(h: number, attempt: number): number {
  return mix32((h ^ Math.imul(attempt + 1, 0x9e3779b9)) >>> 0);
}

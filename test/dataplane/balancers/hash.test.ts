import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fnv1a32, hash32, mix32, rehash32 } from '../../../dataplane/balancers/hash.js';

// Byte-wise FNV-1a as a reference for the UTF-8 handling of fnv1a32.
function referenceFnv(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

describe('hash', () => {
  const vectors: Array<[input: string, expected: number]> = [
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ];
  for (const [input, expected] of vectors) {
    it(`FNV-1a 32 of ${JSON.stringify(input)} matches the published value`, () => assert.equal(fnv1a32(input), expected));
  }

  for (const s of ['10.0.0.1', '2001:db8::1', 'é', '€uro', '😀 emoji', 'mixed ascii/ü/中文/🎉', 'lone \ud800 surrogate']) {
    it(`hashes the UTF-8 bytes of ${JSON.stringify(s)}`, () => {
      assert.equal(fnv1a32(s), referenceFnv(new TextEncoder().encode(s)));
    });
  }

  it('is a fixed function of its input (values every data plane must agree on)', () => {
    // Pinned so a change to the hash, which would reshuffle every sticky client, fails loudly.
    assert.equal(hash32('a'), 0x1a80b1b3);
    assert.equal(hash32('10.0.0.1'), 0xaebc85ae);
    assert.equal(hash32('10.0.0.1'), mix32(fnv1a32('10.0.0.1')));
  });

  it('continues a hash from a saved state', () => {
    for (const [a, b] of [['backend#', '159'], ['', 'x'], ['é', '€'], ['pool/http://h:80#', '0']]) {
      assert.equal(fnv1a32(b!, fnv1a32(a!)), fnv1a32(a! + b!));
    }
  });

  it('returns unsigned 32-bit integers', () => {
    for (let i = 0; i < 1000; i++) {
      for (const h of [hash32(`k${i}`), rehash32(hash32(`k${i}`), i)]) {
        assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff, String(h));
      }
    }
  });

  it('spreads near-identical keys over the whole range', () => {
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 16000; i++) buckets[hash32(`10.0.${i >> 8}.${i & 255}`) >>> 28]!++;
    for (const n of buckets) assert.ok(n > 800 && n < 1200, `bucket count ${n}`);
  });
});

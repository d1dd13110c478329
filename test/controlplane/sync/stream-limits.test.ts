// Which hellos the control plane admits: bounded sizes, no control characters.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkHello, SYNC_LIMITS } from '../../../controlplane/sync/stream-limits.js';
import type { Hello__Output } from '../../../proto/gen/golb/v1/Hello.js';

const ok: Hello__Output = { id: 'dp-1', hostname: 'node-a.example', software_version: '0.1.0', labels: { zone: 'a' }, traffic_address: '0.0.0.0:8080', current_version: '', started_unix_ms: '1764640000000', cached_since_unix_ms: '0' };

describe('checkHello', () => {
  const table: Array<[string, Partial<Hello__Output>, RegExp | undefined]> = [
    ['a data plane hello', {}, undefined],
    ['an empty id (the control plane names it)', { id: '' }, undefined],
    ['a nanoid', { id: 'V1StGXR8_Z' }, undefined],
    ['a pod name', { id: 'golb-dataplane-7d9f8.default' }, undefined],
    ['an id with a space', { id: 'dp 1' }, /id must be/],
    ['an id with a newline', { id: 'dp\n1' }, /id must be/],
    ['an id one character too long', { id: 'x'.repeat(SYNC_LIMITS.idChars + 1) }, /id must be/],
    ['a hostname too long', { hostname: 'h'.repeat(SYNC_LIMITS.hostnameChars + 1) }, /hostname is longer/],
    ['a hostname with a carriage return', { hostname: 'a\rb' }, /hostname must not contain control/],
    ['a version too long', { current_version: 'v'.repeat(SYNC_LIMITS.versionChars + 1) }, /current_version is longer/],
    ['a start time that is not a number', { started_unix_ms: '-5' }, /started_unix_ms/],
    ['too many labels', { labels: Object.fromEntries(Array.from({ length: SYNC_LIMITS.labels + 1 }, (_, i) => [`k${i}`, 'v'])) }, /at most 64 labels/],
    ['a label value too long', { labels: { k: 'v'.repeat(SYNC_LIMITS.labelValueChars + 1) } }, /label key is at most/],
    ['a label with a newline', { labels: { k: 'a\nb' } }, /control characters/],
  ];
  for (const [what, change, expected] of table) {
    it(`${expected ? 'refuses' : 'admits'} ${what}`, () => {
      const problem = checkHello({ ...ok, ...change });
      if (expected) assert.match(problem ?? '', expected);
      else assert.equal(problem, undefined);
    });
  }
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GenerationFence } from '../../../dataplane/sync/generation-fence.js';

describe('GenerationFence', () => {
  it('lets the first snapshot through, whatever its generation', () => {
    assert.equal(new GenerationFence().refusal('7', 'v7'), undefined);
  });

  it('refuses a lower generation than the one applied, and names both', () => {
    const fence = new GenerationFence();
    fence.applied('8', 'v8');
    assert.match(fence.refusal('5', 'v5') ?? '', /^generation 5 is older than generation 8 running here: refusing to roll back/);
    assert.equal(fence.generation, '8');
  });

  it('takes higher generations, and the same generation with the same version (a re-push)', () => {
    const fence = new GenerationFence();
    fence.applied('8', 'v8');
    assert.equal(fence.refusal('8', 'v8'), undefined);
    assert.equal(fence.refusal('9', 'v9'), undefined);
    fence.applied('9', 'v9');
    assert.match(fence.refusal('8', 'v8') ?? '', /generation 8 is older than generation 9/);
  });

  it('refuses a different config under the generation already running', () => {
    const fence = new GenerationFence();
    fence.applied('8', 'v8');
    assert.match(fence.refusal('8', 'other') ?? '', /generation 8 already runs here with version v8, not other/);
  });

  it('compares as integers beyond 2^53, not as strings', () => {
    const fence = new GenerationFence();
    fence.applied('18014398509481985', 'a');
    assert.equal(fence.refusal('18014398509481986', 'b'), undefined);
    assert.match(fence.refusal('9', 'c') ?? '', /older/);
  });

  it('lets unfenced snapshots (generation 0) through without lowering the fence', () => {
    const fence = new GenerationFence();
    fence.applied('8', 'v8');
    assert.equal(fence.refusal('0', 'legacy'), undefined);
    fence.applied('0', 'legacy');
    assert.equal(fence.generation, '8');
  });
});

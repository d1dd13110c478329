// The kit's own contract: steady load stays bounded and reports every outcome; passMark waits for
// requests that started after the mark; the manual clock fires timers only when told, in order.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from './manual-clock.js';
import { steadyLoad } from './steady-load.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('steadyLoad', () => {
  it('stops by itself at maxRequests and reports passes, failures with reasons, and throws', async () => {
    const load = steadyLoad(
      async (i) => {
        await tick();
        if (i % 5 === 4) throw new Error(`refused ${i}`);
        return i;
      },
      { clients: 3, maxRequests: 10, check: (i) => (i % 5 === 3 ? `odd one ${i}` : undefined) },
    );
    const outcomes = await load.done;
    assert.equal(outcomes.results.length + 2, 10, 'every request settled; the two that threw have no result');
    assert.equal(outcomes.ok, 6);
    assert.deepEqual([...outcomes.failed].sort(), ['odd one 3', 'odd one 8', 'refused 4', 'refused 9']);
    assert.deepEqual(await load.stop(), outcomes, 'stop after the bound returns the same outcomes');
  });

  it('stops by itself at maxMs', async () => {
    const load = steadyLoad(async () => tick(), { clients: 2, maxMs: 50 });
    const outcomes = await load.done;
    assert.ok(outcomes.ranMs >= 50 && outcomes.ok > 0, `ran ${outcomes.ranMs} ms, ${outcomes.ok} requests`);
  });

  it('passMark waits for requests that started after the mark, and fails if the load ends first', async () => {
    let gate = 0;
    const load = steadyLoad(async () => {
      await new Promise((r) => setTimeout(r, 1));
      return gate;
    }, { clients: 2, maxRequests: 5000 });
    await load.passMark('warm-up', 4);
    gate = 1;
    await load.passMark('the gate opened', 6);
    // Requests in flight at the mark may still carry 0; the last six settled all started after it.
    assert.deepEqual(load.outcomes.results.slice(-6), [1, 1, 1, 1, 1, 1]);
    await load.stop();
    await assert.rejects(load.passMark('after the end'), /load stopped before/);
  });
});

describe('ManualClock', () => {
  it('fires due timers one at a time in time order, never on its own, and skips cleared ones', async () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimer(() => fired.push('b'), 200);
    const cleared = clock.setTimer(() => fired.push('x'), 50);
    clock.setTimer(() => fired.push('a'), 100);
    clock.clearTimer(cleared);
    await tick();
    assert.deepEqual(fired, [], 'nothing fires by itself');
    assert.equal(clock.pending, 2);
    assert.equal(clock.fireNext(), true);
    assert.deepEqual([fired, clock.now()], [['a'], 100]);
    assert.equal(clock.fireNext(), true);
    assert.deepEqual([fired, clock.now()], [['a', 'b'], 200]);
    assert.equal(clock.fireNext(), false);
    assert.equal(clock.scheduled, 3);
  });
});

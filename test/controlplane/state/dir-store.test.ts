import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirStore } from '../../../controlplane/state/dir-store.js';
import { StateStoreError, type OperatorState } from '../../../controlplane/state/state-store.js';

const root = mkdtempSync(join(tmpdir(), 'golb-dirstore-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `s${n++}`);

const sample: OperatorState = {
  generation: 42,
  config: { text: 'backend http://127.0.0.1:9\n', source: 'other.conf', appliedAtUnixMs: 1_700_000_000_000 },
  admin: { 'default/127.0.0.1:9': { state: 'DRAINING', deadline: 1_700_000_030_000 }, 'default/127.0.0.1:10': { state: 'MAINTENANCE' } },
};

describe('DirStore', async () => {
  it('loads nothing from a new directory, and creates it', async () => {
    const dir = freshDir();
    assert.equal(await new DirStore(dir).load(), undefined);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('gives back exactly what was saved, from a new instance (as after a restart)', async () => {
    const dir = freshDir();
    await new DirStore(dir).save(sample);
    assert.deepEqual(await new DirStore(dir).load(), sample);
  });

  it('replaces the state whole and leaves no temp file behind', async () => {
    const dir = freshDir();
    const store = new DirStore(dir);
    await store.save(sample);
    await store.save({ generation: 43, admin: {} });
    assert.deepEqual(await store.load(), { generation: 43, admin: {} });
    assert.deepEqual(readdirSync(dir), ['state.json']);
  });

  it('keeps the old state when a write fails, and says why', async () => {
    const dir = freshDir();
    const store = new DirStore(dir);
    await store.save(sample);
    // A directory where the temp file goes makes the write fail, even for root.
    const blocker = join(dir, `.state.json.${process.pid}.tmp`);
    mkdirSync(blocker);
    await assert.rejects(store.save({ generation: 43, admin: {} }), (err: Error) => err instanceof StateStoreError && /cannot write .*state\.json: EISDIR; the change was not applied/.test(err.message));
    rmSync(blocker, { recursive: true });
    assert.deepEqual(await store.load(), sample);
  });

  it('refuses a damaged state file at load, naming it', async () => {
    const dir = freshDir();
    await new DirStore(dir).save(sample);
    writeFileSync(join(dir, 'state.json'), readFileSync(join(dir, 'state.json'), 'utf8').slice(0, 20));
    await assert.rejects(new DirStore(dir).load(), /state\.json is not valid JSON/);
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ generation: 1, admin: { x: { state: 'DRAINING' } } }));
    await assert.rejects(new DirStore(dir).load(), /admin state of x must be DRAINING with a deadline or MAINTENANCE/);
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ generation: -1, admin: {} }));
    await assert.rejects(new DirStore(dir).load(), /generation must be a non-negative integer/);
  });
});

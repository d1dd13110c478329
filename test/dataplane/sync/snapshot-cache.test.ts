import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../../../proto/index.js';
import { SnapshotCache } from '../../../dataplane/sync/snapshot-cache.js';

const root = mkdtempSync(join(tmpdir(), 'golb-snapcache-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `c${n++}`);
const snapshot = { version: 'abc', generation: '7', pools: [], routes: [], default_pool: '', cookie: null, trusted_proxies: [], limits: null, source: 'x' } as unknown as Snapshot;

describe('SnapshotCache', () => {
  it('has nothing in a new directory, and says nothing about it', () => {
    const reasons: string[] = [];
    assert.equal(new SnapshotCache(freshDir()).load((r) => reasons.push(r)), undefined);
    assert.deepEqual(reasons, []);
  });

  it('gives back the snapshot saved, with when, from a new instance; the file is private', () => {
    const dir = freshDir();
    new SnapshotCache(dir).save(snapshot, 1_700_000_000_000);
    assert.deepEqual(new SnapshotCache(dir).load(() => {}), { snapshot, savedAtUnixMs: 1_700_000_000_000 });
    assert.equal(statSync(join(dir, 'snapshot.json')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['snapshot.json']);
  });

  it('ignores a damaged cache, saying why', () => {
    const dir = freshDir();
    const cache = new SnapshotCache(dir);
    writeFileSync(join(dir, 'snapshot.json'), '{"snapshot": ');
    const reasons: string[] = [];
    assert.equal(cache.load((r) => reasons.push(r)), undefined);
    assert.match(reasons[0] ?? '', /cannot read .*snapshot\.json/);
    writeFileSync(join(dir, 'snapshot.json'), '{"snapshot": {}}');
    assert.equal(cache.load((r) => reasons.push(r)), undefined);
    assert.match(reasons[1] ?? '', /snapshot\.json does not hold a snapshot/);
  });
});

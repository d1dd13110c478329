import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../../proto/index.js';
import { parseConfig } from '../../../controlplane/config/load-config.js';
import { buildSnapshot } from '../../../controlplane/snapshot/build-snapshot.js';
import { diffSnapshots, toConfigDiff, type SnapshotDiff } from '../../../controlplane/snapshot/diff.js';
import { diffLines, diffSummary } from '../../../proto/config-diff.js';

const lines = (d: SnapshotDiff) => diffLines(toConfigDiff(d));

function snap(lines: string[]): Snapshot {
  const r = parseConfig(lines.join('\n'), 'test.conf', { env: {} });
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return buildSnapshot(r.config, { cookieSecret: 's' });
}

const base = [
  'backend http://127.0.0.1:8001',
  'backend http://127.0.0.1:9001 pool=api weight=3',
  'backend http://127.0.0.1:9002 pool=api',
  'route /api/* backend_pool=api',
  'route /health backend_pool=default',
];

describe('diffSnapshots / diffLines', () => {
  it('has no lines for equal snapshots, even with lines moved', () => {
    const a = snap(base);
    const b = snap(['# comment', base[2]!, base[1]!, base[0]!, base[3]!, base[4]!]);
    assert.deepEqual(lines(diffSnapshots(a, b)), []);
    assert.equal(diffSummary(toConfigDiff(diffSnapshots(a, b))), 'no pool, backend or route changes');
  });

  it('reports added and removed backends and weight changes', () => {
    const a = snap(base);
    const b = snap([base[0]!, base[1]!.replace('weight=3', 'weight=5'), 'backend http://127.0.0.1:9003 pool=api', base[3]!, base[4]!]);
    const d = diffSnapshots(a, b);
    assert.deepEqual(d.backendsAdded, ['api/127.0.0.1:9003']);
    assert.deepEqual(d.backendsRemoved, ['api/127.0.0.1:9002']);
    assert.deepEqual(d.weightsChanged, [{ id: 'api/127.0.0.1:9001', from: 3, to: 5 }]);
    assert.deepEqual(d.poolsChanged, []);
    assert.deepEqual(lines(d), ['+ backend api/127.0.0.1:9003', '- backend api/127.0.0.1:9002', '~ backend api/127.0.0.1:9001 weight 3 → 5']);
    assert.equal(diffSummary(toConfigDiff(d)), '1 backend added, 1 backend removed, 1 backend changed');
  });

  it('reports pools added, removed and changed', () => {
    const a = snap([...base, 'backend http://127.0.0.1:7001 pool=old']);
    const b = snap([...base, 'backend http://127.0.0.1:7002 pool=new', 'pool api method=random']);
    const d = diffSnapshots(a, b);
    assert.deepEqual([d.poolsAdded, d.poolsRemoved, d.poolsChanged], [['new'], ['old'], ['api']]);
    assert.deepEqual(d.backendsAdded, ['new/127.0.0.1:7002']);
    assert.deepEqual(d.backendsRemoved, ['old/127.0.0.1:7001']);
    assert.deepEqual(lines(d), [
      '+ pool new',
      '- pool old',
      '~ pool api',
      '+ backend new/127.0.0.1:7002',
      '- backend old/127.0.0.1:7001',
    ]);
  });

  it('a backend change other than weight (backup, down) marks its pool changed', () => {
    const d = diffSnapshots(snap(base), snap([base[0]!, base[1]!, `${base[2]!} backup`, base[3]!, base[4]!]));
    assert.deepEqual(d.poolsChanged, ['api']);
  });

  it('reports routes added, removed, re-pointed and reordered', () => {
    const a = snap(base);
    const b = snap([...base.slice(0, 3), 'route /health backend_pool=api', 'route ~^/v[0-9]+/ backend_pool=api']);
    const d = diffSnapshots(a, b);
    assert.deepEqual(d.routesAdded, ['~^/v[0-9]+/ → api']);
    assert.deepEqual(d.routesRemoved, ['/api/* → api']);
    assert.deepEqual(d.routesChanged, ['/health → api']);
    assert.deepEqual(lines(d), ['+ route ~^/v[0-9]+/ → api', '- route /api/* → api', '~ route /health → api']);
    const swapped = diffSnapshots(a, snap([...base.slice(0, 3), base[4]!, base[3]!]));
    assert.deepEqual(swapped.routesChanged, ['/health → default', '/api/* → api']);
  });

  it('reports other settings and treats a first snapshot as all added', () => {
    const a = snap(base);
    assert.deepEqual(lines(diffSnapshots(a, snap([...base, 'cookie ttl=1h', 'default_backend api']))), ['~ setting default_pool', '~ setting cookie']);
    const first = diffSnapshots(undefined, a);
    assert.deepEqual(first.poolsAdded, ['api', 'default']);
    assert.deepEqual(first.backendsAdded, ['api/127.0.0.1:9001', 'api/127.0.0.1:9002', 'default/127.0.0.1:8001']);
    assert.deepEqual(first.routesAdded, ['/api/* → api', '/health → default']);
  });
});

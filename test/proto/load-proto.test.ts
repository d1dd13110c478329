import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadProto } from '../../proto/index.js';

describe('loadProto', () => {
  it('exposes the Sync and Admin services with their methods', () => {
    const pkg = loadProto();
    assert.deepEqual(Object.keys(pkg.golb.v1.Sync.service), ['Stream']);
    assert.deepEqual(Object.keys(pkg.golb.v1.Admin.service).sort(), [
      'Drain', 'GetConfig', 'GetDrainStatus', 'GetHealth', 'GetStats', 'ListDataPlanes', 'Reload', 'Undrain', 'Validate',
    ]);
  });
});

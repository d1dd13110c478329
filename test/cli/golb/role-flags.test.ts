import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { misplacedFlag, OPTIONS, ROLE_FLAGS } from '../../../cli/golb/role-flags.js';

describe('misplacedFlag', () => {
  it('accepts every flag a role lists', () => {
    for (const role of ['all', 'controlplane', 'dataplane'] as const) assert.equal(misplacedFlag(role, ROLE_FLAGS[role]), undefined);
  });
  it('names the flag, the role, and the roles it belongs to', () => {
    assert.equal(misplacedFlag('controlplane', ['config', 'port']), '--port does not apply to golb controlplane (it is a flag of golb (all-in-one) and golb dataplane)');
    assert.equal(misplacedFlag('dataplane', ['workers']), '--workers does not apply to golb dataplane (it is a flag of golb (all-in-one))');
  });
  it('gives every known flag to at least one role', () => {
    for (const flag of Object.keys(OPTIONS)) assert.ok(Object.values(ROLE_FLAGS).some((s) => s.has(flag as keyof typeof OPTIONS)), flag);
  });
});

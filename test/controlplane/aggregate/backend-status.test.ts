import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backendStatus } from '../../../controlplane/aggregate/backend-status.js';

describe('backendStatus', () => {
  const cases: Array<[admin: 'ready' | 'draining' | 'maintenance', healthyOn: number, reporting: number, expected: string]> = [
    ['ready', 0, 0, 'up'],
    ['ready', 3, 3, 'up'],
    ['ready', 2, 3, 'degraded'],
    ['ready', 0, 3, 'down'],
    ['draining', 3, 3, 'draining'],
    ['draining', 1, 3, 'draining'],
    ['draining', 0, 3, 'down'],
    ['maintenance', 3, 3, 'maintenance'],
    ['maintenance', 0, 3, 'maintenance'],
  ];
  for (const [admin, healthyOn, reporting, expected] of cases) {
    it(`${admin}, healthy on ${healthyOn} of ${reporting} data planes → ${expected}`, () => {
      assert.equal(backendStatus(admin, healthyOn, reporting), expected);
    });
  }
});

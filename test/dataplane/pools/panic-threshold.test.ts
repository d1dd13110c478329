// The panic decision over a table of pools: ready/healthy primaries, backups, admin states.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backend } from '../../../dataplane/pools/backend.js';
import { BackendState } from '../../../dataplane/pools/backend-state.js';
import { isInPanic } from '../../../dataplane/pools/panic-threshold.js';
import type { AdminState } from '../../../proto/index.js';

/** h = healthy ready, u = unhealthy ready, d = draining (unhealthy), m = maintenance (healthy). */
function backends(codes: string, backup = false): Backend[] {
  return [...codes].map((c, i) => {
    const id = `p/127.0.0.1:${i + 1}${backup ? '0' : ''}`;
    const state = new BackendState(id, 'p', `http://${id.slice(2)}`);
    state.activeHealthy = c === 'h' || c === 'm';
    const admin: AdminState = c === 'd' ? 'DRAINING' : c === 'm' ? 'MAINTENANCE' : 'READY';
    return new Backend(
      { id, url: `http://${id.slice(2)}`, weight: 1, max_connections: 0, admin_state: admin, drain_deadline_unix_ms: '0', backup, discovered_from: '' },
      state,
    );
  });
}

describe('isInPanic', () => {
  const table: Array<{ primaries: string; backups?: string; threshold: number; panic: boolean; why: string }> = [
    { primaries: 'huu', threshold: 0, panic: false, why: 'threshold 0 is off' },
    { primaries: 'uuu', threshold: 0, panic: false, why: 'off even with nothing healthy' },
    { primaries: 'huu', threshold: 50, panic: true, why: '1 of 3 = 33 % < 50 %' },
    { primaries: 'hhu', threshold: 50, panic: false, why: '2 of 3 = 67 %' },
    { primaries: 'hu', threshold: 50, panic: false, why: '1 of 2 = 50 % is not below 50 %' },
    { primaries: 'uu', threshold: 50, panic: true, why: 'none healthy' },
    { primaries: 'u', threshold: 1, panic: true, why: 'a lone unhealthy backend' },
    { primaries: 'hhhu', threshold: 100, panic: true, why: '100 %: any unhealthy primary' },
    { primaries: 'hhhh', threshold: 100, panic: false, why: 'all healthy' },
    { primaries: 'hmm', threshold: 50, panic: false, why: 'maintenance counts nowhere: 1 of 1 ready' },
    { primaries: 'udd', threshold: 50, panic: true, why: 'draining counts nowhere: 0 of 1 ready' },
    { primaries: 'mm', threshold: 50, panic: false, why: 'no ready primary: nothing to panic over' },
    { primaries: 'huu', backups: 'h', threshold: 50, panic: false, why: 'a healthy backup wins over panic' },
    { primaries: 'huu', backups: 'u', threshold: 50, panic: true, why: 'an unhealthy backup does not' },
    { primaries: 'huu', backups: 'm', threshold: 50, panic: true, why: 'nor one in maintenance' },
  ];
  for (const row of table) {
    it(`${row.primaries}${row.backups ? ` + backup ${row.backups}` : ''} at ${row.threshold} %: ${row.panic ? 'panic' : 'no panic'} (${row.why})`, () => {
      assert.equal(isInPanic(backends(row.primaries), backends(row.backups ?? '', true), row.threshold, Date.now()), row.panic);
    });
  }
});

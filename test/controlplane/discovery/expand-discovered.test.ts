import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../controlplane/config/load-config.js';
import { endpointKey, type Member } from '../../../controlplane/discovery/endpoint-set.js';
import { expandDiscovered } from '../../../controlplane/discovery/expand-discovered.js';
import { buildSnapshot } from '../../../controlplane/snapshot/build-snapshot.js';

function config(text: string) {
  const r = parseConfig(text, 'test.conf', { env: {} });
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  return r.config;
}
const m = (address: string, port: number, goneAtMs: number | null = null, weight = 1, backup = false): Member => ({ address, port, weight, backup, goneAtMs });
const byKey = (...list: Member[]) => new Map(list.map((x) => [endpointKey(x.address, x.port), x]));

describe('expandDiscovered', () => {
  it('makes each address a backend with the declared weight, a stable id, its origin and a drain deadline when gone; a written address wins', () => {
    const c = config('backend http://127.0.0.1:8080 pool=api\nbackend http://app.test:8080 pool=api discover=dns weight=3 max_conn=9\n');
    const out = expandDiscovered(c, () => byKey(m('10.0.0.2', 8080), m('127.0.0.1', 8080), m('fd00::1', 8080, 1000)), 30_000);
    const snap = buildSnapshot(out, { cookieSecret: 'x' });
    assert.deepEqual(
      snap.pools[0]!.backends.map((b) => [b.id, b.url, b.weight, b.max_connections, b.admin_state, b.drain_deadline_unix_ms, b.discovered_from]),
      [
        ['api/10.0.0.2:8080', 'http://10.0.0.2:8080', 3, 9, 'READY', '0', 'dns:app.test'],
        ['api/127.0.0.1:8080', 'http://127.0.0.1:8080', 1, 0, 'READY', '0', ''],
        ['api/[fd00::1]:8080', 'http://[fd00::1]:8080', 3, 9, 'DRAINING', '31000', 'dns:app.test'],
      ],
    );
  });

  it('takes SRV ports, weights and backups from the records', () => {
    const c = config('backend https://_http._tcp.app.test discover=srv\n');
    const out = expandDiscovered(c, () => byKey(m('10.0.0.2', 8443, null, 60), m('10.0.0.3', 9443, null, 5, true)), 30_000);
    const snap = buildSnapshot(out, { cookieSecret: 'x' });
    assert.deepEqual(
      snap.pools[0]!.backends.map((b) => [b.id, b.weight, b.backup, b.discovered_from]),
      [
        ['default/https://10.0.0.2:8443', 60, false, 'srv:_http._tcp.app.test'],
        ['default/https://10.0.0.3:9443', 5, true, 'srv:_http._tcp.app.test'],
      ],
    );
  });

  it('never puts the name itself in a snapshot, even before anything resolved', () => {
    const snap = buildSnapshot(config('backend http://app.test:8080 discover=dns\n'), { cookieSecret: 'x' });
    assert.deepEqual(snap.pools[0]!.backends, []);
  });
});

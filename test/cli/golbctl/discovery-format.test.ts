import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderHealth } from '../../../cli/commands/health.js';
import { backendLabel, renderDiscovery } from '../../../cli/golbctl/discovery-format.js';

const status = (o: Partial<Parameters<typeof renderDiscovery>[0][number]>) => ({
  pool: 'app',
  mode: 'dns',
  name: 'app.internal',
  addresses: 2,
  draining: 0,
  error: '',
  error_since_unix_ms: '0',
  last_ok_unix_ms: '1000',
  empty_at_unix_ms: '0',
  ...o,
});

describe('golbctl discovery view', () => {
  const now = 100_000;
  it('shows nothing when no backend is discovered', () => assert.equal(renderDiscovery([], now, false), ''));

  it('shows each name, its addresses and its state', () => {
    const out = renderDiscovery(
      [
        status({}),
        status({ name: 'api.internal', error: 'api.internal: SERVFAIL', error_since_unix_ms: String(now - 5000), draining: 1 }),
        status({ name: 'old.internal', error: 'old.internal: NXDOMAIN (no such name)', empty_at_unix_ms: String(now + 30_000) }),
      ],
      now,
      false,
    );
    const lines = out.split('\n');
    assert.match(lines[0]!, /POOL\s+DISCOVERED FROM\s+ADDRESSES\s+DNS/);
    assert.match(out, /app\s+dns:app\.internal\s+2\s+resolving/);
    assert.match(out, /dns:api\.internal\s+2 \(1 draining\)\s+api\.internal: SERVFAIL since .*keeping last addresses/);
    assert.match(out, /old\.internal: NXDOMAIN \(no such name\).*pool empties in 30s/);
  });

  it('labels a discovered backend with its origin in golbctl health', () => {
    assert.equal(backendLabel('http://10.0.0.1:80', 'dns:app.internal'), 'http://10.0.0.1:80 via dns:app.internal');
    assert.equal(backendLabel('http://10.0.0.1:80', ''), 'http://10.0.0.1:80');
    const out = renderHealth(
      {
        version: 'v1',
        backends: [{ id: 'app/10.0.0.1:80', url: 'http://10.0.0.1:80', pool: 'app', admin_state: 'ready', healthy_on: 1, dataplanes: 1, per_dataplane: [], discovered_from: 'dns:app.internal' }],
        discovery: [status({})],
      },
      now,
      false,
    );
    assert.match(out, /http:\/\/10\.0\.0\.1:80 via dns:app\.internal/);
    assert.match(out, /DISCOVERED FROM/);
  });
});

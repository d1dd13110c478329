import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatConfigError } from '../../../controlplane/config/errors.js';
import { loadConfigFile } from '../../../controlplane/config/load-config.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const confFiles = ['conf', join('conf', 'examples')].flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.conf'))
    .map((f) => join(dir, f)),
);

describe('shipped config files', () => {
  it('include the demo and the examples', () => {
    for (const f of ['loadbalancer.conf', 'path-routing.conf', 'cookie-persistence.conf', 'consistent-hash.conf', 'block-form.conf', 'flat-form.conf', 'health-and-timeouts.conf']) {
      assert.ok(confFiles.some((c) => c.endsWith(f)), f);
    }
  });

  for (const file of confFiles) {
    it(`${file} parses with no errors and no warnings`, async () => {
      const r = await loadConfigFile(join(root, file));
      const problems = [...(r.ok ? [] : r.errors), ...r.warnings].map(formatConfigError);
      assert.deepEqual(problems, []);
      assert.ok(r.ok);
    });
  }

  it('the demo is weighted round robin 5:3:1 with cookie persistence and /health checks every 2s', async () => {
    const r = await loadConfigFile(join(root, 'conf', 'loadbalancer.conf'));
    assert.ok(r.ok);
    const c = r.config;
    assert.equal(c.algorithm, 'weighted_round_robin');
    assert.equal(c.persistence, 'cookie');
    assert.equal(c.defaultPool, 'default');
    assert.deepEqual(
      c.pools.map((p) => [p.name, p.backends.map((b) => [b.url, b.weight])]),
      [['default', [['http://127.0.0.1:8001', 5], ['http://127.0.0.1:8002', 3], ['http://127.0.0.1:8003', 1]]]],
    );
    assert.equal(c.pools[0]!.healthCheck.path, '/health');
    assert.equal(c.pools[0]!.healthCheck.intervalMs, 2000);
  });
});

// A control plane with --state-dir forgets nothing when it is killed with SIGKILL: the drains set
// through golbctl (Admin gRPC) and the config pushed with `golbctl reload FILE` are back after a
// restart, and the data plane connected to the restarted control plane obeys them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDataPlane, type DataPlane } from '../../dataplane/data-plane.js';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { adminClient, type AdminClient } from '../helpers/admin-client.js';
import { request, tally } from '../helpers/cluster.js';
import { startControlPlaneProcess, type GolbProcess } from '../helpers/golb-process.js';

const roundRobin = (urls: string[]) => `method round_robin\n${urls.map((u) => `backend ${u}`).join('\n')}\n`;

describe('a control plane with a state dir', () => {
  let dir: string;
  let backends: FakeBackend[];
  const procs: GolbProcess[] = [];
  const admins: AdminClient[] = [];
  const dps: DataPlane[] = [];

  const start = async (configPath: string, stateDir: string) => {
    const cp = await startControlPlaneProcess(['--config', configPath, '--state-dir', stateDir]);
    procs.push(cp.proc);
    const admin = adminClient(cp.grpcPort);
    admins.push(admin);
    return { ...cp, admin };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golb-durable-'));
    backends = await Promise.all(['a', 'b', 'c'].map((name) => startFakeBackend({ name })));
  });
  after(async () => {
    for (const a of admins) a.close();
    await Promise.all(dps.map((d) => d.shutdown()));
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await Promise.all(backends.map((b) => b.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('after kill -9 and a restart, a drained backend stays drained and a config pushed with golbctl reload FILE still runs', async () => {
    const [a, b, c] = backends as [FakeBackend, FakeBackend, FakeBackend];
    const configPath = join(dir, 'one.conf');
    const stateDir = join(dir, 'state-one');
    writeFileSync(configPath, roundRobin([a.url, b.url]));
    const first = await start(configPath, stateDir);

    const other = roundRobin([a.url, b.url, c.url]);
    const events = await first.admin.reload({ content: other, filename: 'other.conf' });
    assert.ok(events.some((e) => e.accepted), `reload accepted: ${JSON.stringify(events)}`);
    const drained = await first.admin.drain({ backend: a.url, timeout_ms: 600_000 });
    assert.equal(drained.backends[0]?.admin_state, 'draining');

    await first.proc.kill('SIGKILL');
    const second = await start(configPath, stateDir);
    await second.proc.waitFor(/\[state\] .*one\.conf differs from the config last applied \(from other\.conf/);

    const config = await second.admin.config();
    assert.equal(config.text, other);
    const health = await second.admin.health();
    assert.deepEqual(
      Object.fromEntries(health.backends.map((x) => [x.url, x.admin_state])),
      { [a.url]: 'draining', [b.url]: 'ready', [c.url]: 'ready' },
    );

    const dp = await startDataPlane({ controlPlane: `127.0.0.1:${second.grpcPort}`, host: '127.0.0.1', port: 0, log: () => {} });
    dps.push(dp);
    await dp.ready;
    const served: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await request(dp.port, '/');
      assert.equal(r.status, 200);
      served.push(String(r.headers['x-backend']));
    }
    assert.deepEqual(tally(served), { b: 6, c: 6 });
  });

  it('a drain whose deadline passed while the control plane was down comes back as maintenance', async () => {
    const [a, b] = backends as [FakeBackend, FakeBackend];
    const configPath = join(dir, 'two.conf');
    const stateDir = join(dir, 'state-two');
    writeFileSync(configPath, roundRobin([a.url, b.url]));
    const first = await start(configPath, stateDir);
    const drained = await first.admin.drain({ backend: b.url, timeout_ms: 5000 });
    await first.proc.kill('SIGKILL');
    const deadline = Number(drained.backends[0]?.drain_deadline_unix_ms);
    assert.ok(deadline > Date.now(), 'killed while still draining');
    await new Promise((resolve) => setTimeout(resolve, deadline - Date.now() + 50));

    const second = await start(configPath, stateDir);
    await second.proc.waitFor(/\[drain\] .* is in maintenance/);
    const health = await second.admin.health();
    assert.deepEqual(Object.fromEntries(health.backends.map((x) => [x.url, x.admin_state])), { [a.url]: 'ready', [b.url]: 'maintenance' });
  });

  it('keeps the saved config when the --config file changed while it was down, and `golbctl reload` applies the file', async () => {
    const [a, b, c] = backends as [FakeBackend, FakeBackend, FakeBackend];
    const configPath = join(dir, 'three.conf');
    const stateDir = join(dir, 'state-three');
    writeFileSync(configPath, roundRobin([a.url]));
    const first = await start(configPath, stateDir);
    await first.proc.kill('SIGKILL');

    const edited = roundRobin([b.url, c.url]);
    writeFileSync(configPath, edited);
    const second = await start(configPath, stateDir);
    await second.proc.waitFor(/three\.conf differs from the config last applied .*Run `golbctl reload` to apply/);
    assert.equal((await second.admin.config()).text, roundRobin([a.url]));

    const events = await second.admin.reload({ content: '', filename: '', reread: true });
    assert.ok(events.some((e) => e.accepted && !e.accepted.unchanged), `reload accepted: ${JSON.stringify(events)}`);
    assert.equal((await second.admin.config()).text, edited);

    // And that is what a third start runs, without a word about differences.
    await second.proc.kill('SIGKILL');
    const third = await start(configPath, stateDir);
    await third.proc.waitFor(/\[state\] restored the config last applied \(from .*three\.conf/);
    assert.equal((await third.admin.config()).text, edited);
  });
});

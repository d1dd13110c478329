// Fenced generations: a control plane restarted from an older copy of its state dir (stale) offers
// an older generation; the data plane refuses it, says why (golbctl dataplanes shows the refusal),
// and keeps serving the newer config. The up-to-date state dir is then accepted again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderDataPlanes } from '../../cli/commands/dataplanes.js';
import { startDataPlane, type DataPlane } from '../../dataplane/data-plane.js';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { adminClient, type AdminClient } from '../helpers/admin-client.js';
import { request, tally, waitFor } from '../helpers/cluster.js';
import { startControlPlaneProcess, type GolbProcess } from '../helpers/golb-process.js';

const roundRobin = (urls: string[]) => `method round_robin\n${urls.map((u) => `backend ${u}`).join('\n')}\n`;

describe('fenced generations', () => {
  let dir: string;
  let backends: FakeBackend[];
  const procs: GolbProcess[] = [];
  const admins: AdminClient[] = [];
  let dp: DataPlane | undefined;

  const start = async (configPath: string, stateDir: string, grpcPort = 0) => {
    const cp = await startControlPlaneProcess(['--config', configPath, '--state-dir', stateDir, '--grpc-port', String(grpcPort)]);
    procs.push(cp.proc);
    const admin = adminClient(cp.grpcPort);
    admins.push(admin);
    return { ...cp, admin };
  };
  const servedBy = async (port: number, n: number) => {
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await request(port, '/');
      assert.equal(r.status, 200);
      names.push(String(r.headers['x-backend']));
    }
    return tally(names);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golb-fenced-'));
    backends = await Promise.all(['old', 'new'].map((name) => startFakeBackend({ name })));
  });
  after(async () => {
    for (const a of admins) a.close();
    await dp?.shutdown();
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await Promise.all(backends.map((b) => b.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a control plane restarted from a stale state dir is refused by a data plane running a newer generation, which keeps serving', async () => {
    const [oldBackend, newBackend] = backends as [FakeBackend, FakeBackend];
    const configPath = join(dir, 'lb.conf');
    const stateDir = join(dir, 'state');
    const staleDir = join(dir, 'state-stale');
    writeFileSync(configPath, roundRobin([oldBackend.url]));

    const first = await start(configPath, stateDir);
    cpSync(stateDir, staleDir, { recursive: true });
    // Two changes after the copy: the live generation is two ahead of the copy's.
    for (const urls of [[oldBackend.url, newBackend.url], [newBackend.url]]) {
      const events = await first.admin.reload({ content: roundRobin(urls), filename: 'new.conf' });
      assert.ok(events.some((e) => e.accepted && !e.accepted.unchanged), `reload accepted: ${JSON.stringify(events)}`);
    }

    dp = await startDataPlane({ id: 'dp-fenced', controlPlane: `127.0.0.1:${first.grpcPort}`, host: '127.0.0.1', port: 0, log: () => {} });
    await dp.ready;
    assert.deepEqual(await servedBy(dp.port, 4), { new: 4 });

    // The stale control plane takes the same address, as a restarted one would.
    await first.proc.kill('SIGKILL');
    const stale = await start(configPath, staleDir, first.grpcPort);
    const refused = await waitFor(
      'the data plane to refuse the stale generation',
      async () => (await stale.admin.dataplanes()).dataplanes.find((d) => d.id === 'dp-fenced' && d.ack_state === 'NACKED'),
      30_000,
      100,
    );
    assert.match(refused.nack_error, /^generation \d+ is older than generation \d+ running here: refusing to roll back/);
    assert.match(renderDataPlanes([refused], Date.now(), false), /NACKED: generation \d+ is older than generation \d+ running here/);
    await stale.proc.waitFor(/\[sync\] data plane dp-fenced rejected version [0-9a-f]+: generation \d+ is older/);
    assert.deepEqual(await servedBy(dp.port, 4), { new: 4 }, 'still serving the newer config');

    // The up-to-date state dir comes back: its next generation is above the one running, so it is taken.
    await stale.proc.kill('SIGKILL');
    const current = await start(configPath, stateDir, first.grpcPort);
    await waitFor(
      'the data plane to take the current state',
      async () => (await current.admin.dataplanes()).dataplanes.find((d) => d.id === 'dp-fenced' && d.ack_state === 'ACKED'),
      30_000,
      100,
    );
    assert.deepEqual(await servedBy(dp.port, 4), { new: 4 });
  });
});

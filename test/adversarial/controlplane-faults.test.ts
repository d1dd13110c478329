// Control plane faults with a real control plane process: kill -9 under load and a restart with a
// different valid config, which a fleet of 20 data planes reconnects to at once; then a restart
// with an invalid config, which refuses to start while the data planes keep the last good one. The
// data planes run in this process and keep serving throughout: no failed request, none twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startDataPlane, type DataPlane } from '../../dataplane/data-plane.js';
import { freePort, startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { adminClient } from '../helpers/admin-client.js';
import { waitFor } from '../helpers/cluster.js';
import { steadyLoad } from '../kit/steady-load.js';
import { tempConfig, type TempConfig } from '../kit/temp-config.js';
import { assertLedger, send, watchUncaught, type Outcome } from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FLEET = 20;

interface CpProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `golb controlplane`; resolves once it listens, or once it exits (refusing to start). */
function startCp(configPath: string, grpcPort: number): Promise<CpProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/golb/entry.ts', 'controlplane', '--config', configPath, '--grpc-port', String(grpcPort), '--admin-port=-1'], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', GOLB_COOKIE_SECRET: 'fixed-for-the-test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve) => {
    const proc = { child, output: () => out, exited };
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('[golb] control plane: gRPC')) resolve(proc);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => resolve(proc));
  });
}

async function kill9(cp: CpProcess): Promise<void> {
  if (cp.child.exitCode === null && cp.child.signalCode === null) {
    cp.child.kill('SIGKILL');
    await cp.exited;
  }
}

/** Steady load on the data planes: GETs and POSTs, each with its own id (for the ledger). */
let loadRuns = 0;
function fleetLoad(ports: () => number[], clients = 6) {
  const run = ++loadRuns;
  return steadyLoad(
    (i, w) => {
      const list = ports();
      const method = i % 2 ? 'POST' : 'GET';
      return send(list[i % list.length]!, `/load/${i}`, { id: `load${run}-${w}-${i}`, method, body: method === 'POST' ? `b${i}` : undefined, timeoutMs: 5000 });
    },
    { clients, pauseMs: 5, check: (o: Outcome) => (o.status === 200 ? undefined : `${o.id}: ${o.error ?? o.status}`) },
  );
}

describe('control plane faults', () => {
  let a: FakeBackend;
  let b: FakeBackend;
  let c: FakeBackend;
  let conf: TempConfig;
  let configPath: string;
  let grpcPort: number;
  let cp: CpProcess | undefined;
  const dps: DataPlane[] = [];
  const uncaught = watchUncaught();

  const config = (extra = '') => `
method round_robin
health_check off
backend ${a.url}
backend ${b.url}
${extra}`;

  before(async () => {
    a = await startFakeBackend({ name: 'a' });
    b = await startFakeBackend({ name: 'b' });
    c = await startFakeBackend({ name: 'c' });
    conf = tempConfig('golb-cp-faults-', config(), 'loadbalancer.conf');
    configPath = conf.path;
    grpcPort = await freePort();
    cp = await startCp(configPath, grpcPort);
    assert.equal(cp.child.exitCode, null, cp.output());
    // A fleet of 20 data planes: every control plane restart below is a flood of reconnects.
    for (let i = 0; i < FLEET; i++) {
      dps.push(await startDataPlane({ controlPlane: `127.0.0.1:${grpcPort}`, host: '127.0.0.1', port: 0, id: `dp-${i}`, statsIntervalMs: 200, log: () => {} }));
    }
    await Promise.all(dps.map((d) => d.ready));
  });
  after(async () => {
    await Promise.all(dps.map((d) => d.shutdown()));
    if (cp) await kill9(cp);
    await Promise.all([a.close(), b.close(), c.close()]);
    conf.remove();
    assert.deepEqual(uncaught.stop(), []);
  });

  const connected = async (n: number, version?: string) => {
    const admin = adminClient(grpcPort);
    try {
      await waitFor(
        `${n} data planes connected${version ? ` on ${version}` : ''}`,
        async () => {
          const list = (await admin.dataplanes().catch(() => ({ dataplanes: [] }))).dataplanes.filter((d) => d.connected);
          return list.length === n && (!version || list.every((d) => d.version === version && d.ack_state === 'ACKED'));
        },
        15_000,
        100,
      );
    } finally {
      admin.close();
    }
  };

  it('keeps serving through kill -9 under load; restarted with a different valid config, the whole fleet reconnects and applies it', async () => {
    const versionBefore = dps[0]!.version();
    const load = fleetLoad(() => dps.map((d) => d.port), 8);
    await load.passMark('the load is running');
    await kill9(cp!);
    conf.write(config(`backend ${c.url} pool=new\nroute /new/* backend_pool=new\n`));
    // Served by the whole fleet with the control plane gone: every data plane took requests
    // that started after the kill, still on the last good config.
    await load.passMark('the control plane was killed', 2 * FLEET);
    for (const dp of dps) assert.equal(dp.version(), versionBefore, 'the last good config stays in force');
    cp = await startCp(configPath, grpcPort);
    assert.equal(cp.child.exitCode, null, cp.output());
    // 20 data planes reconnect at once; each takes the new config and acknowledges it.
    await waitFor('every data plane on the new config', () => dps.every((d) => d.version() !== versionBefore) && new Set(dps.map((d) => d.version())).size === 1, 15_000, 50);
    await connected(FLEET, dps[0]!.version());
    for (const dp of dps) assert.equal((await send(dp.port, '/new/x', { id: `new-${dp.id}` })).backend, 'c', 'the new routes apply');
    await load.passMark('the fleet applied the new config');
    const { failed, results } = await load.stop();
    assert.deepEqual(failed, []);
    assertLedger([a, b, c], results.map((o) => o.id), results.map((o) => o.id));
  });

  it('refuses to restart with an invalid config, while the fleet keeps serving the last good one', async () => {
    const version = dps[0]!.version();
    await kill9(cp!);
    conf.write(`${config()}\nroute /broken backend_pool=nowhere\nbakend http://x\n`);
    const load = fleetLoad(() => dps.map((d) => d.port), 8);
    const refused = await startCp(configPath, grpcPort);
    assert.equal(await refused.exited, 1, refused.output());
    assert.match(refused.output(), /invalid config, not starting/);
    assert.match(refused.output(), /loadbalancer\.conf:\d+:\d+: .*nowhere/);
    await load.passMark('the refused restart', 2 * FLEET);
    const { failed, results } = await load.stop();
    assert.deepEqual(failed, []);
    assertLedger([a, b, c], results.map((o) => o.id), results.map((o) => o.id));
    for (const dp of dps) {
      assert.equal(dp.version(), version, 'nothing from the invalid file was applied');
      assert.equal((await send(dp.port, '/new/still', { id: `still-${dp.id}` })).backend, 'c', 'the last good routes still apply');
    }
  });
});

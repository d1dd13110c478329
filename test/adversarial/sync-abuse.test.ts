// The sync stream attacked with a hand-written gRPC client: many hellos on one stream, a hello
// that borrows a live data plane's id, oversized hellos, more streams than allowed. The fleet must
// show only real data planes, a real one must never be kicked out, a data plane whose stream died
// must get back in, and the counters of data planes that left must stay in the totals exactly once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startControlPlane, type ControlPlane } from '../../controlplane/control-plane.js';
import { startDataPlane, type DataPlane } from '../../dataplane/data-plane.js';
import { loadProto } from '../../proto/index.js';
import type { ControlPlaneMessage__Output } from '../../proto/gen/golb/v1/ControlPlaneMessage.js';
import type { DataPlaneMessage } from '../../proto/gen/golb/v1/DataPlaneMessage.js';
import type { Hello } from '../../proto/gen/golb/v1/Hello.js';
import type { StatsReport } from '../../proto/gen/golb/v1/StatsReport.js';
import { adminClient } from '../helpers/admin-client.js';
import { waitFor } from '../helpers/cluster.js';

type Stream = grpc.ClientDuplexStream<DataPlaneMessage, ControlPlaneMessage__Output>;

interface RawStream {
  call: Stream;
  pushes: ControlPlaneMessage__Output[];
  /** The status the stream ended with, once it has. */
  status(): grpc.StatusObject | undefined;
  close(): void;
}

/** A sync stream from a hand-written client (no SyncClient, no reconnects). */
function openStream(port: number): RawStream {
  const Sync = loadProto().golb.v1.Sync;
  const client = new Sync(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (client as unknown as { Stream(): Stream }).Stream();
  const pushes: ControlPlaneMessage__Output[] = [];
  let status: grpc.StatusObject | undefined;
  call.on('data', (m: ControlPlaneMessage__Output) => pushes.push(m));
  call.on('error', () => {});
  call.on('status', (s: grpc.StatusObject) => (status = s));
  return {
    call,
    pushes,
    status: () => status,
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

function hello(id: string, extra: Partial<Hello> = {}): DataPlaneMessage {
  return { hello: { id, hostname: 'attacker', software_version: 't', labels: {}, traffic_address: '', current_version: '', started_unix_ms: '1000', ...extra } };
}

function stats(started: string, total: number, backendId: string): DataPlaneMessage {
  const report: StatsReport = {
    at_unix_ms: String(Date.now()),
    started_unix_ms: started,
    total_requests: String(total),
    unrouted: '0',
    no_backend: '0',
    active_connections: '0',
    latency_bounds_ms: [1, 10, 100],
    ready: true,
    routes: [],
    backends: [{ backend_id: backendId, pool: 'default', url: '', requests: String(total), errors: '0', errors_by_class: {}, in_flight: '0', open_websockets: '0', websockets_total: '0', bytes_in: '0', bytes_out: '0', latency_sum_ms: 0, latency_buckets: ['0', '0', '0', '0'], healthy: true, responses_by_class: {} }],
  };
  return { stats: report };
}

async function endedWith(s: RawStream, what: string): Promise<grpc.status> {
  return (await waitFor(`the stream to end (${what})`, () => s.status(), 15_000)).code;
}

describe('sync stream abuse', () => {
  let dir: string;
  let cp: ControlPlane;
  let real: DataPlane;
  let realLog: string[];
  let configPath: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golb-sync-abuse-'));
    configPath = join(dir, 'lb.conf');
    writeFileSync(configPath, 'health_check off\nbackend http://127.0.0.1:9\n');
    cp = await startControlPlane({ configPath, grpcPort: 0, adminPort: -1, log: () => {} });
    realLog = [];
    real = await startDataPlane({ controlPlane: `127.0.0.1:${cp.grpcPort}`, host: '127.0.0.1', port: 0, id: 'dp-real', statsIntervalMs: 100, log: (l) => realLog.push(l) });
    await real.ready;
  });
  after(async () => {
    await real.shutdown();
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends a stream that sends a second hello, so 2,000 hellos leave only the real data planes connected and a reload waits for no phantom', async () => {
    const s = openStream(cp.grpcPort);
    const admin = adminClient(cp.grpcPort);
    try {
      for (let i = 0; i < 2000 && s.call.writable; i++) s.call.write(hello(`phantom-${i}`));
      assert.ok([grpc.status.FAILED_PRECONDITION, grpc.status.INVALID_ARGUMENT].includes(await endedWith(s, 'a second hello')));
      const list = await waitFor('the phantom to be disconnected', async () => {
        const l = (await admin.dataplanes()).dataplanes;
        return l.filter((d) => d.connected).length === 1 ? l : undefined;
      });
      assert.deepEqual(list.filter((d) => d.connected).map((d) => d.id), ['dp-real']);
      assert.ok(list.length <= 2, `listed: ${list.map((d) => d.id).join(', ')}`);

      writeFileSync(configPath, 'health_check off\nbackend http://127.0.0.1:9\nbackend http://127.0.0.1:10\n');
      const events = await admin.reload({ reread: true, timeout_ms: 5_000 });
      const done = events.find((e) => e.done)?.done;
      assert.deepEqual(done?.acked, ['dp-real']);
      assert.deepEqual(done?.pending, []);
    } finally {
      s.close();
      admin.close();
    }
  });

  it('refuses a hello that borrows a live data plane id (ALREADY_EXISTS); the real one keeps its stream and keeps getting config', async () => {
    const admin = adminClient(cp.grpcPort);
    const intruder = openStream(cp.grpcPort);
    try {
      const before = (await admin.dataplanes()).dataplanes.find((d) => d.id === 'dp-real');
      assert.equal(before?.connected, true);
      const lostBefore = realLog.filter((l) => l.includes('lost control plane')).length;
      intruder.call.write(hello('dp-real', { started_unix_ms: '5', hostname: 'elsewhere' }));
      assert.equal(await endedWith(intruder, 'duplicate id'), grpc.status.ALREADY_EXISTS);
      assert.equal(intruder.pushes.length, 0, 'the intruder got no snapshot');

      const after = (await admin.dataplanes()).dataplanes.find((d) => d.id === 'dp-real');
      assert.equal(after?.connected, true);
      assert.equal(after?.address, before?.address, 'still the same stream');
      assert.equal(after?.connected_since_unix_ms, before?.connected_since_unix_ms);
      writeFileSync(configPath, 'health_check off\nbackend http://127.0.0.1:11\n');
      const reloaded = await cp.reload();
      await waitFor('the real data plane to apply the new config', () => real.version() === reloaded.version);
      assert.equal(realLog.filter((l) => l.includes('lost control plane')).length, lostBefore, 'the real data plane never lost its stream');
    } finally {
      intruder.close();
      admin.close();
    }
  });

  it('lets a data plane back in once its old stream is cancelled, and lets the same incarnation replace a stream that died unnoticed', async () => {
    const admin = adminClient(cp.grpcPort);
    const streams: RawStream[] = [];
    try {
      const first = openStream(cp.grpcPort);
      streams.push(first);
      first.call.write(hello('dp-flaky', { started_unix_ms: '2000', hostname: 'node-a' }));
      await waitFor('the first snapshot', () => first.pushes[0]);
      first.call.cancel();
      // A restarted process (another start time) gets in once the old stream is gone.
      const restarted = openStream(cp.grpcPort);
      streams.push(restarted);
      restarted.call.write(hello('dp-flaky', { started_unix_ms: '3000', hostname: 'node-a' }));
      await waitFor('the restarted data plane to get a snapshot', () => restarted.pushes[0] ?? restarted.status());
      assert.ok(restarted.pushes[0]?.snapshot, `refused: ${restarted.status()?.details}`);

      // The same process reconnecting while its old stream still looks open (a silent network
      // failure): same hostname and start time, so the old stream is replaced.
      const again = openStream(cp.grpcPort);
      streams.push(again);
      again.call.write(hello('dp-flaky', { started_unix_ms: '3000', hostname: 'node-a' }));
      await waitFor('the reconnected stream to get a snapshot', () => again.pushes[0] ?? again.status());
      assert.ok(again.pushes[0]?.snapshot, `refused: ${again.status()?.details}`);
      assert.equal(await endedWith(restarted, 'replaced'), grpc.status.ABORTED);
      const me = (await admin.dataplanes()).dataplanes.filter((d) => d.id === 'dp-flaky');
      assert.equal(me.length, 1);
      assert.equal(me[0]?.connected, true);
    } finally {
      for (const s of streams) s.close();
      admin.close();
    }
  });

  it('refuses oversized hellos with INVALID_ARGUMENT', async () => {
    const cases: Array<[string, DataPlaneMessage]> = [
      ['10,000 labels', hello('labels', { labels: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, 'v'])) })],
      ['a 100 kB hostname', hello('big-host', { hostname: 'h'.repeat(100_000) })],
      ['a newline in the id', hello('forged\n[golb] config reloaded')],
    ];
    for (const [what, msg] of cases) {
      const s = openStream(cp.grpcPort);
      try {
        s.call.write(msg);
        assert.equal(await endedWith(s, what), grpc.status.INVALID_ARGUMENT, what);
        assert.equal(s.pushes.length, 0, what);
      } finally {
        s.close();
      }
    }
  });

  it("keeps a departed data plane's counters in the totals exactly once, also after it comes back", async () => {
    const admin = adminClient(cp.grpcPort);
    const streams: RawStream[] = [];
    const backendId = cp.store.snapshot!.pools[0]!.backends[0]!.id;
    const total = async () => Number((await admin.stats()).total_requests);
    try {
      const base = await total();
      const a = openStream(cp.grpcPort);
      streams.push(a);
      a.call.write(hello('dp-counter', { started_unix_ms: '4000', hostname: 'node-c' }));
      await waitFor('the snapshot', () => a.pushes[0]);
      a.call.write(stats('4000', 40, backendId));
      await waitFor('40 more requests in the totals', async () => (await total()) === base + 40);
      a.call.end();
      await waitFor('the data plane to be disconnected', async () => (await admin.dataplanes()).dataplanes.find((d) => d.id === 'dp-counter' && !d.connected));
      assert.equal(await total(), base + 40, 'a departed data plane still counts');

      const b = openStream(cp.grpcPort);
      streams.push(b);
      b.call.write(hello('dp-counter', { started_unix_ms: '4000', hostname: 'node-c' }));
      await waitFor('the snapshot', () => b.pushes[0]);
      b.call.write(stats('4000', 55, backendId));
      await waitFor('its cumulative 55', async () => (await total()) === base + 55);
      const row = (await admin.stats()).pools[0]!.backends.find((x) => x.id === backendId);
      assert.ok(Number(row?.requests) >= 55);
      // A stats report for another incarnation on this stream is a protocol error.
      b.call.write(stats('9999', 1_000_000, backendId));
      assert.equal(await endedWith(b, 'stats of another incarnation'), grpc.status.INVALID_ARGUMENT);
      assert.equal(await total(), base + 55, 'counted once');
    } finally {
      for (const s of streams) s.close();
      admin.close();
    }
  });
});

describe('--max-dataplanes', () => {
  let dir: string;
  let cp: ControlPlane;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golb-sync-cap-'));
    const configPath = join(dir, 'lb.conf');
    writeFileSync(configPath, 'health_check off\nbackend http://127.0.0.1:9\n');
    cp = await startControlPlane({ configPath, grpcPort: 0, adminPort: -1, maxDataPlanes: 3, log: () => {} });
  });
  after(async () => {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a stream over the cap with RESOURCE_EXHAUSTED, and takes one again once a stream has ended', async () => {
    const streams: RawStream[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const s = openStream(cp.grpcPort);
        streams.push(s);
        s.call.write(hello(`capped-${i}`));
        await waitFor(`stream ${i} to get its snapshot`, () => s.pushes[0]);
      }
      const over = openStream(cp.grpcPort);
      streams.push(over);
      over.call.write(hello('capped-over'));
      assert.equal(await endedWith(over, 'over the cap'), grpc.status.RESOURCE_EXHAUSTED);
      assert.equal(over.pushes.length, 0);

      streams[0]!.call.cancel();
      const next = await waitFor('a stream to be taken again', async () => {
        const s = openStream(cp.grpcPort);
        streams.push(s);
        s.call.write(hello('capped-next'));
        await waitFor('an answer', () => s.pushes[0] ?? s.status());
        return s.pushes[0] ? s : undefined;
      });
      assert.ok(next.pushes[0]?.snapshot);
    } finally {
      for (const s of streams) s.close();
    }
  });
});

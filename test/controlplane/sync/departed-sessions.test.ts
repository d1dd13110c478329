// Disconnected data planes stay listed for a grace period and up to a cap, then are forgotten,
// while their counters stay in the fleet totals. A SyncServer on a real gRPC server, clock injected.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { SyncServer } from '../../../controlplane/sync/sync-server.js';
import { loadProto } from '../../../proto/index.js';
import type { ControlPlaneMessage__Output } from '../../../proto/gen/golb/v1/ControlPlaneMessage.js';
import type { DataPlaneMessage } from '../../../proto/gen/golb/v1/DataPlaneMessage.js';
import { waitFor } from '../../helpers/cluster.js';

type Stream = grpc.ClientDuplexStream<DataPlaneMessage, ControlPlaneMessage__Output>;

describe('SyncServer: departed sessions', () => {
  let clock = 1_000_000;
  const sync = new SyncServer({ current: () => undefined, log: () => {}, departedTtlMs: 60_000, maxDeparted: 2, now: () => clock });
  const server = new grpc.Server();
  let client: grpc.Client;
  before(async () => {
    server.addService(loadProto().golb.v1.Sync.service, sync.handlers);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    client = new (loadProto().golb.v1.Sync)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  after(() => {
    sync.closeAll();
    client.close();
    server.forceShutdown();
  });

  it('lists the latest departed data planes up to the cap, forgets them after the grace period, and keeps their counters', async () => {
    for (let i = 0; i < 5; i++) {
      const call = (client as unknown as { Stream(): Stream }).Stream();
      call.on('error', () => {});
      call.write({ hello: { id: `dp${i}`, hostname: 'h', software_version: 't', labels: {}, traffic_address: '', current_version: '', started_unix_ms: '7' } });
      call.write({ stats: { started_unix_ms: '7', total_requests: '10', unrouted: '0', no_backend: '0', at_unix_ms: '0', active_connections: '0', latency_bounds_ms: [], ready: true, routes: [], backends: [] } });
      await waitFor(`dp${i}'s stats`, () => sync.sessions.get(`dp${i}`)?.stats);
      clock += 1000;
      call.end();
      await waitFor(`dp${i} to be disconnected`, () => sync.sessions.get(`dp${i}`)?.connected === false);
    }
    const totals = () => sync.reports.values().reduce((n, r) => n + Number(r.total_requests), 0);
    sync.prune();
    assert.deepEqual([...sync.sessions.keys()].sort(), ['dp3', 'dp4']);
    assert.equal(totals(), 50);
    clock += 60_000;
    sync.prune();
    assert.equal(sync.sessions.size, 0);
    assert.equal(sync.reports.size, 0);
    assert.equal(totals(), 50, 'the retired total keeps every departed counter');
  });
});

// The data plane's end of the sync stream, against a hand-written Sync server over real gRPC: what
// it says on every (re)connect.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadProto, type Snapshot } from '../../../proto/index.js';
import type { DataPlaneMessage__Output } from '../../../proto/gen/golb/v1/DataPlaneMessage.js';
import type { Hello__Output } from '../../../proto/gen/golb/v1/Hello.js';
import { SyncClient } from '../../../dataplane/sync/sync-client.js';
import { waitFor } from '../../helpers/cluster.js';

describe('SyncClient', () => {
  let server: grpc.Server;
  let port: number;
  const hellos: Hello__Output[] = [];
  const calls: grpc.ServerDuplexStream<DataPlaneMessage__Output, unknown>[] = [];

  before(async () => {
    server = new grpc.Server();
    server.addService(loadProto().golb.v1.Sync.service, {
      Stream: (call: grpc.ServerDuplexStream<DataPlaneMessage__Output, unknown>) => {
        calls.push(call);
        call.on('data', (m: DataPlaneMessage__Output) => {
          if (m.hello) hellos.push(m.hello);
        });
        call.on('error', () => {});
      },
    });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  });
  after(() => server.forceShutdown());

  it('says in every hello which config version it serves and whether it came from the cache, so a restarted control plane knows', async () => {
    let serving = '';
    let cachedSince = 1_700_000_000_000;
    const client = new SyncClient({
      address: `127.0.0.1:${port}`,
      hello: { id: 'dp-1', hostname: 'h', software_version: 't', labels: {}, traffic_address: '', current_version: '', started_unix_ms: '1' },
      currentVersion: () => serving,
      cachedSince: () => cachedSince,
      apply: (s: Snapshot) => void (serving = s.version),
      stats: () => ({}),
      healthView: () => [],
      backoffMinMs: 10,
      backoffMaxMs: 50,
      log: () => {},
    });
    try {
      client.start();
      await waitFor('the first hello', () => hellos.length === 1);
      assert.equal(hellos[0]!.current_version, '', 'nothing served before the first snapshot');
      assert.equal(hellos[0]!.cached_since_unix_ms, '1700000000000', 'says its config came from the on-disk cache, and when it was saved');
      serving = 'v7';
      cachedSince = 0;
      // The stream breaks (a control plane restart looks like this from the data plane).
      calls[0]!.end();
      await waitFor('a second hello on a new stream', () => hellos.length === 2, 10_000);
      assert.equal(hellos[1]!.current_version, 'v7');
      assert.equal(hellos[1]!.cached_since_unix_ms, '0');
      assert.equal(hellos[1]!.id, 'dp-1');
    } finally {
      client.stop();
    }
  });
});

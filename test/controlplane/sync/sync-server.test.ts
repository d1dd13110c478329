// The sync protocol from a data plane's side, spoken by hand over real gRPC to a real control
// plane: stale nonces are ignored, a NACK is recorded and not answered with a resend loop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { startControlPlane, type ControlPlane } from '../../../controlplane/control-plane.js';
import { loadProto } from '../../../proto/index.js';
import type { ControlPlaneMessage__Output } from '../../../proto/gen/golb/v1/ControlPlaneMessage.js';
import type { DataPlaneMessage } from '../../../proto/gen/golb/v1/DataPlaneMessage.js';
import { adminClient } from '../../helpers/admin-client.js';
import { waitFor } from '../../helpers/cluster.js';
import { tempConfig, type TempConfig } from '../../kit/temp-config.js';
import { renderDataPlanes } from '../../../cli/commands/dataplanes.js';

type Stream = grpc.ClientDuplexStream<DataPlaneMessage, ControlPlaneMessage__Output>;

function openStream(port: number, token?: string): { call: Stream; pushes: ControlPlaneMessage__Output[]; errors: grpc.ServiceError[]; client: grpc.Client } {
  const Sync = loadProto().golb.v1.Sync;
  const client = new Sync(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  const call = (client as unknown as { Stream(md: grpc.Metadata): Stream }).Stream(md);
  const pushes: ControlPlaneMessage__Output[] = [];
  const errors: grpc.ServiceError[] = [];
  call.on('data', (m: ControlPlaneMessage__Output) => pushes.push(m));
  call.on('error', (e: grpc.ServiceError) => errors.push(e));
  return { call, pushes, errors, client };
}

const hello = (id: string) => ({ hello: { id, hostname: 'test', software_version: 't', labels: {}, traffic_address: '', current_version: '', started_unix_ms: '1' } });

describe('sync server', () => {
  let conf: TempConfig;
  let configPath: string;
  let cp: ControlPlane;
  before(async () => {
    conf = tempConfig('golb-sync-', 'health_check off\nbackend http://127.0.0.1:9001\n');
    configPath = conf.path;
    cp = await startControlPlane({ configPath, grpcPort: 0, adminPort: -1, token: 'tok', log: () => {} });
  });
  after(async () => {
    await cp.close();
    conf.remove();
  });

  it('pushes the snapshot on hello, ignores an ACK with a stale nonce, records the right one', async () => {
    const s = openStream(cp.grpcPort, 'tok');
    const admin = adminClient(cp.grpcPort, 'tok');
    try {
      s.call.write(hello('manual-1'));
      const push = await waitFor('the first snapshot', () => s.pushes[0]?.snapshot);
      assert.equal(push.snapshot?.version, cp.store.snapshot?.version);
      s.call.write({ ack: { version: push.snapshot!.version, nonce: 'not-the-nonce' } });
      // A stream's messages are handled in order: once a stats report sent after the stale ACK
      // shows in the admin list, the ACK has been handled too.
      s.call.write({ stats: { at_unix_ms: '2', started_unix_ms: '1', total_requests: '7' } });
      let me = await waitFor('the stats report sent after the stale ACK', async () => (await admin.dataplanes()).dataplanes.find((d) => d.id === 'manual-1' && d.total_requests === '7'));
      assert.equal(me.ack_state, 'PENDING');
      s.call.write({ ack: { version: push.snapshot!.version, nonce: push.nonce } });
      me = await waitFor('the ACK', async () => (await admin.dataplanes()).dataplanes.find((d) => d.id === 'manual-1' && d.ack_state === 'ACKED'));
      assert.equal(me.version, push.snapshot!.version);
      assert.equal(me.connected, true);
    } finally {
      s.call.end();
      s.client.close();
      admin.close();
    }
  });

  it('lists a data plane serving its on-disk cache as cached, until it ACKs a push', async () => {
    const s = openStream(cp.grpcPort, 'tok');
    const admin = adminClient(cp.grpcPort, 'tok');
    try {
      s.call.write({ hello: { ...hello('cached-1').hello, cached_since_unix_ms: '1700000000000' } });
      const push = await waitFor('the first snapshot', () => s.pushes[0]?.snapshot);
      const listed = await waitFor('the data plane in the list', async () => (await admin.dataplanes()).dataplanes.find((d) => d.id === 'cached-1'));
      assert.equal(listed.cached_since_unix_ms, '1700000000000');
      assert.match(renderDataPlanes([listed], 1700000060000, false), /\(cached 1m0s ago\)/);
      s.call.write({ ack: { version: push.snapshot!.version, nonce: push.nonce } });
      const acked = await waitFor('the ACK', async () => (await admin.dataplanes()).dataplanes.find((d) => d.id === 'cached-1' && d.ack_state === 'ACKED'));
      assert.equal(acked.cached_since_unix_ms, '0', 'a pushed config replaced the cached one');
      assert.doesNotMatch(renderDataPlanes([acked], Date.now(), false), /\(cached/);
    } finally {
      s.call.end();
      s.client.close();
      admin.close();
    }
  });

  it('records a NACK with its reason and does not resend the rejected version', async () => {
    const s = openStream(cp.grpcPort, 'tok');
    const admin = adminClient(cp.grpcPort, 'tok');
    try {
      s.call.write(hello('manual-2'));
      const first = await waitFor('the first snapshot', () => s.pushes[0]?.snapshot);
      s.call.write({ ack: { version: first.snapshot!.version, nonce: first.nonce } });
      conf.write('health_check off\nbackend http://127.0.0.1:9001\nbackend http://127.0.0.1:9002\n');
      const reloaded = await cp.reload();
      assert.ok(reloaded.ok);
      const second = await waitFor('the new snapshot', () => s.pushes[1]?.snapshot);
      assert.equal(second.snapshot?.version, reloaded.version);
      s.call.write({ nack: { version: reloaded.version!, nonce: second.nonce, errors: ['cannot build pool default: test says no'] } });
      const me = await waitFor('the NACK', async () => (await admin.dataplanes()).dataplanes.find((d) => d.id === 'manual-2' && d.ack_state === 'NACKED'));
      assert.equal(me.nack_error, 'cannot build pool default: test says no');
      assert.equal(me.version, first.snapshot!.version, 'still reported on the version it serves');
      // The next push on the (ordered) stream is the next reload, not the rejected version again.
      conf.write('health_check off\nbackend http://127.0.0.1:9001\nbackend http://127.0.0.1:9003\n');
      const next = await cp.reload();
      assert.ok(next.ok);
      const third = await waitFor('the next reload', () => s.pushes[2]?.snapshot);
      assert.equal(third.snapshot?.version, next.version, 'no resend of the rejected version');
      assert.equal(s.pushes.length, 3, 'no resend loop');
    } finally {
      s.call.end();
      s.client.close();
      admin.close();
    }
  });

  it('refuses a stream without the token', async () => {
    const s = openStream(cp.grpcPort);
    try {
      s.call.write(hello('intruder'));
      const err = await waitFor('the refusal', () => s.errors[0]);
      assert.equal(err.code, grpc.status.UNAUTHENTICATED);
      assert.equal(s.pushes.length, 0);
    } finally {
      s.client.close();
    }
  });
});

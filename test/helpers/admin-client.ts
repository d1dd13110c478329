// A small promise wrapper over the Admin gRPC service for tests.
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../../proto/index.js';
import type { FleetStats__Output } from '../../proto/gen/golb/v1/FleetStats.js';
import type { DataPlaneList__Output } from '../../proto/gen/golb/v1/DataPlaneList.js';
import type { ReloadEvent__Output } from '../../proto/gen/golb/v1/ReloadEvent.js';
import type { ReloadRequest } from '../../proto/gen/golb/v1/ReloadRequest.js';
import type { DrainRequest } from '../../proto/gen/golb/v1/DrainRequest.js';
import type { DrainResponse__Output } from '../../proto/gen/golb/v1/DrainResponse.js';
import type { DrainStatusResponse__Output } from '../../proto/gen/golb/v1/DrainStatusResponse.js';
import type { HealthResponse__Output } from '../../proto/gen/golb/v1/HealthResponse.js';
import type { ConfigResponse__Output } from '../../proto/gen/golb/v1/ConfigResponse.js';

export interface AdminClient {
  stats(): Promise<FleetStats__Output>;
  dataplanes(): Promise<DataPlaneList__Output>;
  reload(req: ReloadRequest): Promise<ReloadEvent__Output[]>;
  drain(req: DrainRequest): Promise<DrainResponse__Output>;
  undrain(req: DrainRequest): Promise<DrainResponse__Output>;
  drainStatus(req: DrainRequest): Promise<DrainStatusResponse__Output>;
  health(): Promise<HealthResponse__Output>;
  config(): Promise<ConfigResponse__Output>;
  close(): void;
}

export function adminClient(port: number, token?: string): AdminClient {
  const Admin = loadProto().golb.v1.Admin;
  const client = new Admin(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const md = () => {
    const m = new grpc.Metadata();
    if (token) m.set('authorization', `Bearer ${token}`);
    return m;
  };
  const unary = <Req, Res>(fn: (req: Req, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: Res) => void) => unknown, req: Req) =>
    new Promise<Res>((resolve, reject) => fn.call(client, req, md(), (err, res) => (err ? reject(err) : resolve(res!))));
  return {
    stats: () => unary(client.GetStats, {}),
    dataplanes: () => unary(client.ListDataPlanes, {}),
    drain: (req) => unary(client.Drain, req),
    undrain: (req) => unary(client.Undrain, req),
    drainStatus: (req) => unary(client.GetDrainStatus, req),
    health: () => unary(client.GetHealth, {}),
    config: () => unary(client.GetConfig, {}),
    reload: (req) =>
      new Promise((resolve, reject) => {
        const events: ReloadEvent__Output[] = [];
        const call = client.Reload(req, md());
        call.on('data', (e: ReloadEvent__Output) => events.push(e));
        call.on('error', reject);
        call.on('end', () => resolve(events));
      }),
    close: () => client.close(),
  };
}

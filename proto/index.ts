// The one contract between processes: loads golb/v1/*.proto and re-exports the generated types.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AdminGrpc } from './gen/admin.js';
import type { ProtoGrpcType as SyncGrpc } from './gen/sync.js';

export type { Snapshot__Output as Snapshot } from './gen/golb/v1/Snapshot.js';
export type { Pool__Output as PoolSpec } from './gen/golb/v1/Pool.js';
export type { Backend__Output as BackendSpec } from './gen/golb/v1/Backend.js';
export type { Route__Output as RouteSpec } from './gen/golb/v1/Route.js';
export type { RouteMatch__Output as RouteMatchSpec } from './gen/golb/v1/RouteMatch.js';
export type { HeaderMatch__Output as HeaderMatchSpec } from './gen/golb/v1/HeaderMatch.js';
export type { Persistence__Output as PersistenceSpec } from './gen/golb/v1/Persistence.js';
export type { HashKey__Output as HashKeySpec } from './gen/golb/v1/HashKey.js';
export type { HealthCheck__Output as HealthCheckSpec } from './gen/golb/v1/HealthCheck.js';
export type { PassiveHealth__Output as PassiveHealthSpec } from './gen/golb/v1/PassiveHealth.js';
export type { Timeouts__Output as TimeoutsSpec } from './gen/golb/v1/Timeouts.js';
export type { Limits__Output as LimitsSpec } from './gen/golb/v1/Limits.js';
export type { CookieSettings__Output as CookieSpec } from './gen/golb/v1/CookieSettings.js';
export type { AdminState__Output as AdminState } from './gen/golb/v1/AdminState.js';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Folder that holds golb/v1/*.proto, both from sources and from dist/. */
function protoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [here, join(here, '..', '..', 'proto')]) {
    if (existsSync(join(candidate, 'golb', 'v1', 'snapshot.proto'))) return candidate;
  }
  throw new Error(`golb: cannot find proto/golb/v1 near ${here}`);
}

let cached: (AdminGrpc & SyncGrpc) | undefined;

/** The loaded gRPC package: `golb.v1.Sync`, `golb.v1.Admin` service constructors and definitions. */
export function loadProto(): AdminGrpc & SyncGrpc {
  if (cached) return cached;
  const root = protoRoot();
  const def = protoLoader.loadSync(
    ['golb/v1/snapshot.proto', 'golb/v1/sync.proto', 'golb/v1/admin.proto'],
    { ...LOADER_OPTIONS, includeDirs: [root] },
  );
  cached = grpc.loadPackageDefinition(def) as unknown as AdminGrpc & SyncGrpc;
  return cached;
}

// golbctl's client over the control plane's Admin gRPC service: one promise per RPC, Reload as an
// async iterator of events, a short deadline on every call and gRPC failures turned into one-line
// messages an operator can act on.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../../proto/index.js';
import type { AdminClient as GrpcAdminClient } from '../../proto/gen/golb/v1/Admin.js';
import type { ConfigResponse__Output } from '../../proto/gen/golb/v1/ConfigResponse.js';
import type { DataPlaneList__Output } from '../../proto/gen/golb/v1/DataPlaneList.js';
import type { DrainRequest } from '../../proto/gen/golb/v1/DrainRequest.js';
import type { DrainResponse__Output } from '../../proto/gen/golb/v1/DrainResponse.js';
import type { DrainStatusResponse__Output } from '../../proto/gen/golb/v1/DrainStatusResponse.js';
import type { FleetStats__Output } from '../../proto/gen/golb/v1/FleetStats.js';
import type { HealthResponse__Output } from '../../proto/gen/golb/v1/HealthResponse.js';
import type { ReloadEvent__Output } from '../../proto/gen/golb/v1/ReloadEvent.js';
import type { ReloadRequest } from '../../proto/gen/golb/v1/ReloadRequest.js';
import type { StatsRequest } from '../../proto/gen/golb/v1/StatsRequest.js';
import type { ValidateRequest } from '../../proto/gen/golb/v1/ValidateRequest.js';
import type { ValidateResponse__Output } from '../../proto/gen/golb/v1/ValidateResponse.js';
import { RELOAD_WAIT_DEFAULT_MS } from '../../proto/defaults.js';

export type { ConfigResponse__Output as ConfigResponse } from '../../proto/gen/golb/v1/ConfigResponse.js';
export type { DataPlaneInfo__Output as DataPlaneInfo } from '../../proto/gen/golb/v1/DataPlaneInfo.js';
export type { DataPlaneList__Output as DataPlaneList } from '../../proto/gen/golb/v1/DataPlaneList.js';
export type { DrainResponse__Output as DrainResponse } from '../../proto/gen/golb/v1/DrainResponse.js';
export type { DrainStatusResponse__Output as DrainStatusResponse } from '../../proto/gen/golb/v1/DrainStatusResponse.js';
export type { BackendDrain__Output as BackendDrain } from '../../proto/gen/golb/v1/BackendDrain.js';
export type { BackendRef__Output as BackendRef } from '../../proto/gen/golb/v1/BackendRef.js';
export type { FleetStats__Output as FleetStats } from '../../proto/gen/golb/v1/FleetStats.js';
export type { BackendSummary__Output as BackendSummary } from '../../proto/gen/golb/v1/BackendSummary.js';
export type { HealthResponse__Output as HealthResponse } from '../../proto/gen/golb/v1/HealthResponse.js';
export type { ReloadEvent__Output as ReloadEvent } from '../../proto/gen/golb/v1/ReloadEvent.js';
export type { ConfigDiff__Output as ConfigDiff } from '../../proto/gen/golb/v1/ConfigDiff.js';
export type { ConfigError__Output as ConfigErrorMessage } from '../../proto/gen/golb/v1/ConfigError.js';
export type { DataPlaneResult__Output as DataPlaneResult } from '../../proto/gen/golb/v1/DataPlaneResult.js';
export type { ReloadDone__Output as ReloadDone } from '../../proto/gen/golb/v1/ReloadDone.js';
export type { ValidateResponse__Output as ValidateResponse } from '../../proto/gen/golb/v1/ValidateResponse.js';

export const DEFAULT_SERVER = '127.0.0.1:50051';
export const DEFAULT_DEADLINE_MS = 5_000;

export interface ClientOptions {
  /** host:port of the control plane's gRPC listener (a bare port means 127.0.0.1:port). */
  server: string;
  token?: string;
  /** Deadline of each unary call; default 5 s. */
  deadlineMs?: number;
  /** TLS to a control plane started with --tls-cert/--tls-key (cert + key for mutual TLS). */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

/** A failure worth one line to the operator; `code` is the gRPC status name (or a local one). */
export class ControlPlaneError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ControlPlaneError';
  }
}

/** `http://host:port/`, `host:port` or `port` → `host:port`. */
export function normalizeServer(server: string): string {
  let s = server.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
  if (/^\d+$/.test(s)) s = `127.0.0.1:${s}`;
  return s;
}

/** The low-level reason behind an UNAVAILABLE, in words. */
function unreachableReason(raw: string, tls: boolean): string {
  const details = raw
    .replace(/^No connection established\.\s*(Last error:\s*)?/i, '')
    .replace(/\s*Resolution note:.*$/i, '')
    .replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)/g, '')
    .replace(/^Error:\s*/, '')
    .replace(/\.$/, '')
    .trim();
  if (/ECONNREFUSED/i.test(details)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN|Name resolution failed|getaddrinfo/i.test(details)) return 'host not found';
  if (/ETIMEDOUT/i.test(details)) return 'connection timed out';
  if (/EHOSTUNREACH|ENETUNREACH/i.test(details)) return 'host unreachable';
  if (/wrong version number|packet length too long|ssl3_get_record/i.test(details)) return 'TLS handshake failed: the server does not speak TLS (drop --tls-ca)';
  if (/certificate|self[- ]signed|CERT_|unable to verify/i.test(details)) return `TLS certificate not trusted (${details.split(':')[0]}); check --tls-ca`;
  if (/Protocol error|Received HTTP status|HTTP\/1/i.test(details)) return 'it does not speak gRPC (is this the traffic port or the admin HTTP port?)';
  if (/Failed to connect|ECONNRESET|socket hang up/i.test(details)) {
    return tls ? 'the connection was closed during the TLS handshake (does the control plane want a client certificate? --tls-cert/--tls-key)' : 'the connection was closed during the handshake (if the control plane uses TLS, pass --tls-ca)';
  }
  return details || 'unavailable';
}

/** Turns a gRPC error into a ControlPlaneError with a one-line, actionable message. */
export function describeError(err: unknown, server: string, deadlineMs: number, tls = false): ControlPlaneError {
  const e = err as Partial<grpc.ServiceError> & Error;
  const details = (e.details ?? e.message ?? String(err)).split('\n')[0]!;
  switch (e.code) {
    case grpc.status.UNAVAILABLE:
      return new ControlPlaneError(`cannot reach control plane at ${server}: ${unreachableReason(details, tls)}`, 'UNAVAILABLE');
    case grpc.status.DEADLINE_EXCEEDED:
      return new ControlPlaneError(`cannot reach control plane at ${server}: no answer within ${formatSeconds(deadlineMs)}`, 'DEADLINE_EXCEEDED');
    case grpc.status.UNAUTHENTICATED:
      return new ControlPlaneError(`control plane refused the token (UNAUTHENTICATED): pass the control plane's token with --token or GOLB_TOKEN`, 'UNAUTHENTICATED');
    case grpc.status.PERMISSION_DENIED:
      return new ControlPlaneError(`control plane denied the request (PERMISSION_DENIED): ${details}`, 'PERMISSION_DENIED');
    case grpc.status.NOT_FOUND:
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.ALREADY_EXISTS:
      return new ControlPlaneError(details, grpc.status[e.code]);
    case grpc.status.UNIMPLEMENTED:
      return new ControlPlaneError(`the server at ${server} does not offer this Admin call (UNIMPLEMENTED): is it a golb control plane of the same version?`, 'UNIMPLEMENTED');
    case grpc.status.CANCELLED:
      return new ControlPlaneError('cancelled', 'CANCELLED');
    default: {
      const name = typeof e.code === 'number' ? (grpc.status[e.code] ?? String(e.code)) : 'ERROR';
      return new ControlPlaneError(`control plane error (${name}): ${details}`, name);
    }
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ControlPlaneError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, 'TLS');
  }
}

function credentials(tls: ClientOptions['tls']): grpc.ChannelCredentials {
  if (!tls || (!tls.caFile && !tls.certFile && !tls.keyFile)) return grpc.credentials.createInsecure();
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) throw new ControlPlaneError('--tls-cert and --tls-key go together', 'TLS');
  // grpc-js names the server by its address; Node warns when that is an IP. Not the operator's concern.
  process.noDeprecation = true;
  return grpc.credentials.createSsl(
    tls.caFile ? readPem(tls.caFile, '--tls-ca') : null,
    tls.keyFile ? readPem(tls.keyFile, '--tls-key') : null,
    tls.certFile ? readPem(tls.certFile, '--tls-cert') : null,
  );
}

export interface ReloadStream extends AsyncIterable<ReloadEvent__Output> {
  cancel(): void;
}

export interface AdminApi {
  readonly server: string;
  stats(req?: StatsRequest): Promise<FleetStats__Output>;
  validate(req: ValidateRequest): Promise<ValidateResponse__Output>;
  drain(req: DrainRequest): Promise<DrainResponse__Output>;
  undrain(req: DrainRequest): Promise<DrainResponse__Output>;
  drainStatus(req: DrainRequest): Promise<DrainStatusResponse__Output>;
  dataplanes(): Promise<DataPlaneList__Output>;
  health(): Promise<HealthResponse__Output>;
  config(): Promise<ConfigResponse__Output>;
  /** Streams the reload's events; the stream's deadline is `deadlineMs` (default timeout_ms + 5 s). */
  reload(req: ReloadRequest, deadlineMs?: number): ReloadStream;
  close(): void;
}

type Callback<Res> = (err: grpc.ServiceError | null, res?: Res) => void;
type UnaryFn<Req, Res> = (req: Req, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback<Res>) => grpc.ClientUnaryCall;

export function connect(options: ClientOptions): AdminApi {
  const server = normalizeServer(options.server);
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const Admin = loadProto().golb.v1.Admin;
  const tls = Boolean(options.tls && (options.tls.caFile || options.tls.certFile || options.tls.keyFile));
  const client: GrpcAdminClient = new Admin(server, credentials(options.tls), {
    // Fail fast rather than sit in reconnect backoff.
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 1000,
  });
  const metadata = (): grpc.Metadata => {
    const md = new grpc.Metadata();
    if (options.token) md.set('authorization', `Bearer ${options.token}`);
    return md;
  };
  const callOptions = (ms: number): grpc.CallOptions => ({ deadline: Date.now() + ms, waitForReady: false } as grpc.CallOptions);

  const unary = <Req, Res>(fn: UnaryFn<Req, Res>, req: Req): Promise<Res> =>
    new Promise<Res>((resolve, reject) => {
      fn.call(client, req, metadata(), callOptions(deadlineMs), (err, res) => {
        if (err) reject(describeError(err, server, deadlineMs, tls));
        else resolve(res!);
      });
    });

  return {
    server,
    stats: (req = {}) => unary<StatsRequest, FleetStats__Output>(client.GetStats, req),
    validate: (req) => unary<ValidateRequest, ValidateResponse__Output>(client.Validate, req),
    drain: (req) => unary<DrainRequest, DrainResponse__Output>(client.Drain, req),
    undrain: (req) => unary<DrainRequest, DrainResponse__Output>(client.Undrain, req),
    drainStatus: (req) => unary<DrainRequest, DrainStatusResponse__Output>(client.GetDrainStatus, req),
    dataplanes: () => unary<object, DataPlaneList__Output>(client.ListDataPlanes, {}),
    health: () => unary<object, HealthResponse__Output>(client.GetHealth, {}),
    config: () => unary<object, ConfigResponse__Output>(client.GetConfig, {}),
    reload(req, streamDeadlineMs) {
      const ms = streamDeadlineMs ?? (req.timeout_ms || RELOAD_WAIT_DEFAULT_MS) + deadlineMs;
      const call = client.Reload(req, metadata(), callOptions(ms));
      return {
        cancel: () => call.cancel(),
        async *[Symbol.asyncIterator]() {
          try {
            for await (const event of call as AsyncIterable<ReloadEvent__Output>) yield event;
          } catch (err) {
            throw describeError(err, server, ms, tls);
          }
        },
      };
    },
    close: () => client.close(),
  };
}

/** Fields that are 64-bit integers in golb/v1/admin.proto; the loader gives them as strings. */
const LONG_FIELDS = new Set([
  'uptime_ms',
  'total_requests',
  'unrouted',
  'no_backend',
  'errors',
  'in_flight',
  'open_websockets',
  'requests',
  'bytes_in',
  'bytes_out',
  'errors_by_class',
  'drain_deadline_unix_ms',
  'hits',
  'connected_since_unix_ms',
  'last_report_unix_ms',
  'since_unix_ms',
]);

/** A message as plain JSON for --json: 64-bit counters become numbers, the oneof marker goes. */
export function toJson<T>(message: T): unknown {
  const walk = (value: unknown, longs: boolean): unknown => {
    if (Array.isArray(value)) return value.map((v) => walk(v, false));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (k === 'event' && typeof v === 'string') continue;
        out[k] = walk(v, LONG_FIELDS.has(k) || (longs && typeof v === 'string'));
      }
      return out;
    }
    if (longs && typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
    return value;
  };
  return walk(message, false);
}

/** A 64-bit counter as a number (they are strings on the wire). */
export function num(value: string | number | undefined | null): number {
  if (value === undefined || value === null || value === '') return 0;
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

// A control plane: the config store, the gRPC server (Sync for data planes, Admin for golbctl) and
// the admin HTTP API. The `golb` launcher is the only caller that wires it into a process. This file
// only wires: how a change reaches the data planes is config-rollout.ts.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../proto/index.js';
import { AdminService } from './admin/admin-service.js';
import { createAdminHttpServer } from './admin/admin-http.js';
import { ConfigRollout, type ReloadOutcome } from './config-rollout.js';
import { ConfigStore, formatErrors, type Overrides } from './config-store.js';
import { formatConfigError } from './config/errors.js';
import { shutdownGrpcServer } from './grpc-shutdown.js';
import { checkOverrides } from './snapshot/build-snapshot.js';
import { SyncServer } from './sync/sync-server.js';
import { GRPC_SERVER_OPTIONS } from './sync/stream-limits.js';
import { checkManagementListen } from './listen-policy.js';
import { chooseStartupConfig } from './state/startup-config.js';
import type { OperatorState, StateStore } from './state/state-store.js';
import { isNacked, isOnVersion } from './sync/on-version.js';

export type { ReloadOutcome } from './config-rollout.js';

export const CONTROL_PLANE_VERSION = '0.1.0';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** When set, data planes and golbctl must present a client certificate signed by it. */
  caFile?: string;
}

export interface ControlPlaneOptions {
  configPath: string;
  grpcHost?: string;
  grpcPort: number;
  adminHost?: string;
  /** -1 = no admin HTTP. */
  adminPort: number;
  /** Sets both tokens below when they are not given (the simple case). */
  token?: string;
  /** Operator credential: the Admin service (golbctl) and the admin HTTP API. */
  adminToken?: string;
  /** Data-plane credential: the Sync stream only. */
  dataplaneToken?: string;
  /** Start even when a port beyond loopback has no credentials (logs a warning). */
  insecure?: boolean;
  /** Names the admin HTTP answers to besides loopback and its listen address (--admin-host-name). */
  adminHostNames?: string[];
  tls?: TlsFiles;
  overrides?: Overrides;
  /** Cookie secret when the config sets none (default: GOLB_COOKIE_SECRET, else random per start). */
  cookieSecret?: string;
  /** Keeps the operator state across restarts (state/dir-store.ts); without it, it lives in memory only. */
  stateStore?: StateStore;
  log?: (line: string) => void;
  /** Most concurrent sync streams (--max-dataplanes; default SYNC_LIMITS.maxStreams); more are refused with RESOURCE_EXHAUSTED. */
  maxDataPlanes?: number;
  /** On close, how long open gRPC calls (sync streams, Reload) may take to end before they are cancelled; default 2000. */
  shutdownGraceMs?: number;
}

export interface ControlPlane {
  readonly grpcPort: number;
  /** -1 when there is no admin HTTP. */
  readonly adminPort: number;
  readonly store: ConfigStore;
  /** Re-reads the config file (SIGHUP). Invalid: nothing changes, errors returned with file:line:col. */
  reload(): Promise<ReloadOutcome>;
  close(): Promise<void>;
}

export class StartupError extends Error {}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const startedAt = Date.now();
  const adminToken = opts.adminToken || opts.token || undefined;
  const dataplaneToken = opts.dataplaneToken || opts.token || undefined;
  // Before anything is read or bound: a management port open to the network is not started by accident.
  const verdict = checkManagementListen({
    grpcHost: opts.grpcHost ?? '127.0.0.1',
    adminHost: opts.adminPort >= 0 ? (opts.adminHost ?? '127.0.0.1') : undefined,
    adminToken,
    dataplaneToken,
    mutualTls: opts.tls?.caFile !== undefined,
    insecure: opts.insecure === true,
  });
  if (verdict.refusals.length > 0) throw new StartupError(`not starting:\n${verdict.refusals.join('\n')}`);
  for (const w of verdict.warnings) log(`[golb] ${w}`);
  const overrides = opts.overrides ?? {};
  const overrideErrors = checkOverrides({ algorithm: overrides.algorithm, persistence: overrides.persistence });
  if (overrideErrors.length > 0) throw new StartupError(overrideErrors.join('\n'));

  let cookieSecret = opts.cookieSecret ?? process.env.GOLB_COOKIE_SECRET;
  if (!cookieSecret) {
    cookieSecret = randomBytes(32).toString('base64url');
  }
  let saved: OperatorState | undefined;
  try {
    saved = await opts.stateStore?.load();
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  const store = new ConfigStore(opts.configPath, overrides, cookieSecret, opts.stateStore);
  store.restore(saved);
  const first = await chooseStartupConfig(store, saved, log);
  if (!first.ok) throw new StartupError(`invalid config, not starting:\n${formatErrors(first.errors).join('\n')}`);
  for (const w of first.warnings) log(formatConfigError(w));
  if (!first.config.cookie.secret && !opts.cookieSecret && !process.env.GOLB_COOKIE_SECRET) {
    log('[golb] no cookie secret configured: a random one is used, so sticky sessions re-pin when the control plane restarts (set `cookie secret=...` or GOLB_COOKIE_SECRET)');
    if (opts.stateStore?.watch) log('[golb] replicas on a shared store need one cookie secret: without it each replica builds a different snapshot from the same config');
  }

  const sync = new SyncServer({ token: dataplaneToken, current: () => store.snapshot, log, maxStreams: opts.maxDataPlanes });
  const rollout = new ConfigRollout({ store, sync, log });
  try {
    await rollout.start(first);
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  log(`[golb] config ${opts.configPath} loaded: version ${store.snapshot!.version}`);

  const admin = new AdminService({ store, sync, adminToken, dataplaneToken, startedAt, log, rollout, discovery: () => rollout.discovery.status() });
  admin.resumeDrains();
  // Replicas on a shared store: what another replica saves runs here too, drains included.
  store.onChange(() => admin.resumeDrains());
  opts.stateStore?.watch?.((state) => void rollout.adopt(state));

  const proto = loadProto();
  const server = new grpc.Server({ 'grpc.keepalive_permit_without_calls': 1, 'grpc.http2.min_ping_interval_without_data_ms': 5000, ...GRPC_SERVER_OPTIONS });
  server.addService(proto.golb.v1.Sync.service, sync.handlers);
  server.addService(proto.golb.v1.Admin.service, admin.handlers);
  const credentials = opts.tls
    ? grpc.ServerCredentials.createSsl(
        opts.tls.caFile ? readFileSync(opts.tls.caFile) : null,
        [{ cert_chain: readFileSync(opts.tls.certFile), private_key: readFileSync(opts.tls.keyFile) }],
        opts.tls.caFile !== undefined,
      )
    : grpc.ServerCredentials.createInsecure();
  const grpcHost = opts.grpcHost ?? '127.0.0.1';
  const grpcPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${grpcHost.includes(':') ? `[${grpcHost}]` : grpcHost}:${opts.grpcPort}`, credentials, (err, port) => {
      if (err) reject(new StartupError(`cannot listen for gRPC on ${grpcHost}:${opts.grpcPort}: ${err.message}`));
      else resolve(port);
    });
  });

  let adminServer: http.Server | undefined;
  if (opts.adminPort >= 0) {
    const host = opts.adminHost ?? '127.0.0.1';
    adminServer = createAdminHttpServer({
      aggregate: () => admin.aggregate(),
      health: () => {
        const live = sync.connected();
        const version = store.snapshot?.version ?? '';
        return {
          status: 'ok',
          version,
          generation: store.snapshot?.generation ?? '0',
          uptime: Math.floor((Date.now() - startedAt) / 1000),
          dataplanes: {
            connected: live.length,
            acked: live.filter((d) => isOnVersion(d, version)).length,
            nacked: live.filter(isNacked).length,
          },
        };
      },
    }, { listenHost: host, hostNames: opts.adminHostNames, token: adminToken });
    await new Promise<void>((resolve, reject) => {
      adminServer!.once('error', (err: NodeJS.ErrnoException) =>
        reject(new StartupError(err.code === 'EADDRINUSE' ? `admin port ${opts.adminPort} is already in use on ${host}` : err.message)),
      );
      adminServer!.listen(opts.adminPort, host, () => resolve());
    });
  }
  const adminPort = adminServer ? (adminServer.address() as AddressInfo).port : -1;

  let closed: Promise<void> | undefined;
  return {
    grpcPort,
    adminPort,
    store,
    reload: () => rollout.reloadOwnFile(),
    close: () =>
      (closed ??= (async () => {
        admin.stop();
        rollout.stop();
        sync.closeAll();
        await shutdownGrpcServer(server, opts.shutdownGraceMs);
        if (adminServer) {
          // Every connection goes at once: a client holding half a request cannot delay the exit.
          const closedHttp = new Promise<void>((resolve) => adminServer!.close(() => resolve()));
          adminServer.closeAllConnections();
          await closedHttp;
        }
      })()),
  };
}

// A control plane: the config store, the gRPC server (Sync for data planes, Admin for golbctl) and
// the admin HTTP API. The `golb` launcher is the only caller that wires it into a process.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadProto, type Snapshot } from '../proto/index.js';
import { AdminService } from './admin/admin-service.js';
import { createAdminHttpServer } from './admin/admin-http.js';
import { ConfigStore, formatErrors, type Candidate, type Overrides } from './config-store.js';
import { formatConfigError } from './config/errors.js';
import { checkOverrides } from './snapshot/build-snapshot.js';
import { SyncServer } from './sync/sync-server.js';
import { chooseStartupConfig } from './state/startup-config.js';
import type { OperatorState, StateStore } from './state/state-store.js';

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
  token?: string;
  tls?: TlsFiles;
  overrides?: Overrides;
  /** Cookie secret when the config sets none (default: GOLB_COOKIE_SECRET, else random per start). */
  cookieSecret?: string;
  /** Keeps the operator state across restarts (state/dir-store.ts); without it, it lives in memory only. */
  stateStore?: StateStore;
  log?: (line: string) => void;
}

export interface ReloadOutcome {
  ok: boolean;
  version?: string;
  errors?: string[];
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

  const sync = new SyncServer({ token: opts.token, current: () => store.snapshot, log });
  store.onChange((s: Snapshot) => sync.broadcast(s));
  try {
    await store.commit(first);
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  log(`[golb] config ${opts.configPath} loaded: version ${store.snapshot!.version}`);

  const apply = async (candidate: Extract<Candidate, { ok: true }>): Promise<Snapshot> => {
    for (const w of candidate.warnings) log(formatConfigError(w));
    const before = store.snapshot?.version;
    const s = await store.commit(candidate);
    if (s.version !== before) log(`[golb] config version ${s.version} pushed to ${sync.connected().length} data plane(s)`);
    return s;
  };
  const admin = new AdminService({ store, sync, token: opts.token, startedAt, log, apply });
  admin.resumeDrains();
  // Replicas on a shared store: what another replica saves runs here too, drains included.
  store.onChange(() => admin.resumeDrains());
  opts.stateStore?.watch?.((state) => void store.adopt(state, log));

  const proto = loadProto();
  const server = new grpc.Server({ 'grpc.keepalive_permit_without_calls': 1, 'grpc.http2.min_ping_interval_without_data_ms': 5000 });
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
            acked: live.filter((d) => d.ackedVersion === version && d.ackState === 'ACKED').length,
            nacked: live.filter((d) => d.ackState === 'NACKED').length,
          },
        };
      },
    });
    const host = opts.adminHost ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      adminServer!.once('error', (err: NodeJS.ErrnoException) =>
        reject(new StartupError(err.code === 'EADDRINUSE' ? `admin port ${opts.adminPort} is already in use on ${host}` : err.message)),
      );
      adminServer!.listen(opts.adminPort, host, () => resolve());
    });
  }
  const adminPort = adminServer ? (adminServer.address() as AddressInfo).port : -1;

  let reloading = Promise.resolve<ReloadOutcome>({ ok: true });
  const reload = (): Promise<ReloadOutcome> => {
    // One reload at a time, in order.
    reloading = reloading.then(async () => {
      const candidate = await store.readOwnFile();
      if (!candidate.ok) {
        const errors = formatErrors(candidate.errors);
        log(`[golb] reload rejected, nothing changed:\n${errors.join('\n')}`);
        return { ok: false, errors };
      }
      try {
        return { ok: true, version: (await apply(candidate)).version };
      } catch (err) {
        log(`[golb] reload not applied: ${(err as Error).message}`);
        return { ok: false, errors: [(err as Error).message] };
      }
    });
    return reloading;
  };

  let closed: Promise<void> | undefined;
  return {
    grpcPort,
    adminPort,
    store,
    reload,
    close: () =>
      (closed ??= (async () => {
        admin.stop();
        sync.closeAll();
        await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        server.forceShutdown();
        if (adminServer) {
          adminServer.closeAllConnections();
          await new Promise<void>((resolve) => adminServer!.close(() => resolve()));
        }
      })()),
  };
}

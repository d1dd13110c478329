// The Admin gRPC service golbctl talks to: stats, reload (admin/reload-call.ts), validate,
// drain/undrain with fleet-wide progress, data planes, health and the running config.
import * as grpc from '@grpc/grpc-js';
import type { AdminHandlers } from '../../proto/gen/golb/v1/Admin.js';
import type { BackendRef } from '../../proto/gen/golb/v1/BackendRef.js';
import type { BackendSpec } from '../../proto/index.js';
import { checkAdminCall } from '../auth.js';
import { redactConfigText } from '../config/redact-secrets.js';
import { dataPlaneInfo } from '../aggregate/data-plane-info.js';
import { aggregate, type FleetAggregate } from '../aggregate/fleet-stats.js';
import { toFleetStats } from '../aggregate/fleet-stats-message.js';
import { DEFAULT_LIMITS } from '../config/model.js';
import type { ConfigRollout } from '../config-rollout.js';
import type { ConfigStore } from '../config-store.js';
import { isOnVersion } from '../sync/on-version.js';
import type { SyncServer } from '../sync/sync-server.js';
import { discoveryMessages, withDiscoveredFrom } from '../discovery/discovery-report.js';
import type { DiscoveryStatus } from '../discovery/dns-discovery.js';
import { StateStoreError } from '../state/state-store.js';
import { errorMessage } from './config-error-message.js';
import { serveReload } from './reload-call.js';

export interface AdminServiceDeps {
  store: ConfigStore;
  sync: SyncServer;
  /** Operator token every Admin RPC needs (none: open, which only a loopback listener allows). */
  adminToken?: string;
  /** The data planes' token, named so a call that carries it can be told it is the wrong kind. */
  dataplaneToken?: string;
  startedAt: number;
  log(line: string): void;
  /** Every change to the running config goes through it (reload, drains), as SIGHUP's does. */
  rollout: ConfigRollout;
  /** DNS discovery: every resolved name and its last outcome. */
  discovery?: () => DiscoveryStatus[];
}

export class AdminService {
  readonly #d: AdminServiceDeps;
  readonly #drainTimers = new Map<string, NodeJS.Timeout>();

  constructor(deps: AdminServiceDeps) {
    this.#d = deps;
  }

  aggregate(): FleetAggregate {
    return aggregate({ snapshot: this.#d.store.snapshot, sessions: this.#d.sync.sessions.values(), reports: this.#d.sync.reports.values(), startedAt: this.#d.startedAt });
  }

  stop(): void {
    for (const t of this.#drainTimers.values()) clearTimeout(t);
    this.#drainTimers.clear();
  }

  #refusal(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): Partial<grpc.StatusObject> | undefined {
    const refused = checkAdminCall(call.metadata, this.#d.adminToken, this.#d.dataplaneToken);
    if (refused) this.#d.log(`[admin] refused a call from ${call.getPeer()}: ${refused.details}`);
    return refused;
  }

  /** Guards a unary handler with the token check and turns thrown errors into gRPC statuses. */
  #unary<Req, Res>(fn: (req: Req) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const refused = this.#refusal(call);
      if (refused) {
        callback(refused as grpc.ServiceError);
        return;
      }
      Promise.resolve()
        .then(() => fn(call.request))
        .then(
          (res) => callback(null, res),
          (err: Error & { code?: grpc.status }) => {
            const code = err instanceof StateStoreError ? grpc.status.UNAVAILABLE : typeof err.code === 'number' ? err.code : grpc.status.INTERNAL;
            callback({ code, details: err.message } as grpc.ServiceError);
          },
        );
    };
  }

  readonly handlers: AdminHandlers = {
    GetStats: this.#unary((req) => ({
      ...withDiscoveredFrom(toFleetStats(this.aggregate(), { pool: req.pool || undefined, dataplane: req.dataplane || undefined }), this.#d.store.snapshot),
      discovery: discoveryMessages(this.#d.discovery?.() ?? []),
    })),
    ListDataPlanes: this.#unary(() => ({ dataplanes: [...this.#d.sync.sessions.values()].map(dataPlaneInfo) })),
    Validate: this.#unary((req) => {
      const c = this.#d.store.prepare(req.content, req.filename || 'config', { external: false });
      return c.ok ? { ok: true, errors: c.warnings.map(errorMessage), version: c.snapshot.version } : { ok: false, errors: c.errors.map(errorMessage), version: '' };
    }),
    GetConfig: this.#unary(() => {
      const s = this.#d.store.snapshot;
      const redacted = s ? { ...s, cookie: s.cookie ? { ...s.cookie, secret: '<redacted>', previous_secrets: s.cookie.previous_secrets.map(() => '<redacted>') } : null } : null;
      return { version: s?.version ?? '', source: this.#d.store.path, text: redactConfigText(this.#d.store.text), snapshot_json: JSON.stringify(redacted, null, 2) };
    }),
    GetHealth: this.#unary(() => {
      const s = this.#d.store.snapshot;
      const live = [...this.#d.sync.sessions.values()].filter((x) => x.connected);
      return {
        version: s?.version ?? '',
        backends: (s?.pools ?? []).flatMap((p) =>
          p.backends.map((b) => {
            const per = live.flatMap((dp) => {
              const h = dp.health.get(b.id);
              return h ? [{ dataplane_id: dp.id, healthy: h.healthy, reason: h.reason, since_unix_ms: h.since_unix_ms }] : [];
            });
            return {
              id: b.id,
              url: b.url,
              pool: p.name,
              admin_state: b.admin_state.toLowerCase(),
              healthy_on: per.filter((x) => x.healthy).length,
              dataplanes: per.length,
              per_dataplane: per,
              discovered_from: b.discovered_from,
            };
          }),
        ),
        discovery: discoveryMessages(this.#d.discovery?.() ?? []),
      };
    }),
    Drain: this.#unary((req) => this.#setDrain(req.backend, req.pool, req.timeout_ms, true)),
    Undrain: this.#unary((req) => this.#setDrain(req.backend, req.pool, 0, false)),
    GetDrainStatus: this.#unary((req) => {
      const found = this.#resolve(req.backend, req.pool);
      const agg = this.aggregate();
      const version = this.#d.store.snapshot?.version;
      const live = [...this.#d.sync.sessions.values()].filter((x) => x.connected);
      const applied = live.filter((x) => isOnVersion(x, version)).length;
      return {
        backends: found.map(({ pool, backend }) => {
          const row = agg.pools.find((p) => p.name === pool)?.backends.find((b) => b.id === backend.id);
          const inFlight = row?.inFlight ?? 0;
          const ws = row?.openWebSockets ?? 0;
          return {
            backend: ref(pool, backend),
            in_flight: String(inFlight),
            open_websockets: String(ws),
            dataplanes_applied: applied,
            dataplanes: live.length,
            safe_to_remove: backend.admin_state !== 'READY' && applied === live.length && inFlight === 0 && ws === 0,
          };
        }),
      };
    }),
    Reload: (call) => {
      const refused = this.#refusal(call);
      if (refused) {
        call.emit('error', refused);
        return;
      }
      void serveReload(call, { store: this.#d.store, sync: this.#d.sync, rollout: this.#d.rollout, log: this.#d.log });
    },
  };

  /** Backends a golbctl argument names; NOT_FOUND / FAILED_PRECONDITION when none / ambiguous. */
  #resolve(backend: string, pool: string): Array<{ pool: string; backend: BackendSpec }> {
    const found = this.#d.store.findBackends(backend, pool || undefined);
    if (found.length === 0) {
      const known = (this.#d.store.snapshot?.pools ?? []).flatMap((p) => p.backends.map((b) => b.url));
      throw Object.assign(new Error(`no backend ${backend}${pool ? ` in pool ${pool}` : ''} (known: ${[...new Set(known)].join(', ') || 'none'})`), { code: grpc.status.NOT_FOUND });
    }
    const pools = [...new Set(found.map((f) => f.pool))];
    if (pools.length > 1) {
      throw Object.assign(new Error(`${backend} is in pools ${pools.join(', ')}; name one with --pool`), { code: grpc.status.FAILED_PRECONDITION });
    }
    return found;
  }

  async #setDrain(backend: string, pool: string, timeoutMs: number, drain: boolean) {
    const found = this.#resolve(backend, pool);
    const store = this.#d.store;
    const graceMs = timeoutMs || store.snapshot?.limits?.drain_timeout_ms || DEFAULT_LIMITS.drainTimeoutMs;
    const deadline = Date.now() + graceMs;
    const changes = new Map<string, { state: 'DRAINING'; deadline: number } | undefined>();
    for (const { backend: b } of found) changes.set(b.id, drain ? { state: 'DRAINING', deadline } : undefined);
    // Saved first: a change the state store refuses arms no timer.
    const snapshot = await this.#d.rollout.setAdmin(changes);
    for (const id of changes.keys()) {
      clearTimeout(this.#drainTimers.get(id));
      this.#drainTimers.delete(id);
      if (drain) this.#armDrainTimer(id, deadline);
    }
    this.#d.log(`[drain] ${drain ? `draining ${[...changes.keys()].join(', ')} for ${graceMs} ms` : `${[...changes.keys()].join(', ')} back to ready`}`);
    const refs: BackendRef[] = found.map(({ pool: p }) => p).flatMap((p) => {
      const spec = snapshot.pools.find((x) => x.name === p)?.backends.filter((b) => changes.has(b.id)) ?? [];
      return spec.map((b) => ref(p, b));
    });
    return { backends: dedupe(refs), version: snapshot.version };
  }

  /** Re-arms the timers of drains restored from a state store (a deadline already past fires at once). */
  resumeDrains(): void {
    for (const p of this.#d.store.snapshot?.pools ?? []) {
      for (const b of p.backends) {
        const o = this.#d.store.adminOverride(b.id);
        if (o?.state === 'DRAINING' && !this.#drainTimers.has(b.id)) this.#armDrainTimer(b.id, o.deadline);
      }
    }
  }

  #armDrainTimer(id: string, deadline: number): void {
    const store = this.#d.store;
    const timer = setTimeout(() => {
      this.#drainTimers.delete(id);
      if (store.adminOverride(id)?.state !== 'DRAINING') return;
      this.#d.rollout.setAdmin(new Map([[id, { state: 'MAINTENANCE' as const }]])).then(
        () => this.#d.log(`[drain] ${id} is in maintenance`),
        (err: Error) => {
          // The state store refused: stay draining (the data planes' own deadline still applies) and retry.
          this.#d.log(`[drain] cannot move ${id} to maintenance yet: ${err.message}`);
          if (!this.#drainTimers.has(id)) this.#armDrainTimer(id, Date.now() + 1000);
        },
      );
    }, Math.max(0, deadline - Date.now()));
    timer.unref();
    this.#drainTimers.set(id, timer);
  }
}

function ref(pool: string, b: BackendSpec): BackendRef {
  return { id: b.id, url: b.url, pool, admin_state: b.admin_state.toLowerCase(), drain_deadline_unix_ms: b.drain_deadline_unix_ms };
}

function dedupe(refs: BackendRef[]): BackendRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => (seen.has(r.id!) ? false : (seen.add(r.id!), true)));
}

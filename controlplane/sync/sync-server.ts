// The control plane's end of the sync stream (state of the world, as in Envoy's xDS): on hello,
// push the current snapshot with a fresh nonce; on every change, push the new one to everybody.
// ACK/NACKs count only for the nonce last sent; a NACKed version is not re-sent to that data plane
// until the config changes again (or it reconnects).
import * as grpc from '@grpc/grpc-js';
import { nanoid } from 'nanoid';
import type { Snapshot } from '../../proto/index.js';
import type { BackendHealth__Output } from '../../proto/gen/golb/v1/BackendHealth.js';
import type { ControlPlaneMessage } from '../../proto/gen/golb/v1/ControlPlaneMessage.js';
import type { DataPlaneMessage__Output } from '../../proto/gen/golb/v1/DataPlaneMessage.js';
import type { Hello__Output } from '../../proto/gen/golb/v1/Hello.js';
import type { StatsReport__Output } from '../../proto/gen/golb/v1/StatsReport.js';
import type { SyncHandlers } from '../../proto/gen/golb/v1/Sync.js';
import { authorized, UNAUTHENTICATED } from '../auth.js';

export type AckState = 'PENDING' | 'ACKED' | 'NACKED';

/** What the control plane knows about one data plane. */
export interface DataPlaneSession {
  id: string;
  hello: Hello__Output;
  address: string;
  connected: boolean;
  connectedSince: number;
  disconnectedAt: number;
  lastSentVersion: string;
  lastSentNonce: string;
  ackedVersion: string;
  ackState: AckState;
  nackVersion: string;
  nackErrors: string[];
  lastReportAt: number;
  /** Latest verdict per backend id. */
  health: Map<string, BackendHealth__Output>;
  /** Latest cumulative stats of the current incarnation. */
  stats: StatsReport__Output | undefined;
}

export type SyncEvent =
  | { type: 'ack'; session: DataPlaneSession; version: string }
  | { type: 'nack'; session: DataPlaneSession; version: string; errors: string[] }
  | { type: 'connected' | 'disconnected'; session: DataPlaneSession }
  | { type: 'health'; session: DataPlaneSession; backends: BackendHealth__Output[] }
  | { type: 'stats'; session: DataPlaneSession };

type Call = grpc.ServerDuplexStream<DataPlaneMessage__Output, ControlPlaneMessage>;

export interface SyncServerOptions {
  token?: string;
  current(): Snapshot | undefined;
  log(line: string): void;
}

export class SyncServer {
  readonly sessions = new Map<string, DataPlaneSession>();
  /** Cumulative stats per data plane incarnation (id + start time): totals never go backwards. */
  readonly reports = new Map<string, StatsReport__Output>();
  readonly #opts: SyncServerOptions;
  readonly #calls = new Map<string, Call>();
  readonly #listeners = new Set<(e: SyncEvent) => void>();

  constructor(opts: SyncServerOptions) {
    this.#opts = opts;
  }

  on(fn: (e: SyncEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  readonly handlers: SyncHandlers = {
    Stream: (call: Call) => this.#accept(call),
  };

  /** Pushes `snapshot` to every connected data plane. */
  broadcast(snapshot: Snapshot): void {
    for (const [id, call] of this.#calls) {
      const session = this.sessions.get(id);
      if (session) this.#push(session, call, snapshot);
    }
  }

  connected(): DataPlaneSession[] {
    return [...this.sessions.values()].filter((s) => s.connected);
  }

  /** Ends every stream (control plane shutdown): data planes keep serving and reconnect. */
  closeAll(): void {
    for (const call of this.#calls.values()) call.end();
    this.#calls.clear();
  }

  #emit(e: SyncEvent): void {
    for (const fn of this.#listeners) fn(e);
  }

  #push(session: DataPlaneSession, call: Call, snapshot: Snapshot): void {
    session.lastSentVersion = snapshot.version;
    session.lastSentNonce = nanoid(12);
    session.ackState = 'PENDING';
    call.write({ snapshot: { snapshot, nonce: session.lastSentNonce } });
  }

  #accept(call: Call): void {
    if (!authorized(call.metadata, this.#opts.token)) {
      this.#opts.log(`[sync] refused a data plane from ${call.getPeer()}: missing or wrong token`);
      call.emit('error', UNAUTHENTICATED);
      return;
    }
    let session: DataPlaneSession | undefined;
    const onMessage = (msg: DataPlaneMessage__Output) => {
      if (msg.hello) {
        session = this.#hello(call, msg.hello);
        return;
      }
      if (!session) {
        call.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: 'the first message must be hello' });
        return;
      }
      // A stream replaced by a newer one for the same id no longer speaks for it.
      if (this.#calls.get(session.id) !== call) return;
      if (msg.ack) this.#ack(session, msg.ack.version, msg.ack.nonce);
      else if (msg.nack) this.#nack(session, msg.nack.version, msg.nack.nonce, msg.nack.errors);
      else if (msg.health) this.#health(session, msg.health.backends, msg.health.complete);
      else if (msg.stats) this.#stats(session, msg.stats);
    };
    call.on('data', onMessage);
    const gone = () => {
      if (!session || this.#calls.get(session.id) !== call) return;
      this.#calls.delete(session.id);
      session.connected = false;
      session.disconnectedAt = Date.now();
      this.#opts.log(`[sync] data plane ${session.id} disconnected`);
      this.#emit({ type: 'disconnected', session });
    };
    call.on('end', () => {
      gone();
      call.end();
    });
    call.on('cancelled', gone);
    call.on('error', gone);
    call.on('close', gone);
  }

  #hello(call: Call, hello: Hello__Output): DataPlaneSession {
    const id = hello.id || `anonymous-${nanoid(6)}`;
    const previous = this.#calls.get(id);
    if (previous && previous !== call) previous.end();
    const old = this.sessions.get(id);
    const session: DataPlaneSession = {
      id,
      hello,
      address: call.getPeer(),
      connected: true,
      connectedSince: Date.now(),
      disconnectedAt: 0,
      lastSentVersion: '',
      lastSentNonce: '',
      ackedVersion: hello.current_version || (old?.ackedVersion ?? ''),
      ackState: 'PENDING',
      nackVersion: '',
      nackErrors: [],
      lastReportAt: Date.now(),
      health: new Map(),
      stats: old && old.hello.started_unix_ms === hello.started_unix_ms ? old.stats : undefined,
    };
    this.sessions.set(id, session);
    this.#calls.set(id, call);
    this.#opts.log(`[sync] data plane ${id} connected from ${session.address}`);
    const snapshot = this.#opts.current();
    if (snapshot) this.#push(session, call, snapshot);
    this.#emit({ type: 'connected', session });
    return session;
  }

  #ack(session: DataPlaneSession, version: string, nonce: string): void {
    session.lastReportAt = Date.now();
    if (nonce !== session.lastSentNonce) return; // stale: answers a snapshot that has been superseded
    session.ackedVersion = version;
    session.ackState = 'ACKED';
    session.nackVersion = '';
    session.nackErrors = [];
    this.#emit({ type: 'ack', session, version });
  }

  #nack(session: DataPlaneSession, version: string, nonce: string, errors: string[]): void {
    session.lastReportAt = Date.now();
    if (nonce !== session.lastSentNonce) return;
    session.ackState = 'NACKED';
    session.nackVersion = version;
    session.nackErrors = errors;
    this.#opts.log(`[sync] data plane ${session.id} rejected version ${version}: ${errors.join('; ')}`);
    this.#emit({ type: 'nack', session, version, errors });
  }

  #health(session: DataPlaneSession, backends: BackendHealth__Output[], complete: boolean): void {
    session.lastReportAt = Date.now();
    if (complete) session.health.clear();
    for (const b of backends) {
      const before = session.health.get(b.backend_id);
      session.health.set(b.backend_id, b);
      if (!complete && before?.healthy !== b.healthy) {
        this.#opts.log(`[health] ${b.backend_id} ${b.healthy ? 'healthy' : 'unhealthy'} on ${session.id}${b.reason ? `: ${b.reason}` : ''}`);
      }
    }
    this.#emit({ type: 'health', session, backends });
  }

  #stats(session: DataPlaneSession, stats: StatsReport__Output): void {
    session.lastReportAt = Date.now();
    session.stats = stats;
    this.reports.set(`${session.id}@${stats.started_unix_ms}`, stats);
    this.#emit({ type: 'stats', session });
  }
}

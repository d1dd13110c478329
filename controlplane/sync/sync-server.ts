// The control plane's end of the sync stream (state of the world, as in Envoy's xDS): on hello,
// push the current snapshot with a fresh nonce; on every change, push the new one to everybody.
// ACK/NACKs count only for the nonce last sent; a NACKed version is not re-sent to that data plane
// until the config changes again (or it reconnects).
//
// One stream is one data plane: exactly one hello, first (a second is a protocol error that ends
// the stream). When the stream ends, the session is marked disconnected, listed for a grace period,
// then forgotten; its counters stay in the fleet totals (IncarnationLedger). An id already held by
// a live stream is refused (ALREADY_EXISTS) — unless the new hello comes from the same incarnation
// (same hostname and started_unix_ms): a data plane process keeps one stream at a time, so its old
// stream is dead even if the control plane has not noticed yet, and the new one replaces it. A
// stream whose transport is gone is never live: grpc keepalive pings find silently dead peers.
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
import { DEFAULT_LEDGER_LIMITS, IncarnationLedger } from './incarnation-ledger.js';
import { checkHello, SYNC_LIMITS } from './stream-limits.js';

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
  /** The data plane serves a config from its on-disk cache, saved at this time (ms); 0 once it ACKs a push. */
  cachedSince: number;
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
  /** Most concurrent streams (default SYNC_LIMITS.maxStreams); one more gets RESOURCE_EXHAUSTED. */
  maxStreams?: number;
  /** How long a stream may take to say hello (default SYNC_LIMITS.helloTimeoutMs). */
  helloTimeoutMs?: number;
  /** How long a disconnected data plane stays listed, and its counters apart (default 10 min). */
  departedTtlMs?: number;
  /** Most disconnected data planes listed (default 1000); the oldest are forgotten first. */
  maxDeparted?: number;
  now?: () => number;
}

/** Ends a server stream with a status (grpc-js turns an emitted 'error' into the trailers). */
function refuse(call: Call, code: grpc.status, details: string): void {
  call.emit('error', { code, details });
}

const incarnation = (s: DataPlaneSession) => `${s.id}@${s.hello.started_unix_ms}`;

export class SyncServer {
  /** Connected data planes and, for a grace period, disconnected ones. */
  readonly sessions = new Map<string, DataPlaneSession>();
  /** Cumulative stats per data plane incarnation (id + start time): totals never go backwards. */
  readonly reports: IncarnationLedger;
  readonly #opts: SyncServerOptions;
  /** The live stream of each connected data plane. */
  readonly #calls = new Map<string, Call>();
  /** Every open stream, with or without a hello yet (what --max-dataplanes bounds). */
  readonly #streams = new Set<Call>();
  readonly #listeners = new Set<(e: SyncEvent) => void>();
  readonly #pruneTimer: NodeJS.Timeout;
  readonly #now: () => number;
  #lastPrune = 0;

  constructor(opts: SyncServerOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.reports = new IncarnationLedger({ departedTtlMs: opts.departedTtlMs, maxDeparted: opts.maxDeparted });
    const ttl = opts.departedTtlMs ?? DEFAULT_LEDGER_LIMITS.departedTtlMs;
    this.#pruneTimer = setInterval(() => this.prune(), Math.max(1_000, Math.min(60_000, ttl / 2)));
    this.#pruneTimer.unref();
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

  /** Forgets disconnected data planes past the grace period or beyond the cap (counters are kept). */
  prune(now = this.#now()): void {
    this.#lastPrune = now;
    const ttl = this.#opts.departedTtlMs ?? DEFAULT_LEDGER_LIMITS.departedTtlMs;
    const cap = this.#opts.maxDeparted ?? DEFAULT_LEDGER_LIMITS.maxDeparted;
    const departed = [...this.sessions.values()].filter((s) => !s.connected).sort((a, b) => a.disconnectedAt - b.disconnectedAt);
    departed.forEach((s, i) => {
      if (i < departed.length - cap || now - s.disconnectedAt >= ttl) this.sessions.delete(s.id);
    });
    this.reports.prune(now);
  }

  /** Ends every stream (control plane shutdown): data planes keep serving and reconnect. */
  closeAll(): void {
    clearInterval(this.#pruneTimer);
    for (const call of this.#streams) call.end();
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
    const maxStreams = this.#opts.maxStreams ?? SYNC_LIMITS.maxStreams;
    if (this.#streams.size >= maxStreams) {
      this.#opts.log(`[sync] refused a data plane from ${call.getPeer()}: ${maxStreams} streams already open (--max-dataplanes)`);
      refuse(call, grpc.status.RESOURCE_EXHAUSTED, `the control plane serves at most ${maxStreams} data planes (--max-dataplanes)`);
      return;
    }
    this.#streams.add(call);
    let session: DataPlaneSession | undefined;
    let over = false;
    /** Ends the stream for a protocol violation; later messages are ignored. */
    const fail = (code: grpc.status, details: string) => {
      if (over) return;
      this.#opts.log(`[sync] ended the stream from ${call.getPeer()}${session ? ` (data plane ${session.id})` : ''}: ${details}`);
      gone();
      refuse(call, code, details);
    };
    const helloTimer = setTimeout(
      () => fail(grpc.status.DEADLINE_EXCEEDED, 'no hello within the time allowed'),
      this.#opts.helloTimeoutMs ?? SYNC_LIMITS.helloTimeoutMs,
    );
    helloTimer.unref();
    const onMessage = (msg: DataPlaneMessage__Output) => {
      if (over) return;
      if (msg.hello) {
        if (session) return fail(grpc.status.FAILED_PRECONDITION, 'one hello per stream: hello was already sent');
        const problem = checkHello(msg.hello);
        if (problem) return fail(grpc.status.INVALID_ARGUMENT, problem);
        const admitted = this.#hello(call, msg.hello);
        if (typeof admitted === 'string') return fail(grpc.status.ALREADY_EXISTS, admitted);
        session = admitted;
        clearTimeout(helloTimer);
        return;
      }
      if (!session) return fail(grpc.status.FAILED_PRECONDITION, 'the first message must be hello');
      // A stream replaced by a newer one for the same incarnation no longer speaks for it.
      if (this.#calls.get(session.id) !== call) return;
      const entries = msg.health?.backends.length ?? Math.max(msg.stats?.backends.length ?? 0, msg.stats?.routes.length ?? 0);
      if (entries > SYNC_LIMITS.reportEntries) return fail(grpc.status.INVALID_ARGUMENT, `a report names at most ${SYNC_LIMITS.reportEntries} backends or routes`);
      if (msg.ack) this.#ack(session, msg.ack.version, msg.ack.nonce);
      else if (msg.nack) this.#nack(session, msg.nack.version, msg.nack.nonce, msg.nack.errors.slice(0, 100));
      else if (msg.health) {
        this.#health(session, msg.health.backends, msg.health.complete);
        if (session.health.size > SYNC_LIMITS.reportEntries) fail(grpc.status.INVALID_ARGUMENT, `health reports name more than ${SYNC_LIMITS.reportEntries} backends`);
      } else if (msg.stats) {
        if (msg.stats.started_unix_ms !== session.hello.started_unix_ms) {
          return fail(grpc.status.INVALID_ARGUMENT, 'stats: started_unix_ms differs from the hello\'s (one incarnation per stream)');
        }
        this.#stats(session, msg.stats);
      }
    };
    call.on('data', onMessage);
    const gone = () => {
      if (over) return;
      over = true;
      clearTimeout(helloTimer);
      this.#streams.delete(call);
      if (!session || this.#calls.get(session.id) !== call) return;
      const now = this.#now();
      this.#calls.delete(session.id);
      session.connected = false;
      session.disconnectedAt = now;
      this.reports.depart(incarnation(session), now);
      this.#opts.log(`[sync] data plane ${session.id} disconnected`);
      this.#emit({ type: 'disconnected', session });
      // At most once a second: a storm of departures costs one pass, and meanwhile at most
      // --max-dataplanes sessions can have departed on top of the cap.
      if (now - this.#lastPrune >= 1_000) this.prune(now);
    };
    call.on('end', () => {
      gone();
      call.end();
    });
    call.on('cancelled', gone);
    call.on('error', gone);
    call.on('close', gone);
  }

  /** Admits the data plane `hello` names, or says why not. */
  #hello(call: Call, hello: Hello__Output): DataPlaneSession | string {
    const id = hello.id || `anonymous-${nanoid(6)}`;
    const old = this.sessions.get(id);
    const previous = this.#calls.get(id);
    if (previous && old) {
      const sameIncarnation = hello.started_unix_ms !== '0' && hello.started_unix_ms === old.hello.started_unix_ms && hello.hostname === old.hello.hostname;
      if (!previous.cancelled && !sameIncarnation) {
        this.#opts.log(`[sync] refused a second stream for data plane ${id} from ${call.getPeer()}: it is connected from ${old.address}`);
        return `data plane id ${id} is already connected; give each data plane its own --id`;
      }
      // The previous stream is dead (its transport is gone, or its own process opened this one).
      this.#calls.delete(id);
      old.connected = false;
      old.disconnectedAt = this.#now();
      if (!sameIncarnation) this.reports.depart(incarnation(old), old.disconnectedAt);
      if (!previous.cancelled) {
        this.#opts.log(`[sync] data plane ${id} reconnected from ${call.getPeer()}: its previous stream is dropped`);
        refuse(previous, grpc.status.ABORTED, 'replaced by a newer stream from the same data plane');
      }
    }
    const session: DataPlaneSession = {
      id,
      hello,
      address: call.getPeer(),
      connected: true,
      connectedSince: this.#now(),
      disconnectedAt: 0,
      lastSentVersion: '',
      lastSentNonce: '',
      ackedVersion: hello.current_version || (old?.ackedVersion ?? ''),
      ackState: 'PENDING',
      cachedSince: Number(hello.cached_since_unix_ms) || 0,
      nackVersion: '',
      nackErrors: [],
      lastReportAt: this.#now(),
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
    session.lastReportAt = this.#now();
    if (nonce !== session.lastSentNonce) return; // stale: answers a snapshot that has been superseded
    session.ackedVersion = version;
    session.ackState = 'ACKED';
    session.cachedSince = 0;
    session.nackVersion = '';
    session.nackErrors = [];
    this.#emit({ type: 'ack', session, version });
  }

  #nack(session: DataPlaneSession, version: string, nonce: string, errors: string[]): void {
    session.lastReportAt = this.#now();
    if (nonce !== session.lastSentNonce) return;
    session.ackState = 'NACKED';
    session.nackVersion = version;
    session.nackErrors = errors;
    this.#opts.log(`[sync] data plane ${session.id} rejected version ${version}: ${errors.join('; ')}`);
    this.#emit({ type: 'nack', session, version, errors });
  }

  #health(session: DataPlaneSession, backends: BackendHealth__Output[], complete: boolean): void {
    session.lastReportAt = this.#now();
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
    session.lastReportAt = this.#now();
    session.stats = stats;
    this.reports.record(incarnation(session), stats);
    this.#emit({ type: 'stats', session });
  }
}

// The data plane's end of the sync stream: hello, apply each pushed snapshot and ACK or NACK it,
// stream health transitions at once and cumulative stats on an interval, and reconnect with
// jittered exponential backoff, serving the last good snapshot meanwhile.
import * as grpc from '@grpc/grpc-js';
import { loadProto, type Snapshot } from '../../proto/index.js';
import type { BackendHealth } from '../../proto/gen/golb/v1/BackendHealth.js';
import type { ControlPlaneMessage__Output } from '../../proto/gen/golb/v1/ControlPlaneMessage.js';
import type { DataPlaneMessage } from '../../proto/gen/golb/v1/DataPlaneMessage.js';
import type { Hello } from '../../proto/gen/golb/v1/Hello.js';
import type { StatsReport } from '../../proto/gen/golb/v1/StatsReport.js';
import { GenerationFence } from './generation-fence.js';
import { ControlPlaneList } from './control-plane-list.js';

export interface SyncClientOptions {
  /** host:port of the control plane's gRPC listener; several, comma-separated, to fail over between replicas. */
  address: string;
  /** Sent on every (re)connect; `current_version` is filled in from `currentVersion`. */
  hello: Hello;
  /** The version being served now ('' before the first snapshot), so a control plane that restarted knows what runs. */
  currentVersion?(): string;
  /** When the config being served came from the on-disk cache: when it was saved (else 0 / undefined). */
  cachedSince?(): number;
  token?: string;
  credentials?: grpc.ChannelCredentials;
  /** What already runs (a cached snapshot): the generation fence starts from it. */
  running?: { generation: string; version: string };
  /** Applies a snapshot; throws with the reason when it cannot (the client NACKs). */
  apply(snapshot: Snapshot): void;
  stats(): StatsReport;
  /** Every backend's current verdict, sent whole after (re)connecting. */
  healthView(): BackendHealth[];
  statsIntervalMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
  log?: (line: string) => void;
}

type Call = grpc.ClientDuplexStream<DataPlaneMessage, ControlPlaneMessage__Output>;

export class SyncClient {
  readonly #opts: SyncClientOptions;
  readonly #controlPlanes: ControlPlaneList;
  /** One channel per control plane address, made when first used. */
  readonly #clients = new Map<string, grpc.Client & { Stream(metadata: grpc.Metadata): Call }>();
  #call: Call | undefined;
  #connected = false;
  #stopped = false;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #statsTimer: NodeJS.Timeout | undefined;
  #lastError = '';
  readonly #fence = new GenerationFence();

  constructor(opts: SyncClientOptions) {
    this.#opts = opts;
    this.#controlPlanes = new ControlPlaneList(opts.address);
    if (opts.running) this.#fence.applied(opts.running.generation, opts.running.version);
  }

  #client(address: string): grpc.Client & { Stream(metadata: grpc.Metadata): Call } {
    let client = this.#clients.get(address);
    if (!client) {
      const Sync = loadProto().golb.v1.Sync;
      client = new Sync(address, this.#opts.credentials ?? grpc.credentials.createInsecure(), {
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 1,
        'grpc.initial_reconnect_backoff_ms': 250,
        'grpc.max_reconnect_backoff_ms': 2_000,
      }) as unknown as grpc.Client & { Stream(metadata: grpc.Metadata): Call };
      this.#clients.set(address, client);
    }
    return client;
  }

  /** The control plane address in use (or to be tried next). */
  get address(): string {
    return this.#controlPlanes.current;
  }

  /** True while a stream is open and has delivered at least one message. */
  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    this.#connect();
    const interval = this.#opts.statsIntervalMs ?? 1000;
    this.#statsTimer = setInterval(() => this.#send({ stats: this.#opts.stats() }), interval);
    this.#statsTimer.unref();
  }

  /** Reports health transitions as they happen (dropped while disconnected: the full view follows the reconnect). */
  sendHealth(transitions: BackendHealth[]): void {
    this.#send({ health: { backends: transitions, complete: false } });
  }

  /** Sends every backend's current verdict (after a new snapshot adds or removes backends). */
  sendFullHealth(): void {
    this.#send({ health: { backends: this.#opts.healthView(), complete: true } });
  }

  /** Sends a final stats report (so the last counts are not lost), then closes the stream. */
  stop(): void {
    if (this.#stopped) return;
    this.#send({ stats: this.#opts.stats() });
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#statsTimer);
    const call = this.#call;
    this.#call = undefined;
    call?.end();
    // Give the last messages a moment on the wire before the channel goes.
    setTimeout(() => {
      for (const c of this.#clients.values()) c.close();
    }, 50).unref();
  }

  #connect(): void {
    if (this.#stopped) return;
    const metadata = new grpc.Metadata();
    if (this.#opts.token) metadata.set('authorization', `Bearer ${this.#opts.token}`);
    const call = this.#client(this.#controlPlanes.current).Stream(metadata);
    this.#call = call;
    call.on('data', (msg: ControlPlaneMessage__Output) => {
      if (!this.#connected) {
        this.#connected = true;
        this.#failures = 0;
        this.#opts.log?.(`[sync] connected to control plane at ${this.#controlPlanes.current}`);
      }
      if (msg.snapshot?.snapshot) this.#onSnapshot(msg.snapshot.snapshot, msg.snapshot.nonce);
    });
    call.on('error', (err: grpc.ServiceError) => this.#onBroken(call, err.details || err.message));
    call.on('end', () => this.#onBroken(call, 'stream ended by control plane'));
    const hello: Hello = {
      ...this.#opts.hello,
      current_version: this.#opts.currentVersion?.() ?? '',
      cached_since_unix_ms: String(this.#opts.cachedSince?.() ?? 0),
    };
    call.write({ hello });
    call.write({ health: { backends: this.#opts.healthView(), complete: true } });
  }

  #onSnapshot(snapshot: Snapshot, nonce: string): void {
    // Checked before applying: a refused snapshot is NACKed and the running one keeps serving.
    const refusal = this.#fence.refusal(snapshot.generation, snapshot.version);
    if (refusal) {
      this.#opts.log?.(`[sync] refused snapshot ${snapshot.version} from ${this.#controlPlanes.current}: ${refusal}`);
      this.#send({ nack: { version: snapshot.version, nonce, errors: [refusal] } });
      return;
    }
    try {
      this.#opts.apply(snapshot);
      this.#fence.applied(snapshot.generation, snapshot.version);
      this.#send({ ack: { version: snapshot.version, nonce } });
      this.#send({ stats: this.#opts.stats() });
    } catch (err) {
      const reason = (err as Error).message;
      this.#opts.log?.(`[sync] rejected snapshot ${snapshot.version}: ${reason}`);
      this.#send({ nack: { version: snapshot.version, nonce, errors: [reason] } });
    }
  }

  #onBroken(call: Call, reason: string): void {
    if (this.#call !== call) return;
    this.#call = undefined;
    call.removeAllListeners('data');
    call.on('error', () => {});
    call.cancel();
    if (this.#stopped) return;
    if (this.#connected || reason !== this.#lastError) {
      this.#opts.log?.(`[sync] lost control plane at ${this.#controlPlanes.current}: ${reason}; serving the last good snapshot and reconnecting`);
    }
    // With several control planes, the next attempt goes to the next one in turn.
    this.#controlPlanes.next();
    this.#lastError = reason;
    this.#connected = false;
    this.#failures++;
    // Equal jitter: half the exponential delay fixed, half random, so a fleet does not reconnect in step.
    const min = this.#opts.backoffMinMs ?? 250;
    const max = this.#opts.backoffMaxMs ?? 10_000;
    const ceiling = Math.min(max, min * 2 ** Math.min(this.#failures - 1, 16));
    const delay = ceiling / 2 + (this.#opts.random ?? Math.random)() * (ceiling / 2);
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
    this.#retryTimer.unref();
  }

  #send(msg: DataPlaneMessage): void {
    const call = this.#call;
    if (!call || this.#stopped) return;
    try {
      call.write(msg);
    } catch (err) {
      this.#onBroken(call, (err as Error).message);
    }
  }
}

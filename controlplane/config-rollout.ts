// How a config change reaches the data planes, in one place. Every change takes the same road;
// only where the candidate comes from differs:
//
//   SIGHUP ─────────── reloadOwnFile() ─┐
//   golbctl reload ─── apply(candidate) ┤  candidate: parsed + validated + built (ConfigStore.prepare)
//   golbctl drain ──── setAdmin(changes)┤
//   DNS answer moved ─ refreshDiscovered()
//   other replica ──── adopt(state) ────┘ (already saved by that replica: not saved again)
//            │
//            ▼  ConfigStore, one change at a time:
//   expand discovered backends (DnsDiscovery.expand) → effective snapshot (+ drain states)
//     → save to the state store (durable before anyone sees it) → new generation, running
//            │
//            ▼  store.onChange (wired below, the only listener that pushes)
//   SyncServer.broadcast: each connected data plane gets the snapshot with a fresh nonce
//            │
//            ▼  data planes answer ACK / NACK on their stream
//   SyncServer records it per session (sync/on-version.ts says who runs the current version);
//   golbctl reload waits for the answers through listenForAnswers() (admin/reload-call.ts).
import type { Snapshot } from '../proto/index.js';
import { formatConfigError } from './config/errors.js';
import { formatErrors, type AdminOverride, type Candidate, type ConfigStore } from './config-store.js';
import { DnsDiscovery } from './discovery/dns-discovery.js';
import type { OperatorState } from './state/state-store.js';
import { AnswerCollector } from './sync/answer-collector.js';
import type { SyncServer } from './sync/sync-server.js';

export interface ReloadOutcome {
  ok: boolean;
  version?: string;
  errors?: string[];
}

export interface ConfigRolloutDeps {
  store: ConfigStore;
  sync: SyncServer;
  log(line: string): void;
}

export type ValidCandidate = Extract<Candidate, { ok: true }>;

export class ConfigRollout {
  /** Resolves `discover=` names; its answers feed every snapshot built from now on. */
  readonly discovery: DnsDiscovery;
  readonly #d: ConfigRolloutDeps;
  #reloading = Promise.resolve<ReloadOutcome>({ ok: true });

  constructor(deps: ConfigRolloutDeps) {
    this.#d = deps;
    const { store, sync, log } = deps;
    this.discovery = new DnsDiscovery({ log, onChange: () => void this.refreshDiscovered() });
    store.setExpander((c) => this.discovery.expand(c));
    // publish → push: every new running snapshot goes to every connected data plane.
    store.onChange((s: Snapshot) => sync.broadcast(s));
  }

  /** The first config at startup: its names resolved once, then saved and published. Throws when saving fails. */
  async start(first: ValidCandidate): Promise<Snapshot> {
    await this.discovery.watch(first.config);
    return this.#d.store.commit(first);
  }

  /** SIGHUP: re-reads the config file. Invalid: nothing changes, errors returned with file:line:col. One at a time, in order. */
  reloadOwnFile(): Promise<ReloadOutcome> {
    const { store, log } = this.#d;
    this.#reloading = this.#reloading.then(async () => {
      const candidate = await store.readOwnFile();
      if (!candidate.ok) {
        const errors = formatErrors(candidate.errors);
        log(`[golb] reload rejected, nothing changed:\n${errors.join('\n')}`);
        return { ok: false, errors };
      }
      // The file's new names are resolved before its first snapshot is built.
      await this.discovery.watch(candidate.config);
      try {
        return { ok: true, version: (await this.apply(candidate)).version };
      } catch (err) {
        log(`[golb] reload not applied: ${(err as Error).message}`);
        return { ok: false, errors: [(err as Error).message] };
      }
    });
    return this.#reloading;
  }

  /** Makes a valid candidate the running config: saved, then pushed. Throws (nothing changed) when saving fails. */
  async apply(candidate: ValidCandidate): Promise<Snapshot> {
    const { store, sync, log } = this.#d;
    // Names new to this config resolve in the background (the SIGHUP path awaits them first).
    void this.discovery.watch(candidate.config);
    for (const w of candidate.warnings) log(formatConfigError(w));
    const before = store.snapshot?.version;
    const s = await store.commit(candidate);
    if (s.version !== before) log(`[golb] config version ${s.version} pushed to ${sync.connected().length} data plane(s)`);
    return s;
  }

  /** Drains and maintenance: sets (undefined: clears) operator states, then saves and pushes one snapshot. */
  setAdmin(changes: ReadonlyMap<string, AdminOverride | undefined>): Promise<Snapshot> {
    return this.#d.store.setAdmin(changes);
  }

  /** DNS discovery saw addresses change: the running config is rebuilt, saved and pushed. */
  refreshDiscovered(): Promise<Snapshot | undefined> {
    return this.#d.store.refresh().catch((err: Error) => {
      this.#d.log(`[discovery] new addresses not applied: ${err.message}`);
      return undefined;
    });
  }

  /** A state another replica saved in the shared store: published here as it is. */
  adopt(state: OperatorState): Promise<void> {
    return this.#d.store.adopt(state, this.#d.log);
  }

  /** Starts collecting ACK/NACKs for the running version; create it before publishing, close it after. */
  listenForAnswers(): AnswerCollector {
    return new AnswerCollector(this.#d.sync, () => this.#d.store.snapshot?.version);
  }

  stop(): void {
    this.discovery.stop();
  }
}

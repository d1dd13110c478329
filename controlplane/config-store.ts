// The control plane's source of truth: the config that runs (text + parsed form), the snapshot
// built from it, and the runtime drain/maintenance states operators set, which survive reloads
// for backends that still exist. Every change yields a complete new snapshot with a new version.
import { readFile } from 'node:fs/promises';
import type { BackendSpec, Snapshot } from '../proto/index.js';
import type { Config } from './config/model.js';
import { formatConfigError, type ConfigError } from './config/errors.js';
import { parseConfig } from './config/load-config.js';
import { buildSnapshot, computeVersion } from './snapshot/build-snapshot.js';
import type { OperatorState, StateStore } from './state/state-store.js';

export interface Overrides {
  algorithm?: string;
  persistence?: string;
  pathRouting?: boolean;
}

export type AdminOverride = { state: 'DRAINING'; deadline: number } | { state: 'MAINTENANCE' };

export type Candidate =
  | { ok: true; config: Config; snapshot: Snapshot; text: string; source: string; warnings: ConfigError[] }
  | { ok: false; errors: ConfigError[]; warnings: ConfigError[] };

export class ConfigStore {
  readonly path: string;
  readonly #overrides: Overrides;
  readonly #cookieSecret: string;
  #base: Snapshot | undefined;
  #text = '';
  #source = '';
  #appliedAt = 0;
  readonly #state: StateStore | undefined;
  #generation = Date.now();
  #config: Config | undefined;
  #current: Snapshot | undefined;
  readonly #admin = new Map<string, AdminOverride>();
  readonly #listeners = new Set<(s: Snapshot) => void>();
  #queue: Promise<unknown> = Promise.resolve();
  /** DNS discovery: turns `discover=` names into addresses before a snapshot is built. */
  #expand: ((c: Config) => Config) | undefined;

  /** With `state`, every change is saved there before it is published (see state/state-store.ts). */
  constructor(path: string, overrides: Overrides, cookieSecret: string, state?: StateStore) {
    this.path = path;
    this.#state = state;
    this.#overrides = overrides;
    this.#cookieSecret = cookieSecret;
  }

  get snapshot(): Snapshot | undefined {
    return this.#current;
  }

  get text(): string {
    return this.#text;
  }

  get config(): Config | undefined {
    return this.#config;
  }

  onChange(fn: (s: Snapshot) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Parses and builds without changing anything. `external: false` (config that came over the
   * Admin API) refuses `env:` / `file:` references instead of resolving them in this process.
   */
  prepare(text: string, filename: string, opts: { external: boolean } = { external: true }): Candidate {
    const parsed = parseConfig(text, filename, opts.external ? {} : { env: null });
    if (!parsed.ok) return parsed;
    try {
      // Discovered backends as currently known, so a dry run's diff and "unchanged" hold.
      const snapshot = this.#build(parsed.config, filename);
      return { ok: true, config: parsed.config, snapshot, text, source: filename, warnings: parsed.warnings };
    } catch (err) {
      return { ok: false, errors: [{ file: filename, line: 0, col: 0, message: (err as Error).message, severity: 'error' }], warnings: parsed.warnings };
    }
  }

  /** Reads the store's own file. */
  async readOwnFile(): Promise<Candidate> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return { ok: false, errors: [{ file: this.path, line: 0, col: 0, message: `cannot read file: ${e.code ?? e.message}`, severity: 'error' }], warnings: [] };
    }
    return this.prepare(text, this.path);
  }

  /** Makes a prepared candidate the running config. Resolves with the new effective snapshot. */
  commit(candidate: Extract<Candidate, { ok: true }>): Promise<Snapshot> {
    return this.#change((next) => {
      next.base = this.#expand ? this.#build(candidate.config, candidate.source) : candidate.snapshot;
      next.config = candidate.config;
      next.text = candidate.text;
      next.source = candidate.source;
      next.appliedAt = Date.now();
      forgetGone(next.base, next.admin);
    });
  }

  /** Sets what expands discovered backends (DNS discovery); applied from the next commit on. */
  setExpander(expand: (c: Config) => Config): void {
    this.#expand = expand;
  }

  /**
   * Rebuilds the running config's snapshot because discovered addresses changed, and publishes it
   * as a change like any other (a new generation, saved first). Resolves undefined before the first config.
   */
  async refresh(): Promise<Snapshot | undefined> {
    if (!this.#config || !this.#base) return undefined;
    return this.#change((next) => {
      next.base = this.#build(next.config!, next.source);
      forgetGone(next.base, next.admin);
    });
  }

  #build(config: Config, source: string): Snapshot {
    const expanded = this.#expand ? this.#expand(config) : config;
    return buildSnapshot(expanded, { ...this.#overrides, cookieSecret: this.#cookieSecret, source });
  }

  /** Takes back the admin states and generation a StateStore kept (once, before the first commit). */
  restore(saved: OperatorState | undefined): void {
    if (!saved) return;
    for (const [id, o] of Object.entries(saved.admin)) this.#admin.set(id, o);
    this.#generation = saved.generation;
  }

  /**
   * Adopts a state another control-plane replica saved in a shared store (seen through its watch):
   * published as it is, not saved again. Older or equal generations (our own saves among them) are ignored.
   */
  adopt(saved: OperatorState, log: (line: string) => void): Promise<void> {
    return (this.#queue = this.#queue.then(() => {
      if (saved.generation <= this.#generation || !saved.config) return;
      let base = this.#base;
      let config = this.#config;
      if (saved.config.text !== this.#text || !base) {
        const c = this.prepare(saved.config.text, saved.config.source);
        if (!c.ok) {
          log(`[state] cannot run the config another replica applied (generation ${saved.generation}): ${c.errors.map((e) => e.message).join('; ')}`);
          return;
        }
        base = c.snapshot;
        config = c.config;
      }
      this.#base = base;
      this.#config = config;
      this.#text = saved.config.text;
      this.#source = saved.config.source;
      this.#appliedAt = saved.config.appliedAtUnixMs;
      this.#admin.clear();
      for (const [id, o] of Object.entries(saved.admin)) this.#admin.set(id, o);
      this.#install(this.#effective(base, this.#admin), saved.generation);
    }).catch((err: Error) => log(`[state] cannot adopt generation ${saved.generation}: ${err.message}`)));
  }

  /** The generation of the running snapshot (fencing: see dataplane/sync/generation-fence.ts). */
  get generation(): number {
    return this.#generation;
  }

  adminOverride(id: string): AdminOverride | undefined {
    return this.#admin.get(id);
  }

  /** Sets (or with undefined clears) runtime admin states, then publishes one new snapshot. */
  setAdmin(changes: ReadonlyMap<string, AdminOverride | undefined>): Promise<Snapshot> {
    return this.#change((next) => {
      for (const [id, o] of changes) {
        if (o) next.admin.set(id, o);
        else next.admin.delete(id);
      }
    });
  }

  /**
   * One change at a time, in order: applied to a copy, saved to the state store, and only then made
   * the running state and published. When saving fails nothing changes and the error is thrown.
   */
  #change(edit: (next: { base: Snapshot | undefined; config: Config | undefined; text: string; source: string; appliedAt: number; admin: Map<string, AdminOverride> }) => void): Promise<Snapshot> {
    const run = this.#queue.then(async () => {
      const next = { base: this.#base, config: this.#config, text: this.#text, source: this.#source, appliedAt: this.#appliedAt, admin: new Map(this.#admin) };
      edit(next);
      if (!next.base) throw new Error('no config loaded');
      const effective = this.#effective(next.base, next.admin);
      const generation = effective.version !== this.#current?.version ? this.#generation + 1 : this.#generation;
      // Durable before any data plane can see it: a crash after this point replays the same state.
      await this.#state?.save({
        generation,
        config: { text: next.text, source: next.source, appliedAtUnixMs: next.appliedAt },
        admin: Object.fromEntries(next.admin),
      });
      this.#base = next.base;
      this.#config = next.config;
      this.#text = next.text;
      this.#source = next.source;
      this.#appliedAt = next.appliedAt;
      this.#admin.clear();
      for (const [id, o] of next.admin) this.#admin.set(id, o);
      return this.#install(effective, generation);
    });
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Backends of the running snapshot matching a URL or id (optionally within a pool). */
  findBackends(ref: string, pool?: string): Array<{ pool: string; backend: BackendSpec }> {
    const out: Array<{ pool: string; backend: BackendSpec }> = [];
    const wanted = normalizeUrl(ref);
    for (const p of this.#current?.pools ?? []) {
      if (pool && p.name !== pool) continue;
      for (const b of p.backends) {
        if (b.id === ref || normalizeUrl(b.url) === wanted) out.push({ pool: p.name, backend: b });
      }
    }
    return out;
  }

  #effective(base: Snapshot, admin: ReadonlyMap<string, AdminOverride>): Snapshot {
    const pools = base.pools.map((p) => ({
      ...p,
      backends: p.backends.map((b) => {
        const o = admin.get(b.id);
        if (!o) return b;
        return { ...b, admin_state: o.state, drain_deadline_unix_ms: o.state === 'DRAINING' ? String(o.deadline) : '0' };
      }),
    }));
    const effective: Snapshot = { ...base, pools, version: '' };
    effective.version = admin.size === 0 ? base.version : computeVersion(effective);
    return effective;
  }

  #install(effective: Snapshot, generation: number): Snapshot {
    const changed = effective.version !== this.#current?.version;
    this.#generation = generation;
    effective.generation = String(generation);
    this.#current = effective;
    if (changed) for (const fn of this.#listeners) fn(effective);
    return effective;
  }
}

/** Drain states survive for backends that still exist; the rest are forgotten. */
function forgetGone(base: Snapshot, admin: Map<string, AdminOverride>): void {
  const ids = new Set(base.pools.flatMap((p) => p.backends.map((b) => b.id)));
  for (const id of admin.keys()) if (!ids.has(id)) admin.delete(id);
}

export function formatErrors(errors: readonly ConfigError[]): string[] {
  return errors.map(formatConfigError);
}

function normalizeUrl(s: string): string {
  try {
    const u = new URL(s.includes('://') ? s : `http://${s}`);
    return `${u.protocol}//${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return s;
  }
}

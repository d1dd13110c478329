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

  /** Parses and builds without changing anything. */
  prepare(text: string, filename: string): Candidate {
    const parsed = parseConfig(text, filename);
    if (!parsed.ok) return parsed;
    try {
      const snapshot = buildSnapshot(parsed.config, { ...this.#overrides, cookieSecret: this.#cookieSecret, source: filename });
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

  /** Makes a prepared candidate the running config. Returns the new effective snapshot. */
  commit(candidate: Extract<Candidate, { ok: true }>): Snapshot {
    return this.#transaction(() => {
      this.#base = candidate.snapshot;
      this.#config = candidate.config;
      this.#text = candidate.text;
      this.#source = candidate.source;
      this.#appliedAt = Date.now();
      // Drain states survive for backends that still exist; the rest are forgotten.
      const ids = new Set(candidate.snapshot.pools.flatMap((p) => p.backends.map((b) => b.id)));
      for (const id of this.#admin.keys()) if (!ids.has(id)) this.#admin.delete(id);
      return this.#publish();
    });
  }

  /** Takes back the admin states and generation a StateStore kept (once, before the first commit). */
  restore(saved: OperatorState | undefined): void {
    if (!saved) return;
    for (const [id, o] of Object.entries(saved.admin)) this.#admin.set(id, o);
    this.#generation = saved.generation;
  }

  /** The generation of the running snapshot (fencing: see dataplane/sync/generation-fence.ts). */
  get generation(): number {
    return this.#generation;
  }

  adminOverride(id: string): AdminOverride | undefined {
    return this.#admin.get(id);
  }

  /** Sets (or with undefined clears) runtime admin states, then publishes one new snapshot. */
  setAdmin(changes: ReadonlyMap<string, AdminOverride | undefined>): Snapshot {
    return this.#transaction(() => {
      for (const [id, o] of changes) {
        if (o) this.#admin.set(id, o);
        else this.#admin.delete(id);
      }
      return this.#publish();
    });
  }

  /** Runs a change; when saving it fails, everything is put back as it was and the error thrown. */
  #transaction(change: () => Snapshot): Snapshot {
    const before = { base: this.#base, config: this.#config, text: this.#text, source: this.#source, appliedAt: this.#appliedAt, admin: new Map(this.#admin) };
    try {
      return change();
    } catch (err) {
      this.#base = before.base;
      this.#config = before.config;
      this.#text = before.text;
      this.#source = before.source;
      this.#appliedAt = before.appliedAt;
      this.#admin.clear();
      for (const [id, o] of before.admin) this.#admin.set(id, o);
      throw err;
    }
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

  #publish(): Snapshot {
    const base = this.#base;
    if (!base) throw new Error('no config loaded');
    const pools = base.pools.map((p) => ({
      ...p,
      backends: p.backends.map((b) => {
        const o = this.#admin.get(b.id);
        if (!o) return b;
        return { ...b, admin_state: o.state, drain_deadline_unix_ms: o.state === 'DRAINING' ? String(o.deadline) : '0' };
      }),
    }));
    const effective: Snapshot = { ...base, pools, version: '' };
    effective.version = this.#admin.size === 0 ? base.version : computeVersion(effective);
    const changed = effective.version !== this.#current?.version;
    const generation = changed ? this.#generation + 1 : this.#generation;
    // Durable before any data plane can see it: a crash after this point replays the same state.
    this.#state?.save({
      generation,
      config: { text: this.#text, source: this.#source, appliedAtUnixMs: this.#appliedAt },
      admin: Object.fromEntries(this.#admin),
    });
    this.#generation = generation;
    effective.generation = String(generation);
    this.#current = effective;
    if (changed) for (const fn of this.#listeners) fn(effective);
    return effective;
  }
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

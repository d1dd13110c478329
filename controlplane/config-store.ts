// The control plane's source of truth: the config that runs (text + parsed form), the snapshot
// built from it, and the runtime drain/maintenance states operators set, which survive reloads
// for backends that still exist. Every change yields a complete new snapshot with a new version.
import { readFile } from 'node:fs/promises';
import type { BackendSpec, Snapshot } from '../proto/index.js';
import type { Config } from './config/model.js';
import { formatConfigError, type ConfigError } from './config/errors.js';
import { parseConfig } from './config/load-config.js';
import { buildSnapshot, computeVersion } from './snapshot/build-snapshot.js';

export interface Overrides {
  algorithm?: string;
  persistence?: string;
  pathRouting?: boolean;
}

export type AdminOverride = { state: 'DRAINING'; deadline: number } | { state: 'MAINTENANCE' };

export type Candidate =
  | { ok: true; config: Config; snapshot: Snapshot; text: string; warnings: ConfigError[] }
  | { ok: false; errors: ConfigError[]; warnings: ConfigError[] };

export class ConfigStore {
  readonly path: string;
  readonly #overrides: Overrides;
  readonly #cookieSecret: string;
  #base: Snapshot | undefined;
  #text = '';
  #config: Config | undefined;
  #current: Snapshot | undefined;
  readonly #admin = new Map<string, AdminOverride>();
  readonly #listeners = new Set<(s: Snapshot) => void>();
  /** DNS discovery: turns `discover=` names into addresses before a snapshot is built. */
  #expand: ((c: Config) => Config) | undefined;

  constructor(path: string, overrides: Overrides, cookieSecret: string) {
    this.path = path;
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
      return { ok: true, config: parsed.config, snapshot, text, warnings: parsed.warnings };
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
    this.#base = this.#expand ? this.#build(candidate.config, candidate.snapshot.source) : candidate.snapshot;
    this.#config = candidate.config;
    this.#text = candidate.text;
    return this.#forgetGoneAndPublish();
  }

  /** Sets what expands discovered backends (DNS discovery); applied from the next commit on. */
  setExpander(expand: (c: Config) => Config): void {
    this.#expand = expand;
  }

  /** Rebuilds the running config's snapshot (discovered addresses changed) and publishes it. */
  refresh(): Snapshot | undefined {
    if (!this.#config || !this.#base) return undefined;
    this.#base = this.#build(this.#config, this.#base.source);
    return this.#forgetGoneAndPublish();
  }

  #build(config: Config, source: string): Snapshot {
    const expanded = this.#expand ? this.#expand(config) : config;
    return buildSnapshot(expanded, { ...this.#overrides, cookieSecret: this.#cookieSecret, source });
  }

  #forgetGoneAndPublish(): Snapshot {
    // Drain states survive for backends that still exist; the rest are forgotten.
    const ids = new Set(this.#base!.pools.flatMap((p) => p.backends.map((b) => b.id)));
    for (const id of this.#admin.keys()) if (!ids.has(id)) this.#admin.delete(id);
    return this.#publish();
  }

  adminOverride(id: string): AdminOverride | undefined {
    return this.#admin.get(id);
  }

  /** Sets (or with undefined clears) runtime admin states, then publishes one new snapshot. */
  setAdmin(changes: ReadonlyMap<string, AdminOverride | undefined>): Snapshot {
    for (const [id, o] of changes) {
      if (o) this.#admin.set(id, o);
      else this.#admin.delete(id);
    }
    return this.#publish();
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

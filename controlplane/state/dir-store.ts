// A StateStore in one JSON file of a local directory, replaced atomically on every change: write a
// temp file, fsync it, rename it over the old one, fsync the directory. A crash at any point leaves
// either the old state or the new one, never a torn file.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StateStoreError, type OperatorState, type StateStore } from './state-store.js';

const FILE = 'state.json';
const FORMAT = 1;

export class DirStore implements StateStore {
  readonly dir: string;
  readonly description: string;

  /** Creates the directory when missing; throws StateStoreError when it cannot. */
  constructor(dir: string) {
    this.dir = dir;
    this.description = `state dir ${dir}`;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new StateStoreError(`cannot create state dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  async load(): Promise<OperatorState | undefined> {
    let text: string;
    try {
      text = readFileSync(join(this.dir, FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateStoreError(`cannot read ${join(this.dir, FILE)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new StateStoreError(`${join(this.dir, FILE)} is not valid JSON (${(err as Error).message}); move it away to start from the config file`);
    }
    return checkState(parsed, join(this.dir, FILE));
  }

  // Synchronous inside: a state file is small, and a change must not interleave with another.
  async save(state: OperatorState): Promise<void> {
    const target = join(this.dir, FILE);
    const temp = join(this.dir, `.${FILE}.${process.pid}.tmp`);
    const body = `${JSON.stringify({ format: FORMAT, ...state }, null, 2)}\n`;
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        writeSync(fd, body);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, target);
      // The rename itself is durable only once the directory entry is.
      const dirFd = openSync(this.dir, 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch (err) {
      try {
        rmSync(temp, { force: true });
      } catch {
        // Nothing to clean up, or nothing we can: the old state file is untouched either way.
      }
      throw new StateStoreError(`cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; the change was not applied`);
    }
  }
}

/** Validates the shape of a loaded state so a hand-edited file fails at start with its name. */
export function checkState(value: unknown, where: string): OperatorState {
  const bad = (what: string) => new StateStoreError(`${where}: ${what}`);
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const v = value as Record<string, unknown>;
  if (v.format !== undefined && v.format !== FORMAT) throw bad(`format ${String(v.format)} is not supported (this golb reads format ${FORMAT})`);
  if (typeof v.generation !== 'number' || !Number.isSafeInteger(v.generation) || v.generation < 0) throw bad('generation must be a non-negative integer');
  const state: OperatorState = { generation: v.generation, admin: {} };
  if (v.config !== undefined) {
    const c = v.config as Record<string, unknown>;
    if (typeof c !== 'object' || c === null || typeof c.text !== 'string' || typeof c.source !== 'string') throw bad('config must have text and source');
    state.config = { text: c.text, source: c.source, appliedAtUnixMs: typeof c.appliedAtUnixMs === 'number' ? c.appliedAtUnixMs : 0 };
  }
  const admin = (v.admin ?? {}) as Record<string, unknown>;
  if (typeof admin !== 'object' || admin === null) throw bad('admin must be an object');
  for (const [id, o] of Object.entries(admin)) {
    const s = o as Record<string, unknown>;
    if (s?.state === 'MAINTENANCE') state.admin[id] = { state: 'MAINTENANCE' };
    else if (s?.state === 'DRAINING' && typeof s.deadline === 'number') state.admin[id] = { state: 'DRAINING', deadline: s.deadline };
    else throw bad(`admin state of ${id} must be DRAINING with a deadline or MAINTENANCE`);
  }
  return state;
}

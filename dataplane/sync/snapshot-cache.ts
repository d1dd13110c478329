// The last good snapshot on disk (`golb dataplane --cache-dir DIR`): a data plane started while no
// control plane is reachable serves it. Written atomically (temp file, fsync, rename, fsync dir);
// mode 0600, since a snapshot holds the cookie secret.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshot } from '../../proto/index.js';

const FILE = 'snapshot.json';

export interface CachedSnapshot {
  snapshot: Snapshot;
  savedAtUnixMs: number;
}

export class SnapshotCache {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** The cached snapshot, or undefined when there is none or it cannot be read (reason in `onError`). */
  load(onError: (reason: string) => void): CachedSnapshot | undefined {
    try {
      const parsed = JSON.parse(readFileSync(join(this.#dir, FILE), 'utf8')) as Partial<CachedSnapshot>;
      if (!parsed.snapshot || typeof parsed.snapshot.version !== 'string' || !Array.isArray(parsed.snapshot.pools) || typeof parsed.savedAtUnixMs !== 'number') {
        onError(`${join(this.#dir, FILE)} does not hold a snapshot`);
        return undefined;
      }
      return parsed as CachedSnapshot;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'ENOENT') onError(`cannot read ${join(this.#dir, FILE)}: ${e.code ?? e.message}`);
      return undefined;
    }
  }

  /** Throws when the write fails (the previous cache file is then untouched). */
  save(snapshot: Snapshot, now = Date.now()): void {
    const temp = join(this.#dir, `.${FILE}.${process.pid}.tmp`);
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ snapshot, savedAtUnixMs: now } satisfies CachedSnapshot));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(this.#dir, FILE));
    const dirFd = openSync(this.#dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}

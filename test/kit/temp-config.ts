// A config file in a fresh temporary directory, for tests that start a control plane from a path
// and rewrite the file between reloads. Remove it in `after`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempConfig {
  readonly dir: string;
  readonly path: string;
  /** Replaces the file's content. */
  write(content: string): void;
  remove(): void;
}

/** Writes `content` to `<tmp>/<prefix>XXXXXX/<name>`. */
export function tempConfig(prefix: string, content: string, name = 'lb.conf'): TempConfig {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, name);
  writeFileSync(path, content);
  return { dir, path, write: (c) => writeFileSync(path, c), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

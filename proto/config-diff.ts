// How a config diff reads to a person: one line per change ("+ pool api", "~ backend … weight 1 → 3",
// "~ setting cookie") and a one-line count. The one rendering, shared by golbctl and the tests.
import type { ConfigDiff__Output as ConfigDiff } from './gen/golb/v1/ConfigDiff.js';

export type { ConfigDiff };

const SECTIONS: ReadonlyArray<[keyof ConfigDiff, sign: string, kind: string, how: string]> = [
  ['pools_added', '+', 'pool', 'added'],
  ['pools_removed', '-', 'pool', 'removed'],
  ['pools_changed', '~', 'pool', 'changed'],
  ['backends_added', '+', 'backend', 'added'],
  ['backends_removed', '-', 'backend', 'removed'],
  ['backends_changed', '~', 'backend', 'changed'],
  ['routes_added', '+', 'route', 'added'],
  ['routes_removed', '-', 'route', 'removed'],
  ['routes_changed', '~', 'route', 'changed'],
  ['settings_changed', '~', 'setting', 'changed'],
];

/** The diff as "+ pool api", "- backend …", "~ backend … weight 1 → 3" lines; [] when nothing changed. */
export function diffLines(d: ConfigDiff): string[] {
  return SECTIONS.flatMap(([key, sign, kind]) => d[key].map((item) => `${sign} ${kind} ${item}`));
}

/** "1 pool added, 2 backends removed" (or "no pool, backend or route changes"). */
export function diffSummary(d: ConfigDiff): string {
  const parts = SECTIONS.filter(([key]) => d[key].length > 0).map(([key, , kind, how]) => `${d[key].length} ${kind}${d[key].length === 1 ? '' : 's'} ${how}`);
  return parts.length > 0 ? parts.join(', ') : 'no pool, backend or route changes';
}

export const EMPTY_DIFF: Readonly<ConfigDiff> = Object.freeze({
  pools_added: [],
  pools_removed: [],
  pools_changed: [],
  backends_added: [],
  backends_removed: [],
  backends_changed: [],
  routes_added: [],
  routes_removed: [],
  routes_changed: [],
  settings_changed: [],
});

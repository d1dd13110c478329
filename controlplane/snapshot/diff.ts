// What changes between two snapshots, for `golbctl reload --dry-run` and the reload log:
// pools and backends by name / id, weights, routes by their match (and order), other settings.
import type { PoolSpec, RouteSpec, Snapshot } from '../../proto/index.js';
import type { ConfigDiff } from '../../proto/config-diff.js';
import { canonicalJson } from './build-snapshot.js';

export interface SnapshotDiff {
  poolsAdded: string[];
  poolsRemoved: string[];
  /** Pools in both whose settings changed, or whose backends changed other than by add/remove/weight. */
  poolsChanged: string[];
  /** Backend ids. */
  backendsAdded: string[];
  backendsRemoved: string[];
  weightsChanged: { id: string; from: number; to: number }[];
  /** Route displays (with " → pool" when it helps to tell them apart). */
  routesAdded: string[];
  routesRemoved: string[];
  /** Same match, but another pool, override or position. */
  routesChanged: string[];
  /** Other top-level settings that changed: default_pool, cookie, trusted_proxies, limits. */
  settingsChanged: string[];
}

/** The difference from `a` (undefined: nothing was running) to `b`. */
export function diffSnapshots(a: Snapshot | undefined, b: Snapshot): SnapshotDiff {
  const d: SnapshotDiff = {
    poolsAdded: [],
    poolsRemoved: [],
    poolsChanged: [],
    backendsAdded: [],
    backendsRemoved: [],
    weightsChanged: [],
    routesAdded: [],
    routesRemoved: [],
    routesChanged: [],
    settingsChanged: [],
  };
  const poolsA = new Map((a?.pools ?? []).map((p) => [p.name, p]));
  const poolsB = new Map(b.pools.map((p) => [p.name, p]));
  for (const [name, pb] of poolsB) {
    const pa = poolsA.get(name);
    if (pa === undefined) {
      d.poolsAdded.push(name);
      d.backendsAdded.push(...pb.backends.map((x) => x.id));
      continue;
    }
    let changed = canonicalJson(poolSettings(pa)) !== canonicalJson(poolSettings(pb));
    const backendsA = new Map(pa.backends.map((x) => [x.id, x]));
    const backendsB = new Map(pb.backends.map((x) => [x.id, x]));
    for (const [id, xb] of backendsB) {
      const xa = backendsA.get(id);
      if (xa === undefined) {
        d.backendsAdded.push(id);
        continue;
      }
      if (xa.weight !== xb.weight) d.weightsChanged.push({ id, from: xa.weight, to: xb.weight });
      if (canonicalJson({ ...xa, weight: 0 }) !== canonicalJson({ ...xb, weight: 0 })) changed = true;
    }
    for (const id of backendsA.keys()) if (!backendsB.has(id)) d.backendsRemoved.push(id);
    if (changed) d.poolsChanged.push(name);
  }
  for (const [name, pa] of poolsA) {
    if (poolsB.has(name)) continue;
    d.poolsRemoved.push(name);
    d.backendsRemoved.push(...pa.backends.map((x) => x.id));
  }

  diffRoutes(a?.routes ?? [], b.routes, d);

  if (a !== undefined) {
    if (a.default_pool !== b.default_pool) d.settingsChanged.push('default_pool');
    for (const key of ['cookie', 'trusted_proxies', 'limits'] as const) {
      if (canonicalJson(a[key]) !== canonicalJson(b[key])) d.settingsChanged.push(key);
    }
  } else if (b.default_pool !== '') {
    d.settingsChanged.push('default_pool');
  }
  for (const list of [d.poolsAdded, d.poolsRemoved, d.poolsChanged, d.backendsAdded, d.backendsRemoved]) list.sort();
  d.weightsChanged.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return d;
}

function poolSettings(p: PoolSpec): Omit<PoolSpec, 'line' | 'backends'> {
  const { line: _line, backends: _backends, ...rest } = p;
  return rest;
}

/** Routes are identified by their display; a repeated display is told apart by its occurrence. */
function routeKeys(routes: readonly RouteSpec[]): string[] {
  const seen = new Map<string, number>();
  return routes.map((r) => {
    const n = seen.get(r.display) ?? 0;
    seen.set(r.display, n + 1);
    return n === 0 ? r.display : `${r.display} #${n + 1}`;
  });
}

function diffRoutes(a: readonly RouteSpec[], b: readonly RouteSpec[], d: SnapshotDiff): void {
  const keysA = routeKeys(a);
  const keysB = routeKeys(b);
  const byKeyA = new Map(keysA.map((k, i) => [k, a[i]!]));
  const byKeyB = new Map(keysB.map((k, i) => [k, b[i]!]));
  const label = (k: string, r: RouteSpec) => `${k} → ${r.pool}`;
  for (const [k, r] of byKeyB) if (!byKeyA.has(k)) d.routesAdded.push(label(k, r));
  for (const [k, r] of byKeyA) if (!byKeyB.has(k)) d.routesRemoved.push(label(k, r));
  // Among routes in both, a change of relative position changes which one matches first.
  const commonA = keysA.filter((k) => byKeyB.has(k));
  const commonB = keysB.filter((k) => byKeyA.has(k));
  commonB.forEach((k, i) => {
    const ra = byKeyA.get(k)!;
    const rb = byKeyB.get(k)!;
    const moved = commonA[i] !== k;
    const strip = (r: RouteSpec) => canonicalJson({ ...r, order: 0, line: 0 });
    if (moved || strip(ra) !== strip(rb)) d.routesChanged.push(label(k, rb));
  });
}

/** The wire form golbctl renders (proto/config-diff.ts). */
export function toConfigDiff(d: SnapshotDiff): ConfigDiff {
  return {
    pools_added: d.poolsAdded,
    pools_removed: d.poolsRemoved,
    pools_changed: d.poolsChanged,
    backends_added: d.backendsAdded,
    backends_removed: d.backendsRemoved,
    backends_changed: d.weightsChanged.map((w) => `${w.id} weight ${w.from} → ${w.to}`),
    routes_added: d.routesAdded,
    routes_removed: d.routesRemoved,
    routes_changed: d.routesChanged,
    settings_changed: d.settingsChanged,
  };
}

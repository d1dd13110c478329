// Resolves a Draft into a Config: pool settings = defaults ← global directives ← the pool's own,
// and checks what only the whole file can tell — routes and default_backend naming real pools
// with backends, duplicate routes, a file with no backends at all.
import type { DraftPool, Draft, PoolSettings } from './draft.js';
import type { Problems } from './problems.js';
import {
  DEFAULT_COOKIE,
  DEFAULT_HASH_KEY,
  DEFAULT_HEALTH_CHECK,
  DEFAULT_LIMITS,
  DEFAULT_PASSIVE_HEALTH,
  DEFAULT_PANIC_THRESHOLD_PERCENT,
  DEFAULT_TIMEOUTS,
  type Config,
  type PoolConfig,
  type RouteConfig,
} from './model.js';

/** Builds the Config; problems found here go to `problems`. The result is meaningful only without errors. */
export function validateDraft(draft: Draft, problems: Problems, source: string): Config {
  const exists = (p: DraftPool | undefined): p is DraftPool => p !== undefined && (p.declared || p.backends.length > 0);

  for (const ref of draft.poolRefs) {
    if (!exists(draft.pools.get(ref.name))) problems.error(ref, `${ref.directive} for unknown pool "${ref.name}"`);
  }

  /** Pools a route or default_backend uses: these must have backends. */
  const used = new Set<string>();
  const routes: RouteConfig[] = [];
  const seen = new Map<string, number>();
  for (const r of draft.routes) {
    const pool = draft.pools.get(r.pool);
    if (r.pool !== '' && !exists(pool)) {
      problems.error(r.poolPos, `route to undefined pool "${r.pool}"`);
    } else if (pool !== undefined && pool.backends.length === 0) {
      problems.error(r.poolPos, `route to pool "${r.pool}", which has no backends`);
    }
    used.add(r.pool);
    if (!r.valid) continue;
    const key = JSON.stringify([r.path, r.host, r.headers.map((h) => [h.name.toLowerCase(), h.kind, h.value]), [...r.methods].sort()]);
    const first = seen.get(key);
    if (first !== undefined) {
      problems.warn(r, `duplicate route "${r.display}": the route on line ${first} matches the same requests, so this one is never used`);
    } else {
      seen.set(key, r.line);
    }
    routes.push({
      line: r.line,
      path: r.path,
      host: r.host,
      headers: r.headers,
      methods: r.methods,
      pool: r.pool,
      algorithm: r.algorithm,
      persistence: r.persistence,
      hashKey: r.hashKey,
      display: r.display,
    });
  }

  let defaultPool = '';
  const db = draft.defaultBackend;
  if (db !== null) {
    const pool = draft.pools.get(db.name);
    if (!exists(pool)) problems.error(db, `default_backend names unknown pool "${db.name}"`);
    else if (pool.backends.length === 0) problems.error(db, `default_backend "${db.name}" has no backends`);
    defaultPool = db.name;
    used.add(db.name);
  } else if ((draft.pools.get('default')?.backends.length ?? 0) > 0) {
    defaultPool = 'default';
  }

  const pools: PoolConfig[] = [];
  for (const p of draft.pools.values()) {
    if (!exists(p)) continue;
    if (p.backends.length === 0 && !used.has(p.name)) {
      problems.warn(p, `pool "${p.name}" has no backends`);
    }
    pools.push(resolvePool(p, draft.global));
  }
  pools.sort((a, b) => a.line - b.line || (draft.pools.get(a.name)!.col - draft.pools.get(b.name)!.col));

  if (!draft.sawBackend) {
    problems.error({ line: 1, col: 1 }, 'no backends defined (add e.g. "backend http://127.0.0.1:8001")');
  }

  return {
    source,
    algorithm: draft.global.algorithm ?? 'round_robin',
    persistence: draft.global.persistence ?? 'none',
    pools,
    routes,
    defaultPool,
    cookie: { ...DEFAULT_COOKIE, ...draft.cookie },
    trustedProxies: [...draft.trustedProxies],
    limits: { ...DEFAULT_LIMITS, ...draft.limits },
    ...(draft.resolver ? { resolver: draft.resolver } : {}),
  };
}

function resolvePool(p: DraftPool, global: PoolSettings): PoolConfig {
  return {
    name: p.name,
    line: p.line,
    algorithm: p.algorithm,
    persistence: p.persistence,
    hashKey: { ...(p.hashKey ?? global.hashKey ?? DEFAULT_HASH_KEY) },
    hashBalanceFactor: p.hashBalanceFactor ?? global.hashBalanceFactor ?? 0,
    healthCheck: { ...DEFAULT_HEALTH_CHECK, ...global.healthCheck, ...p.healthCheck },
    passiveHealth: { ...DEFAULT_PASSIVE_HEALTH, ...global.passiveHealth, ...p.passiveHealth },
    panicThresholdPercent: p.panicThresholdPercent ?? global.panicThresholdPercent ?? DEFAULT_PANIC_THRESHOLD_PERCENT,
    timeouts: { ...DEFAULT_TIMEOUTS, ...global.timeouts, ...p.timeouts },
    backends: p.backends.map((b) => ({
      url: b.url,
      scheme: b.scheme,
      host: b.host,
      port: b.port,
      weight: b.weight,
      maxConnections: b.maxConnections,
      backup: b.backup,
      down: b.down,
      line: b.line,
      ...(b.discover ? { discover: b.discover } : {}),
    })),
  };
}

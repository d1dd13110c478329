// Builds the Snapshot a data plane runs from a validated Config, applying the command-line
// overrides the original tool had (--algorithm, --persistence, --path-routing). The version is a
// content hash, so the same meaning always gets the same version.
import { createHash } from 'node:crypto';
import type {
  BackendSpec,
  HeaderMatchSpec,
  PersistenceSpec,
  PoolSpec,
  RouteMatchSpec,
  RouteSpec,
  Snapshot,
} from '../../proto/index.js';
import type { BackendConfig, Config, HashKeyConfig, PoolConfig, RouteConfig } from '../config/model.js';
import { DEFAULT_HASH_KEY } from '../config/model.js';
import {
  canonicalAlgorithm,
  canonicalPersistence,
  unknownAlgorithmMessage,
  unknownPersistenceMessage,
} from '../config/names.js';

export interface BuildOptions {
  /** Replaces the global default algorithm (and the default pool's own). */
  algorithm?: string;
  /** Replaces the global default persistence (and the default pool's own). */
  persistence?: string;
  /** false: no routes; everything goes to the default pool (or the first pool). Default true. */
  pathRouting?: boolean;
  /** Used when the config sets no `cookie secret=`. */
  cookieSecret: string;
  /** Defaults to config.source. */
  source?: string;
}

/** Error messages for override names that are not algorithms / persistence types; [] when fine. */
export function checkOverrides(o: { algorithm?: string; persistence?: string }): string[] {
  const errors: string[] = [];
  if (o.algorithm !== undefined && canonicalAlgorithm(o.algorithm) === undefined) errors.push(unknownAlgorithmMessage(o.algorithm));
  if (o.persistence !== undefined && canonicalPersistence(o.persistence) === undefined) {
    errors.push(unknownPersistenceMessage(o.persistence));
  }
  return errors;
}

/** The snapshot for `config`. Throws only on bad override names (see checkOverrides). */
export function buildSnapshot(config: Config, options: BuildOptions): Snapshot {
  const problems = checkOverrides(options);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const algOverride = options.algorithm === undefined ? undefined : canonicalAlgorithm(options.algorithm);
  const persOverride = options.persistence === undefined ? undefined : canonicalPersistence(options.persistence);
  const pathRouting = options.pathRouting ?? true;

  let defaultPool = config.defaultPool;
  if (!pathRouting && defaultPool === '') {
    defaultPool = (config.pools.find((p) => p.backends.length > 0) ?? config.pools[0])?.name ?? '';
  }

  const globalAlgorithm = algOverride ?? config.algorithm;
  const globalPersistence = persOverride ?? config.persistence;
  const effective = new Map<string, { algorithm: string; persistence: string; hashKey: HashKeyConfig }>();
  for (const p of config.pools) {
    const isDefault = p.name === defaultPool;
    effective.set(p.name, {
      algorithm: (isDefault ? algOverride : undefined) ?? p.algorithm ?? globalAlgorithm,
      persistence: (isDefault ? persOverride : undefined) ?? p.persistence ?? globalPersistence,
      hashKey: p.hashKey,
    });
  }

  const pools = config.pools.map((p) => poolSpec(p, effective.get(p.name)!)).sort((a, b) => compare(a.name, b.name));
  const routes = pathRouting ? config.routes.map((r, i) => routeSpec(r, i, effective.get(r.pool))) : [];

  const snapshot: Snapshot = {
    version: '',
    pools,
    routes,
    default_pool: defaultPool,
    cookie: {
      name: config.cookie.name,
      ttl_s: config.cookie.ttlS,
      secret: config.cookie.secret ?? options.cookieSecret,
      secure: config.cookie.secure,
      previous_secrets: [],
    },
    trusted_proxies: [...config.trustedProxies],
    limits: {
      max_header_bytes: config.limits.maxHeaderBytes,
      max_headers: config.limits.maxHeaders,
      header_timeout_ms: config.limits.headerTimeoutMs,
      request_timeout_ms: config.limits.requestTimeoutMs,
      keepalive_timeout_ms: config.limits.keepaliveTimeoutMs,
      shutdown_timeout_ms: config.limits.shutdownTimeoutMs,
      drain_timeout_ms: config.limits.drainTimeoutMs,
      max_body_bytes: String(config.limits.maxBodyBytes),
      max_connections: config.limits.maxConnections,
      max_websockets: config.limits.maxWebSockets,
      websocket_max_message_bytes: String(config.limits.websocketMaxMessageBytes),
      underscores_in_headers: config.limits.underscoresInHeaders,
      allow_trace: config.limits.allowTrace,
    },
    source: options.source ?? config.source,
    // Stamped by the ConfigStore when it publishes.
    generation: '0',
  };
  snapshot.version = computeVersion(snapshot);
  return snapshot;
}

/**
 * First 16 hex digits of SHA-256 over the canonical JSON (sorted keys) of the snapshot without
 * `version`, `source`, `generation` and the config line numbers: those tell where things were written, not what
 * a data plane does, so moving lines around keeps the version. Pools are hashed in name order and
 * backends in id order; routes keep their order (it is the match order).
 */
export function computeVersion(snapshot: Snapshot): string {
  const pools = [...snapshot.pools]
    .sort((a, b) => compare(a.name, b.name))
    .map(({ line: _line, backends, ...rest }) => ({
      ...rest,
      // An empty discovered_from is left out so configs without discovery keep their versions.
      backends: [...backends].sort((a, b) => compare(a.id, b.id)).map(({ discovered_from, ...b }) => (discovered_from ? { ...b, discovered_from } : b)),
    }));
  const routes = snapshot.routes.map(({ line: _line, ...rest }) => rest);
  const { version: _v, source: _s, generation: _g, ...rest } = snapshot;
  const text = canonicalJson({ ...rest, pools, routes });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** `${pool}/${host}:${port}`, with `https://` before the host for HTTPS backends. */
export function backendId(pool: string, b: Pick<BackendConfig, 'scheme' | 'host' | 'port'>): string {
  return `${pool}/${b.scheme === 'https' ? 'https://' : ''}${b.host}:${b.port}`;
}

function poolSpec(p: PoolConfig, eff: { algorithm: string; persistence: string; hashKey: HashKeyConfig }): PoolSpec {
  const hc = p.healthCheck;
  // A `discover=` backend is a name only the control plane resolves: data planes get the
  // addresses (expanded into the config by controlplane/discovery), never the name.
  const backends: BackendSpec[] = p.backends
    .filter((b) => !b.discover)
    .map((b) => ({
      id: backendId(p.name, b),
      url: b.url,
      weight: b.weight,
      max_connections: b.maxConnections,
      admin_state: b.down ? ('MAINTENANCE' as const) : b.drainDeadlineUnixMs ? ('DRAINING' as const) : ('READY' as const),
      drain_deadline_unix_ms: String(b.drainDeadlineUnixMs ?? 0),
      backup: b.backup,
      discovered_from: b.discoveredFrom ?? '',
    }))
    .sort((a, b) => compare(a.id, b.id));
  return {
    name: p.name,
    algorithm: eff.algorithm,
    persistence: { type: eff.persistence, key: { ...eff.hashKey } },
    health_check: {
      enabled: hc.enabled,
      type: hc.type,
      path: hc.path,
      interval_ms: hc.intervalMs,
      timeout_ms: hc.timeoutMs,
      healthy_threshold: hc.healthyThreshold,
      unhealthy_threshold: hc.unhealthyThreshold,
      expected_status_min: hc.statusMin,
      expected_status_max: hc.statusMax,
      host: hc.host,
    },
    passive_health: {
      enabled: p.passiveHealth.enabled,
      max_failures: p.passiveHealth.maxFailures,
      ejection_ms: p.passiveHealth.ejectionMs,
      max_ejection_ms: p.passiveHealth.maxEjectionMs,
      errors: p.passiveHealth.errors,
      max_ejection_percent: p.passiveHealth.maxEjectionPercent,
    },
    timeouts: {
      connect_ms: p.timeouts.connectMs,
      response_ms: p.timeouts.responseMs,
      idle_ms: p.timeouts.idleMs,
      websocket_idle_ms: p.timeouts.websocketIdleMs,
      retries: p.timeouts.retries,
    },
    backends,
    hash_balance_factor: p.hashBalanceFactor,
    line: p.line,
    panic_threshold_percent: p.panicThresholdPercent,
  };
}

function routeSpec(
  r: RouteConfig,
  order: number,
  pool: { persistence: string; hashKey: HashKeyConfig } | undefined,
): RouteSpec {
  const headers: HeaderMatchSpec[] = r.headers.map((h) => {
    const name = h.name.toLowerCase();
    if (h.kind === 'present') return { name, present: true, value: 'present' };
    if (h.kind === 'regex') return { name, regex: h.value, value: 'regex' };
    return { name, exact: h.value, value: 'exact' };
  });
  const base = { host: r.host, headers, methods: [...r.methods] };
  let match: RouteMatchSpec;
  switch (r.path.kind) {
    case 'exact':
      match = { exact: r.path.value, path: 'exact', ...base };
      break;
    case 'prefix':
      match = { prefix: r.path.value, path: 'prefix', ...base };
      break;
    case 'regex':
      match = { regex: r.path.value, path: 'regex', ...base };
      break;
    default:
      match = base;
  }
  // A route's own hash key only means something together with a persistence type: the pool's.
  let persistence: PersistenceSpec | null = null;
  if (r.persistence !== null || r.hashKey !== null) {
    persistence = {
      type: r.persistence ?? pool?.persistence ?? 'none',
      key: { ...(r.hashKey ?? pool?.hashKey ?? DEFAULT_HASH_KEY) },
    };
  }
  return {
    order,
    match,
    pool: r.pool,
    algorithm: r.algorithm ?? '',
    persistence,
    line: r.line,
    display: r.display,
  };
}

/** Code-point order, the same in every locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with object keys sorted at every level; undefined members are left out as JSON does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort(compare)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

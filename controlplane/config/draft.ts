// The Draft: what the parser makes of a config file before validate.ts resolves references
// between pools, routes and the default. Every value is parsed; names are not yet checked.
import type {
  CookieConfig,
  DiscoverConfig,
  HashKeyConfig,
  HeaderMatchConfig,
  HealthCheckConfig,
  LimitsConfig,
  PassiveHealthConfig,
  PathMatchConfig,
  ResolverConfig,
  TimeoutsConfig,
} from './model.js';
import type { AlgorithmName, PersistenceName } from './names.js';
import type { Pos } from './problems.js';

export interface DraftBackend extends Pos {
  url: string;
  scheme: 'http' | 'https';
  host: string;
  port: number;
  weight: number;
  maxConnections: number;
  backup: boolean;
  down: boolean;
  discover?: DiscoverConfig | null;
}

/** Settings a pool may carry; also the global defaults for every pool. */
export interface PoolSettings {
  algorithm: AlgorithmName | null;
  persistence: PersistenceName | null;
  hashKey: HashKeyConfig | null;
  hashBalanceFactor: number | null;
  panicThresholdPercent: number | null;
  healthCheck: Partial<HealthCheckConfig>;
  passiveHealth: Partial<PassiveHealthConfig>;
  timeouts: Partial<TimeoutsConfig>;
  /** Where algorithm / persistence were set, to warn when set twice. */
  setAt: Map<string, number>;
}

export interface DraftPool extends PoolSettings {
  name: string;
  /** First `pool` / `upstream` / backend naming it; 0 while only settings (pool=) mention it. */
  line: number;
  col: number;
  /** Named by a `pool` or `upstream` statement. */
  declared: boolean;
  backends: DraftBackend[];
}

export interface DraftRoute {
  line: number;
  /** Column of the `route` keyword. */
  col: number;
  path: PathMatchConfig;
  host: string;
  headers: HeaderMatchConfig[];
  methods: string[];
  pool: string;
  poolPos: Pos;
  algorithm: AlgorithmName | null;
  persistence: PersistenceName | null;
  hashKey: HashKeyConfig | null;
  display: string;
  /** A pattern was given (a regex may still be bad) — false when the match itself is broken. */
  valid: boolean;
}

/** A per-pool setting (health_check pool=X, timeout ... pool=X) naming a pool. */
export interface PoolRef extends Pos {
  name: string;
  directive: string;
}

export interface Draft {
  global: PoolSettings;
  pools: Map<string, DraftPool>;
  routes: DraftRoute[];
  defaultBackend: (Pos & { name: string }) | null;
  cookie: Partial<CookieConfig>;
  trustedProxies: string[];
  limits: Partial<LimitsConfig>;
  poolRefs: PoolRef[];
  /** Some backend/server statement was seen (even a broken one). */
  sawBackend: boolean;
  resolver?: ResolverConfig;
}

/** Environment for `secret=env:NAME`. */
export type Env = Readonly<Record<string, string | undefined>>;

export function emptySettings(): PoolSettings {
  return {
    algorithm: null,
    persistence: null,
    hashKey: null,
    hashBalanceFactor: null,
    panicThresholdPercent: null,
    healthCheck: {},
    passiveHealth: {},
    timeouts: {},
    setAt: new Map(),
  };
}

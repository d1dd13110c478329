// The typed, validated configuration: what a config file means once every reference resolves.
// Pools carry fully resolved settings except algorithm and persistence, which stay null when the
// pool sets none so that global defaults (and command-line overrides of them) still apply.
import type { AlgorithmName, PersistenceName } from './names.js';
import { DRAIN_TIMEOUT_DEFAULT_MS } from '../../proto/defaults.js';

export interface HashKeyConfig {
  /** path | uri | ip | header | cookie */
  source: 'path' | 'uri' | 'ip' | 'header' | 'cookie';
  /** Header or cookie name; '' for the other sources. */
  name: string;
}

export interface HealthCheckConfig {
  enabled: boolean;
  type: 'http' | 'tcp';
  path: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  statusMin: number;
  statusMax: number;
  /** Host header for the check; '' = the backend's host:port. */
  host: string;
}

export interface PassiveHealthConfig {
  enabled: boolean;
  maxFailures: number;
  ejectionMs: number;
  maxEjectionMs: number;
  /** What counts as a failed response: 502/503/504 only (`gateway`), or any 5xx. */
  errors: 'gateway' | '5xx';
  /** Most of a pool (%) passive health may eject at once; one backend may always be ejected. */
  maxEjectionPercent: number;
}

export interface TimeoutsConfig {
  connectMs: number;
  responseMs: number;
  idleMs: number;
  /** 0 = no idle limit on WebSocket tunnels. */
  websocketIdleMs: number;
  retries: number;
}

export interface BackendConfig {
  /** Normalized: scheme://host[:port] with no path. */
  url: string;
  scheme: 'http' | 'https';
  /** Lower-case host; IPv6 addresses keep their brackets. */
  host: string;
  /** Explicit, or 80 / 443 by scheme. */
  port: number;
  weight: number;
  /** 0 = unlimited. */
  maxConnections: number;
  backup: boolean;
  /** Marked `down`: starts in maintenance. */
  down: boolean;
  line: number;
  /** Set: a name the control plane resolves; the snapshot carries what it resolves to, never this. */
  discover?: DiscoverConfig | null;
  /** Filled by discovery on the concrete backends it yields: "dns:NAME" or "srv:NAME". */
  discoveredFrom?: string;
  /** Discovery: the backend left DNS and drains until this moment (unix ms); 0 or absent = no. */
  drainDeadlineUnixMs?: number;
}

export interface DiscoverConfig {
  /** dns: A/AAAA records, the URL's port; srv: SRV records give targets, ports and weights. */
  mode: 'dns' | 'srv';
  /** The name resolved: the URL's host. */
  name: string;
  /** The longest wait between two resolutions (the TTL ceiling). */
  intervalMs: number;
}

/** The `resolver` directive: how the control plane resolves discovered backends. */
export interface ResolverConfig {
  /** "ADDR:PORT" name servers; empty = the system's resolvers. */
  servers: string[];
  /** TTL floor: never re-resolve sooner than this (the backend's interval= is the ceiling). */
  ttlMinMs: number;
  /** How long a name must answer NXDOMAIN (or no address) before its pool loses its addresses. */
  nxdomainGraceMs: number;
  /** Per query attempt. */
  timeoutMs: number;
  line: number;
}

export interface PoolConfig {
  name: string;
  /** Line where the pool was first mentioned (pool, upstream or a backend's pool=). */
  line: number;
  /** The pool's own algorithm; null = the global default. */
  algorithm: AlgorithmName | null;
  /** The pool's own persistence; null = the global default. */
  persistence: PersistenceName | null;
  hashKey: HashKeyConfig;
  /** 0 = off, else >= 1. */
  hashBalanceFactor: number;
  healthCheck: HealthCheckConfig;
  passiveHealth: PassiveHealthConfig;
  /** Healthy share (%) of the ready primaries below which health is ignored; 0 = off. */
  panicThresholdPercent: number;
  timeouts: TimeoutsConfig;
  /** In file order. */
  backends: BackendConfig[];
}

export type PathMatchConfig =
  | { kind: 'exact'; value: string }
  | { kind: 'prefix'; value: string }
  | { kind: 'regex'; value: string }
  | { kind: 'any' };

export interface HeaderMatchConfig {
  /** As written (the snapshot lower-cases it). */
  name: string;
  kind: 'exact' | 'regex' | 'present';
  /** '' for present. */
  value: string;
}

export interface RouteConfig {
  line: number;
  path: PathMatchConfig;
  /** Lower-case host, '' = any; may start with "*.". */
  host: string;
  headers: HeaderMatchConfig[];
  /** Upper-case methods; empty = any. */
  methods: string[];
  pool: string;
  algorithm: AlgorithmName | null;
  persistence: PersistenceName | null;
  /** A route's own hash key for hash persistence; null = the pool's. */
  hashKey: HashKeyConfig | null;
  /** Human-readable match, e.g. "/api/*" or "header X-Tenant=beta". */
  display: string;
}

export interface CookieConfig {
  name: string;
  ttlS: number;
  /** null = not configured (the snapshot builder is given one). */
  secret: string | null;
  secure: boolean;
}

export interface LimitsConfig {
  maxHeaderBytes: number;
  maxHeaders: number;
  headerTimeoutMs: number;
  requestTimeoutMs: number;
  keepaliveTimeoutMs: number;
  shutdownTimeoutMs: number;
  drainTimeoutMs: number;
  /** 0 = unlimited. */
  maxBodyBytes: number;
  /** Client connections one data plane holds open; more are closed at once. */
  maxConnections: number;
  /** WebSocket tunnels one data plane holds open; more upgrades get 503. */
  maxWebSockets: number;
  /** Largest WebSocket message either way; a bigger one closes the tunnel with 1009. */
  websocketMaxMessageBytes: number;
  /** Forward header names containing '_' (off: dropped, as nginx does). */
  underscoresInHeaders: boolean;
  /** Forward TRACE (off: 405, as nginx does). */
  allowTrace: boolean;
}

export interface Config {
  /** The file it came from (as given to the parser). */
  source: string;
  /** Global default algorithm for pools that set none. */
  algorithm: AlgorithmName;
  /** Global default persistence for pools that set none. */
  persistence: PersistenceName;
  /** In order of first mention. */
  pools: PoolConfig[];
  /** In file order = match order. */
  routes: RouteConfig[];
  /** '' = none (unmatched requests get 404). */
  defaultPool: string;
  cookie: CookieConfig;
  trustedProxies: string[];
  limits: LimitsConfig;
  /** Absent: the defaults (DEFAULT_RESOLVER). */
  resolver?: ResolverConfig;
}

export const DEFAULT_RESOLVER: Readonly<ResolverConfig> = {
  servers: [],
  ttlMinMs: 1000,
  nxdomainGraceMs: 60_000,
  timeoutMs: 2000,
  line: 0,
};

export const DEFAULT_DISCOVER_INTERVAL_MS = 10_000;

export const DEFAULT_HEALTH_CHECK: Readonly<HealthCheckConfig> = {
  enabled: true,
  type: 'http',
  path: '/',
  intervalMs: 5000,
  timeoutMs: 2000,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  statusMin: 200,
  statusMax: 399,
  host: '',
};

export const DEFAULT_PASSIVE_HEALTH: Readonly<PassiveHealthConfig> = {
  enabled: true,
  maxFailures: 5,
  ejectionMs: 10_000,
  maxEjectionMs: 300_000,
  errors: 'gateway',
  maxEjectionPercent: 50,
};

/** Off: a pool whose backends are all unhealthy answers 503 (see docs/config.md, panic_threshold). */
export const DEFAULT_PANIC_THRESHOLD_PERCENT = 0;

export const DEFAULT_TIMEOUTS: Readonly<TimeoutsConfig> = {
  connectMs: 5000,
  responseMs: 60_000,
  idleMs: 60_000,
  websocketIdleMs: 0,
  retries: 2,
};

export const DEFAULT_LIMITS: Readonly<LimitsConfig> = {
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 100,
  headerTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepaliveTimeoutMs: 5000,
  shutdownTimeoutMs: 30_000,
  drainTimeoutMs: DRAIN_TIMEOUT_DEFAULT_MS,
  maxBodyBytes: 0,
  maxConnections: 10_000,
  maxWebSockets: 10_000,
  websocketMaxMessageBytes: 16 * 1024 * 1024,
  underscoresInHeaders: false,
  allowTrace: false,
};

export const DEFAULT_COOKIE: Readonly<CookieConfig> = {
  name: 'GOLB_SESSION',
  ttlS: 24 * 3600,
  secret: null,
  secure: false,
};

export const DEFAULT_HASH_KEY: Readonly<HashKeyConfig> = { source: 'path', name: '' };

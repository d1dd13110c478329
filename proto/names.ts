// The names the snapshot uses for algorithms and persistence types, with every spelling an operator
// may type. One table for the whole product: the config parser accepts exactly these, the snapshot
// carries only the canonical names, and the data plane's balancer registry is keyed by them.

export const ALGORITHMS = [
  'round_robin',
  'weighted_round_robin',
  'least_connections',
  'ip_hash',
  'consistent_hash',
  'random',
  'power_of_two',
] as const;
export type AlgorithmName = (typeof ALGORITHMS)[number];

export const PERSISTENCE_TYPES = ['none', 'cookie', 'ip_hash', 'consistent_hash'] as const;
export type PersistenceName = (typeof PERSISTENCE_TYPES)[number];

/** Short forms and the names nginx / HAProxy / Envoy users type, after `normalizeName`. */
const ALGORITHM_ALIASES: Readonly<Record<string, AlgorithmName>> = {
  rr: 'round_robin',
  roundrobin: 'round_robin',
  weighted: 'weighted_round_robin',
  wrr: 'weighted_round_robin',
  least_conn: 'least_connections',
  leastconn: 'least_connections',
  least_connection: 'least_connections',
  least_request: 'least_connections',
  iphash: 'ip_hash',
  source: 'ip_hash',
  hash: 'consistent_hash',
  consistent: 'consistent_hash',
  ketama: 'consistent_hash',
  ring_hash: 'consistent_hash',
  p2c: 'power_of_two',
  power_of_two_choices: 'power_of_two',
};

const PERSISTENCE_ALIASES: Readonly<Record<string, PersistenceName>> = {
  off: 'none',
  sticky: 'cookie',
  iphash: 'ip_hash',
  hash: 'consistent_hash',
};

/** Any case, `-` or `_`, surrounding blanks ignored: " Least-Conn" → "least_conn". */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replaceAll('-', '_');
}

/** The canonical algorithm for a spelling, or undefined when it names none. */
export function canonicalAlgorithm(name: string): AlgorithmName | undefined {
  const n = normalizeName(name);
  if ((ALGORITHMS as readonly string[]).includes(n)) return n as AlgorithmName;
  return Object.hasOwn(ALGORITHM_ALIASES, n) ? ALGORITHM_ALIASES[n] : undefined;
}

/** The canonical persistence type for a spelling, or undefined when it names none. */
export function canonicalPersistence(name: string): PersistenceName | undefined {
  const n = normalizeName(name);
  if ((PERSISTENCE_TYPES as readonly string[]).includes(n)) return n as PersistenceName;
  return Object.hasOwn(PERSISTENCE_ALIASES, n) ? PERSISTENCE_ALIASES[n] : undefined;
}

// Canonical algorithm and persistence names with their accepted spellings. The control plane
// keeps its own list (it never imports dataplane/); the names are the snapshot's registry keys.

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

/** Short forms and the names nginx / HAProxy users type, after normalization (see `normalizeName`). */
const ALGORITHM_ALIASES: Readonly<Record<string, AlgorithmName>> = {
  rr: 'round_robin',
  roundrobin: 'round_robin',
  weighted: 'weighted_round_robin',
  wrr: 'weighted_round_robin',
  least_conn: 'least_connections',
  leastconn: 'least_connections',
  least_connection: 'least_connections',
  iphash: 'ip_hash',
  hash: 'consistent_hash',
  p2c: 'power_of_two',
  power_of_two_choices: 'power_of_two',
};

const PERSISTENCE_ALIASES: Readonly<Record<string, PersistenceName>> = {
  sticky: 'cookie',
  iphash: 'ip_hash',
  hash: 'consistent_hash',
};

/** Any case, `-` or `_`: "Least-Conn" → "least_conn". */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replaceAll('-', '_');
}

/** The canonical algorithm for a spelling, or undefined when it names none. */
export function canonicalAlgorithm(name: string): AlgorithmName | undefined {
  const n = normalizeName(name);
  if ((ALGORITHMS as readonly string[]).includes(n)) return n as AlgorithmName;
  return ALGORITHM_ALIASES[n];
}

/** The canonical persistence type for a spelling, or undefined when it names none. */
export function canonicalPersistence(name: string): PersistenceName | undefined {
  const n = normalizeName(name);
  if ((PERSISTENCE_TYPES as readonly string[]).includes(n)) return n as PersistenceName;
  return PERSISTENCE_ALIASES[n];
}

export function unknownAlgorithmMessage(name: string): string {
  return `unknown algorithm "${name}" (expected one of: ${ALGORITHMS.join(', ')})`;
}

export function unknownPersistenceMessage(name: string): string {
  return `unknown persistence "${name}" (expected one of: ${PERSISTENCE_TYPES.join(', ')})`;
}

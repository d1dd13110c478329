// Algorithm names and the factory the pools use to build a balancer for a snapshot.
import type { Balancer, BalancerFactory, BalancerOptions, BalancerTarget } from './balancer.js';
import { createConsistentHash } from './consistent-hash.js';
import { createIpHash } from './ip-hash.js';
import { createLeastConnections } from './least-connections.js';
import { createPowerOfTwo } from './power-of-two.js';
import { createRandom } from './random.js';
import { createRoundRobin } from './round-robin.js';
import { createWeightedRoundRobin } from './weighted-round-robin.js';

const FACTORIES = {
  round_robin: createRoundRobin,
  weighted_round_robin: createWeightedRoundRobin,
  least_connections: createLeastConnections,
  ip_hash: createIpHash,
  consistent_hash: createConsistentHash,
  random: createRandom,
  power_of_two: createPowerOfTwo,
} as const satisfies Record<string, BalancerFactory>;

type AlgorithmName = keyof typeof FACTORIES;

/** The canonical algorithm names. */
export const ALGORITHMS: readonly string[] = Object.freeze(Object.keys(FACTORIES));

/** Other accepted spellings (after lower-casing and turning `-` into `_`). */
const ALIASES: Readonly<Record<string, AlgorithmName>> = {
  least_conn: 'least_connections',
  weighted: 'weighted_round_robin',
  wrr: 'weighted_round_robin',
  rr: 'round_robin',
  p2c: 'power_of_two',
  iphash: 'ip_hash',
  consistent: 'consistent_hash',
  ketama: 'consistent_hash',
};

function isCanonical(name: string): name is AlgorithmName {
  return Object.prototype.hasOwnProperty.call(FACTORIES, name);
}

/**
 * The canonical name for `name`, or undefined when it names no algorithm. Case-insensitive;
 * `-` and `_` are interchangeable; surrounding whitespace is ignored. "Least-Conn" → "least_connections".
 */
export function canonicalAlgorithm(name: string): string | undefined {
  const normalized = name.trim().toLowerCase().replaceAll('-', '_');
  if (isCanonical(normalized)) return normalized;
  return Object.prototype.hasOwnProperty.call(ALIASES, normalized) ? ALIASES[normalized] : undefined;
}

export function isKnownAlgorithm(name: string): boolean {
  return canonicalAlgorithm(name) !== undefined;
}

/** Builds the balancer for `name` (any accepted spelling); throws on an unknown name. */
export function createBalancer<T extends BalancerTarget>(
  name: string,
  targets: readonly T[],
  options: BalancerOptions = {},
): Balancer<T> {
  const canonical = canonicalAlgorithm(name);
  if (canonical === undefined || !isCanonical(canonical)) throw new Error(`unknown algorithm "${name}"`);
  return FACTORIES[canonical](targets, options);
}

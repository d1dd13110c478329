// Algorithm names and the factory the pools use to build a balancer for a snapshot.
import type { Balancer, BalancerFactory, BalancerOptions, BalancerTarget } from './balancer.js';
import { createConsistentHash } from './consistent-hash.js';
import { createIpHash } from './ip-hash.js';
import { createLeastConnections } from './least-connections.js';
import { createPowerOfTwo } from './power-of-two.js';
import { createRandom } from './random.js';
import { createRoundRobin } from './round-robin.js';
import { createWeightedRoundRobin } from './weighted-round-robin.js';
import { ALGORITHMS, canonicalAlgorithm, type AlgorithmName } from '../../proto/names.js';

const FACTORIES = {
  round_robin: createRoundRobin,
  weighted_round_robin: createWeightedRoundRobin,
  least_connections: createLeastConnections,
  ip_hash: createIpHash,
  consistent_hash: createConsistentHash,
  random: createRandom,
  power_of_two: createPowerOfTwo,
} as const satisfies Record<AlgorithmName, BalancerFactory>;

/** The canonical algorithm names, in the product's order (proto/names.ts). */
export { ALGORITHMS };

/**
 * The canonical name for `name`, or undefined when it names no algorithm. Case-insensitive;
 * `-` and `_` are interchangeable; surrounding whitespace is ignored. "Least-Conn" → "least_connections".
 * Snapshots carry canonical names only; the spellings are the config language's (proto/names.ts).
 */
export { canonicalAlgorithm };

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
  if (canonical === undefined) throw new Error(`unknown algorithm "${name}"`);
  return FACTORIES[canonical](targets, options);
}

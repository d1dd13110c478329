// Algorithm and persistence names as the config language accepts them: the table itself is the
// product's one definition in proto/names.ts; this file adds the parser's messages.
import { ALGORITHMS, PERSISTENCE_TYPES } from '../../proto/names.js';

export {
  ALGORITHMS,
  PERSISTENCE_TYPES,
  canonicalAlgorithm,
  canonicalPersistence,
  normalizeName,
  type AlgorithmName,
  type PersistenceName,
} from '../../proto/names.js';

export function unknownAlgorithmMessage(name: string): string {
  return `unknown algorithm "${name}" (expected one of: ${ALGORITHMS.join(', ')})`;
}

export function unknownPersistenceMessage(name: string): string {
  return `unknown persistence "${name}" (expected one of: ${PERSISTENCE_TYPES.join(', ')})`;
}

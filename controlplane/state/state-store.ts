// The operator state a control plane must not forget: the config text last applied (by the file,
// SIGHUP or `golbctl reload FILE`) with its source name, the drain/maintenance states with their
// deadlines, and the generation last stamped on a snapshot. A StateStore keeps it across restarts.
import type { AdminOverride } from '../config-store.js';

export interface OperatorState {
  /** The generation of the last snapshot published; the next one is strictly greater. */
  generation: number;
  /** Absent until a config has been applied once. */
  config?: { text: string; source: string; appliedAtUnixMs: number };
  /** Backend id → runtime admin state; a backend absent here is READY. */
  admin: Record<string, AdminOverride>;
}

/**
 * Durable storage for OperatorState. `save` is called before a change is published to any data
 * plane and returns only once the state is durable; when it throws, the change is refused and the
 * running state is kept. `load` is called once at start; undefined means nothing was saved yet.
 */
export interface StateStore {
  /** Where the state lives, for logs (`state dir /var/lib/golb`). */
  readonly description: string;
  load(): Promise<OperatorState | undefined>;
  save(state: OperatorState): Promise<void>;
  /**
   * Shared stores only (several control-plane replicas): calls `fn` with every state saved after
   * `load`, by any replica (this one's own saves included), in order, and again after reconnecting.
   */
  watch?(fn: (state: OperatorState) => void): void;
  close?(): Promise<void>;
}

export class StateStoreError extends Error {
  readonly code = 'GOLB_ERR_STATE_STORE';
}

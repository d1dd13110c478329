// The data plane's BackendState records, keyed by BackendId, carried across snapshots so health,
// load and counters survive a reload.
import type { Snapshot } from '../../proto/index.js';
import { BackendState } from './backend-state.js';

export class BackendTable {
  readonly #states = new Map<string, BackendState>();

  /**
   * Returns the records for every backend of `snapshot`, creating new ones; records of backends
   * the snapshot no longer has are kept until `retain` is called with the applied snapshot, so a
   * snapshot that fails to build never loses state.
   */
  statesFor(snapshot: Snapshot): Map<string, BackendState> {
    const out = new Map<string, BackendState>();
    for (const pool of snapshot.pools) {
      for (const b of pool.backends) {
        let state = this.#states.get(b.id);
        if (!state) state = new BackendState(b.id, pool.name, b.url);
        state.url = b.url;
        out.set(b.id, state);
      }
    }
    return out;
  }

  /** Makes `states` the live set; records of removed backends are dropped. */
  retain(states: Map<string, BackendState>): void {
    this.#states.clear();
    for (const [id, s] of states) this.#states.set(id, s);
  }

  get(id: string): BackendState | undefined {
    return this.#states.get(id);
  }

  values(): IterableIterator<BackendState> {
    return this.#states.values();
  }
}

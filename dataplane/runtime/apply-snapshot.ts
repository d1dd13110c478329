// Applying a snapshot: build the next Runtime off to the side (a snapshot that cannot be built
// throws and changes nothing, so the caller NACKs), swap it in with one assignment, then bring the
// parts that live outside the runtime in line with it.
import type { Snapshot } from '../../proto/index.js';
import type { ForwardEngine } from '../forward/engine.js';
import type { CheckedPool } from '../health/active-checker.js';
import type { BackendTable } from '../pools/backend-table.js';
import { DEFAULT_HEALTH_CHECK } from './defaults.js';
import { Runtime } from './runtime.js';

/** What outside the runtime follows each applied snapshot. */
export interface SnapshotApplierDeps {
  /** The data plane's id, for the log line. */
  id: string;
  /** Backend records carried across snapshots (health, load, counters). */
  table: BackendTable;
  /** The traffic listener's deadlines, head limit and connection cap. */
  listener: { applyLimits(runtime: Runtime): void };
  /** Upstream pools of backends no longer in the config are closed. */
  engine: Pick<ForwardEngine, 'retain'>;
  /** Active health checks follow the pools and backends. */
  checker: { update(pools: readonly CheckedPool[]): void };
  /** Open WebSocket tunnels follow their backend's admin state. */
  tunnels: { reconcileAll(): void };
  /** Reports every backend's health to the control plane (a new version may list new ones). */
  sendFullHealth(): void;
  log(line: string): void;
  /** Test hook: refuse snapshots whose regex contains this text (see RuntimeOptions). */
  rejectRegexContaining?: string;
}

export class SnapshotApplier {
  readonly #deps: SnapshotApplierDeps;
  #current: Runtime | undefined;
  #markReady: () => void = () => {};
  /** Resolves once the first snapshot is applied. */
  readonly ready = new Promise<void>((resolve) => (this.#markReady = resolve));

  constructor(deps: SnapshotApplierDeps) {
    this.#deps = deps;
  }

  /** The runtime in force now; undefined before the first snapshot. */
  get current(): Runtime | undefined {
    return this.#current;
  }

  /** Applies `snapshot` (a no-op for the version in force); throws with a one-line reason when it cannot be built. */
  apply(snapshot: Snapshot): void {
    const d = this.#deps;
    if (this.#current?.version === snapshot.version) return;
    const states = d.table.statesFor(snapshot);
    const next = new Runtime(snapshot, states, { rejectRegexContaining: d.rejectRegexContaining });
    // One assignment: requests that started keep the runtime they read.
    this.#current = next;
    d.table.retain(states);
    d.listener.applyLimits(next);
    // Upstream pools of backends that left the config are closed (gracefully) and forgotten.
    d.engine.retain(new Set([...next.pools.values()].flatMap((pool) => pool.backends.map((b) => b.url.origin))));
    d.checker.update(
      [...next.pools.values()].map((pool) => ({
        name: pool.name,
        spec: pool.spec.health_check ?? DEFAULT_HEALTH_CHECK,
        backends: pool.backends.map((b) => ({ state: b.state, url: b.url })),
      })),
    );
    d.tunnels.reconcileAll();
    d.sendFullHealth();
    d.log(`[dataplane ${d.id}] applied config version ${snapshot.version}`);
    this.#markReady();
  }
}

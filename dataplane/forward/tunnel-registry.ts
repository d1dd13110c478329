// The open WebSocket tunnels and the backend each one goes to: a tunnel whose backend leaves the
// config or enters maintenance closes, one whose backend drains closes at the drain deadline, and
// every tunnel closes with 1001 on shutdown.
import type { Backend } from '../pools/backend.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Tunnel } from './engine.js';

/** How long shutdown waits for closed tunnels to finish their closing handshake. */
const CLOSE_WAIT_MS = 2000;

export class TunnelRegistry {
  readonly #tunnels = new Map<Tunnel, { backend: Backend; timer?: NodeJS.Timeout }>();
  readonly #current: () => Runtime | undefined;

  /** `current` is the runtime in force: a tunnel is reconciled against the backends it lists. */
  constructor(current: () => Runtime | undefined) {
    this.#current = current;
  }

  /** Tracks a tunnel that just opened (forgotten once it closes), and reconciles it at once. */
  add(tunnel: Tunnel, backend: Backend): void {
    this.#tunnels.set(tunnel, { backend });
    void tunnel.closed.then(() => {
      clearTimeout(this.#tunnels.get(tunnel)?.timer);
      this.#tunnels.delete(tunnel);
    });
    this.#reconcile(tunnel);
  }

  /** After a snapshot was applied: every tunnel against its backend's new admin state. */
  reconcileAll(): void {
    for (const tunnel of this.#tunnels.keys()) this.#reconcile(tunnel);
  }

  /** Closes every tunnel with `code`; resolves once all are closed, or after a bounded wait. */
  async closeAll(code: number, reason: string): Promise<void> {
    for (const tunnel of this.#tunnels.keys()) tunnel.close(code, reason);
    await Promise.race([
      Promise.all([...this.#tunnels.keys()].map((t) => t.closed)),
      new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref()),
    ]);
  }

  /** Closes a tunnel whose backend is gone or in maintenance; schedules the close of a draining one. */
  #reconcile(tunnel: Tunnel): void {
    const entry = this.#tunnels.get(tunnel);
    const runtime = this.#current();
    if (!entry || !runtime) return;
    const current = runtime.pools.get(entry.backend.state.pool)?.byId.get(entry.backend.id);
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (!current || current.adminState === 'MAINTENANCE') {
      tunnel.close(1001, 'backend going away');
    } else if (current.adminState === 'DRAINING') {
      const wait = current.drainDeadline > 0 ? Math.max(0, current.drainDeadline - Date.now()) : runtime.limits.drain_timeout_ms;
      entry.timer = setTimeout(() => tunnel.close(1001, 'backend draining'), wait);
      entry.timer.unref();
    }
  }
}

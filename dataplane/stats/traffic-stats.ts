// Cumulative counters of one data plane that are not per backend: totals, unrouted requests,
// 503s for want of a backend, and route hits (kept across snapshots by route key).
export interface RouteHits {
  order: number;
  display: string;
  pool: string;
  hits: number;
}

export class TrafficStats {
  readonly startedAt = Date.now();
  totalRequests = 0;
  unrouted = 0;
  noBackend = 0;
  activeConnections = 0;
  /** Client connections closed at once because max_connections were open. */
  connectionsRefused = 0;
  /** Upgrades answered 503 because max_websockets tunnels were open. */
  websocketsRefused = 0;
  readonly routes = new Map<string, RouteHits>();

  hitRoute(key: string, order: number, display: string, pool: string): void {
    const r = this.routes.get(key);
    if (r) r.hits++;
    else this.routes.set(key, { order, display, pool, hits: 1 });
  }
}

// The shape of `GET /api/stats`: the original tool's fields (method, persistenceType,
// totalRequests, uptime, backends[] with url/alive/weight/requestCount/errorCount/loadPercentage/
// responseTimeAvg) plus golb's detail. Types only, no imports: the dashboard's browser code reads
// the same document and is type-checked against this file too.

export interface ApiBackend {
  url: string;
  /** Healthy on at least one data plane (or none reports yet) and not in maintenance. */
  alive: boolean;
  weight: number;
  requestCount: number;
  errorCount: number;
  /** Share of all requests, 0..100. */
  loadPercentage: number;
  responseTimeAvg: number;
  id: string;
  pool: string;
  /** Admin state: ready | draining | maintenance. */
  state: 'ready' | 'draining' | 'maintenance';
  /** The one word for the backend (controlplane/aggregate/backend-status.ts). */
  status: 'up' | 'degraded' | 'down' | 'draining' | 'maintenance';
  healthyOn: number;
  dataplanes: number;
  inFlight: number;
  openWebSockets: number;
  p50: number;
  p99: number;
  /** Share of its pool's requests, 0..100. */
  sharePercentInPool: number;
}

export interface ApiPool {
  name: string;
  method: string;
  persistenceType: string;
  backends: ApiBackend[];
}

export interface ApiRoute {
  order: number;
  display: string;
  pool: string;
  hits: number;
}

export interface ApiDataPlane {
  id: string;
  address: string;
  connected: boolean;
  version: string;
  ackState: string;
  nackError?: string;
  totalRequests: number;
  lastReportAgeMs: number;
  lastReportUnixMs: number;
  hostname?: string;
  softwareVersion?: string;
}

export interface ApiStats {
  method: string;
  persistenceType: string;
  totalRequests: number;
  /** Seconds. */
  uptime: number;
  version: string;
  backends: ApiBackend[];
  pools: ApiPool[];
  routes: ApiRoute[];
  unrouted: number;
  noBackend: number;
  dataplanes: ApiDataPlane[];
}

// The control plane's admin HTTP API: / (the dashboard), /api/health, /api/stats, /metrics. Read-only; binds to
// loopback unless told otherwise.
import http from 'node:http';
import type { FleetAggregate } from '../aggregate/fleet-stats.js';
import { toApiStats } from '../aggregate/fleet-stats.js';
import { renderMetrics } from '../aggregate/metrics.js';
import { isDashboardAsset, serveDashboard, serveDashboardAsset } from './dashboard/serve.js';

export interface AdminHttpSource {
  aggregate(): FleetAggregate;
  health(): Record<string, unknown>;
}

export function createAdminHttpServer(src: AdminHttpSource): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(405, 'application/json', JSON.stringify({ error: 'method not allowed' }));
      return;
    }
    try {
      switch (path) {
        case '/':
        case '/dashboard':
          serveDashboard(req, res, toApiStats(src.aggregate()));
          return;
        case '/api/health':
          send(200, 'application/json', JSON.stringify(src.health()));
          return;
        case '/api/stats':
          send(200, 'application/json', JSON.stringify(toApiStats(src.aggregate())));
          return;
        case '/metrics':
          send(200, 'text/plain; version=0.0.4; charset=utf-8', renderMetrics(src.aggregate()));
          return;
        default:
          if (isDashboardAsset(path)) {
            serveDashboardAsset(req, res, path);
            return;
          }
          send(404, 'application/json', JSON.stringify({ error: 'not found', endpoints: ['/', '/api/health', '/api/stats', '/metrics'] }));
      }
    } catch (err) {
      send(500, 'application/json', JSON.stringify({ error: (err as Error).message }));
    }
  });
}

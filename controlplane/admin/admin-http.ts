// The control plane's admin HTTP API: / (the dashboard), /api/health, /api/stats, /metrics. Read-only; binds to
// loopback unless told otherwise. Every request passes the guard (Host, token) first.
import http from 'node:http';
import type { FleetAggregate } from '../aggregate/fleet-stats.js';
import { toApiStats } from '../aggregate/to-api-stats.js';
import { renderMetrics } from '../aggregate/metrics.js';
import { guardAdminRequest, type AdminHttpGuardOptions } from './admin-http-guard.js';
import { isDashboardAsset, serveDashboard, serveDashboardAsset } from './dashboard/serve.js';

export interface AdminHttpSource {
  aggregate(): FleetAggregate;
  health(): Record<string, unknown>;
}

/** Slow clients cannot hold the admin port: a request head within 10 s, a whole request within 30 s. */
export const ADMIN_HEADERS_TIMEOUT_MS = 10_000;
export const ADMIN_REQUEST_TIMEOUT_MS = 30_000;
/** A dashboard, a scraper and a few operators need a handful; the cap keeps a flood from exhausting descriptors. */
export const ADMIN_MAX_CONNECTIONS = 64;

export function createAdminHttpServer(src: AdminHttpSource, guard: AdminHttpGuardOptions = { listenHost: '127.0.0.1' }): http.Server {
  // Timeouts are enforced on Node's connection check: every second, not the default 30 s.
  const server = http.createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
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
    const gate = guardAdminRequest(req, guard);
    if (!gate.ok) {
      if (gate.status === 303) {
        res.writeHead(303, { location: gate.location, 'set-cookie': gate.cookie, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'content-length': 0 });
        res.end();
        return;
      }
      if (gate.status === 401) res.setHeader('www-authenticate', 'Bearer realm="golb admin"');
      send(gate.status, 'application/json', JSON.stringify({ error: gate.message }));
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
  server.headersTimeout = ADMIN_HEADERS_TIMEOUT_MS;
  server.requestTimeout = ADMIN_REQUEST_TIMEOUT_MS;
  server.maxConnections = ADMIN_MAX_CONNECTIONS;
  return server;
}

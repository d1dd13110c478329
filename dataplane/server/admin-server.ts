// A data plane's local admin HTTP (readiness, liveness, its own stats), bounded so that no client
// can hold it open: head and request deadlines, an idle timeout, a connection cap, and a close
// that drops every connection at once instead of waiting for clients to finish.
import http from 'node:http';
import type { StatsReport } from '../../proto/gen/golb/v1/StatsReport.js';

export interface AdminServerSource {
  id: string;
  /** The version being served; undefined before the first snapshot. */
  version(): string | undefined;
  isClosing(): boolean;
  isControlPlaneConnected(): boolean;
  /** When the running config came from the on-disk cache (no control plane reached yet): its time. */
  cachedAt?(): number | undefined;
  /** The data plane's own report (what it streams to the control plane) plus local-only detail. */
  stats(): object;
}

/** Limits of the admin listener: it answers a few tiny GETs, so they are tight. */
export const ADMIN_LIMITS = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 64,
  maxHeaderBytes: 8_192,
} as const;

export function createAdminServer(src: AdminServerSource): http.Server {
  const server = http.createServer(
    {
      insecureHTTPParser: false,
      maxHeaderSize: ADMIN_LIMITS.maxHeaderBytes,
      headersTimeout: ADMIN_LIMITS.headersTimeoutMs,
      requestTimeout: ADMIN_LIMITS.requestTimeoutMs,
      keepAliveTimeout: ADMIN_LIMITS.keepAliveTimeoutMs,
      // Node checks the two deadlines above on this interval (default 30 s).
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const path = (req.url ?? '/').split('?')[0];
      const version = src.version();
      const closing = src.isClosing();
      if (path === '/ready' || path === '/readyz') {
        const ok = version !== undefined && !closing;
        const cachedAt = src.cachedAt?.();
        json(ok ? 200 : 503, { ready: ok, version: version ?? null, closing, ...(cachedAt ? { config: 'cached', cachedAt: new Date(cachedAt).toISOString() } : {}) });
      } else if (path === '/live' || path === '/healthz' || path === '/api/health') {
        json(200, { status: 'ok', id: src.id, version: version ?? null, controlPlaneConnected: src.isControlPlaneConnected() });
      } else if (path === '/api/stats') {
        json(200, src.stats());
      } else {
        json(404, { error: 'not found', endpoints: ['/ready', '/live', '/api/stats'] });
      }
    },
  );
  server.timeout = ADMIN_LIMITS.idleTimeoutMs;
  server.maxConnections = ADMIN_LIMITS.maxConnections;
  return server;
}

/**
 * Stops listening and destroys every connection, idle or not, at once: whatever a client is in
 * the middle of (half a head, a trickled body) it cannot delay the caller. Resolves when closed.
 */
export function closeServerNow(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

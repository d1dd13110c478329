// Serving the dashboard on the admin port: the page (`GET /`, `/dashboard`) and its assets
// (`/dashboard/client.js`, `/dashboard/cells.js`, `/dashboard/dashboard.css`, and
// `/sync/on-version.js`, the one control-plane predicate the cells share), nothing fetched from
// anywhere but the admin port itself. The browser code is compiled by `tsconfig.dashboard.json`
// into dist/dashboard-assets/ (the CSS is copied there too); assets are read once and kept.
import { existsSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiStats } from '../../aggregate/api-stats-shape.js';
import { renderDashboard } from './render.js';

/** Only the admin origin; no inline code at all (the embedded stats are a JSON data block). */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/dashboard/client.js': { file: 'client.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/cells.js': { file: 'cells.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  // cells.js imports '../../sync/on-version.js', which the browser resolves from /dashboard/ to here.
  '/sync/on-version.js': { file: join('..', '..', 'sync', 'on-version.js'), type: 'text/javascript; charset=utf-8' },
};

/** The compiled assets, from dist/ (running from dist/ or from the sources under tsx). */
function assetDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const root of [join(here, '..', '..', '..', 'dashboard-assets'), join(here, '..', '..', '..', 'dist', 'dashboard-assets')]) {
    const dir = join(root, 'admin', 'dashboard');
    if (existsSync(join(dir, 'client.js'))) return dir;
  }
  throw new Error('dashboard assets are not built: run npm run build');
}

const cache = new Map<string, Buffer>();

export function isDashboardAsset(path: string): boolean {
  return Object.hasOwn(ASSETS, path);
}

/** Answers `GET`/`HEAD` for one asset (the caller checked `isDashboardAsset`). */
export function serveDashboardAsset(req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
  const asset = ASSETS[path]!;
  let body = cache.get(asset.file);
  if (body === undefined) {
    body = readFileSync(join(assetDir(), asset.file));
    cache.set(asset.file, body);
  }
  res.writeHead(200, { 'content-type': asset.type, 'content-length': body.length, 'cache-control': 'no-cache', ...SECURITY_HEADERS });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Answers `GET`/`HEAD` for the page. */
export function serveDashboard(req: http.IncomingMessage, res: http.ServerResponse, stats: ApiStats): void {
  const body = renderDashboard(stats);
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'content-security-policy': DASHBOARD_CSP,
    ...SECURITY_HEADERS,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

// Test harness: a real control plane and real data planes on 127.0.0.1 (port 0), with the config
// written to a temp dir, plus small HTTP client helpers. Everything it starts, it stops.
import http from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../../controlplane/control-plane.js';
import { startDataPlane, type DataPlane, type DataPlaneOptions } from '../../dataplane/data-plane.js';

export type ControlPlaneHandle = Awaited<ReturnType<typeof startControlPlane>>;

export interface Cluster {
  cp: ControlPlaneHandle;
  dps: DataPlane[];
  configPath: string;
  /** Rewrites the config file and reloads it through the control plane (the SIGHUP path). */
  reload(config: string): Promise<{ ok: boolean; version?: string; errors?: string[] }>;
  addDataPlane(extra?: Partial<DataPlaneOptions>): Promise<DataPlane>;
  close(): Promise<void>;
}

export async function startCluster(config: string, opts: { dataPlanes?: number; token?: string; dp?: Partial<DataPlaneOptions> } = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'golb-test-'));
  const configPath = join(dir, 'loadbalancer.conf');
  writeFileSync(configPath, config);
  const cp = await startControlPlane({ configPath, grpcPort: 0, adminPort: 0, token: opts.token, log: () => {} });
  const dps: DataPlane[] = [];
  const addDataPlane = async (extra: Partial<DataPlaneOptions> = {}) => {
    const dp = await startDataPlane({
      controlPlane: `127.0.0.1:${cp.grpcPort}`,
      host: '127.0.0.1',
      port: 0,
      token: opts.token,
      statsIntervalMs: 100,
      log: () => {},
      ...opts.dp,
      ...extra,
    });
    dps.push(dp);
    return dp;
  };
  for (let i = 0; i < (opts.dataPlanes ?? 1); i++) await addDataPlane();
  await Promise.all(dps.map((d) => d.ready));
  return {
    cp,
    dps,
    configPath,
    addDataPlane,
    async reload(text: string) {
      writeFileSync(configPath, text);
      return cp.reload();
    },
    async close() {
      await Promise.all(dps.map((d) => d.shutdown()));
      await cp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request through the proxy; rejects only on transport errors. */
export function request(port: number, path: string, options: http.RequestOptions & { body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: keepAlive, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export { waitFor } from '../kit/wait.js';

export { tally } from '../kit/tally.js';

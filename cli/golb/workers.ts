// `golb --workers N`: N data-plane processes (node:cluster) sharing the traffic port, each a data
// plane of its own on the sync stream of the in-process control plane — so the control plane's
// stats are the sum over the workers, as for any fleet. The primary restarts a worker that dies,
// forwards SIGTERM, and waits for every worker to finish its in-flight requests.
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';

export interface WorkerFleetOptions {
  count: number;
  /** `golb dataplane` flags each worker runs with (--control-plane, --port, ...). */
  args: string[];
  /** Extra environment (the token travels here rather than on the command line). */
  env: Record<string, string | undefined>;
  /** How long a stopping fleet may take before workers are killed. */
  stopTimeoutMs: number;
  log(line: string): void;
}

export interface WorkerFleet {
  /** The traffic port the workers listen on (resolved when `--port 0`). */
  readonly port: number;
  /** Sends SIGTERM to every worker and resolves when all have exited. */
  stop(): Promise<void>;
}

/** Lowest delay before a crashed worker is replaced; doubles per crash in a row, up to 30 s. */
const RESTART_MS = 500;

export function startWorkerFleet(o: WorkerFleetOptions): Promise<WorkerFleet> {
  cluster.setupPrimary({ exec: process.argv[1], args: ['dataplane', ...o.args] });
  const live = new Set<Worker>();
  let stopping = false;
  let crashes = 0;
  let port = 0;

  return new Promise<WorkerFleet>((resolve, reject) => {
    let listening = 0;
    let started = false;

    const fork = (): void => {
      const worker = cluster.fork(o.env);
      live.add(worker);
      let up = false;
      worker.on('listening', (address: AddressInfo) => {
        up = true;
        crashes = 0;
        port = address.port;
        if (!started && ++listening === o.count) {
          started = true;
          resolve(fleet);
        }
      });
      worker.on('exit', (code, signal) => {
        live.delete(worker);
        if (stopping) return;
        if (!started && !up) {
          // A worker that cannot even listen (port in use, bad flag) will not do better on a retry.
          stopping = true;
          for (const w of live) w.process.kill('SIGTERM');
          reject(new Error(`a data-plane worker exited during startup (${signal ?? `code ${code}`})`));
          return;
        }
        const delay = Math.min(30_000, RESTART_MS * 2 ** crashes++);
        o.log(`[golb] worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting a new one in ${delay} ms`);
        setTimeout(() => {
          if (!stopping) fork();
        }, delay).unref();
      });
    };

    const fleet: WorkerFleet = {
      get port() {
        return port;
      },
      async stop() {
        stopping = true;
        const exits = [...live].map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
        for (const w of live) w.process.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), o.stopTimeoutMs)));
        if (await Promise.race([Promise.all(exits).then(() => false), timedOut])) {
          for (const w of live) w.process.kill('SIGKILL');
          await Promise.all(exits);
        }
        clearTimeout(timer);
      },
    };

    for (let i = 0; i < o.count; i++) fork();
  });
}

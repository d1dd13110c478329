// Active health checks: one probe loop per backend, HTTP GET (expected status range) or TCP connect,
// with rise/fall thresholds and jittered intervals so a fleet of data planes does not probe in
// lockstep. Only transitions are reported, each once.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { HealthCheckSpec } from '../../proto/index.js';
import type { BackendState, HealthListener } from '../pools/backend-state.js';
import { realClock, type CheckerClock } from './checker-clock.js';

export interface CheckedBackend {
  state: BackendState;
  url: URL;
}

export interface CheckedPool {
  name: string;
  spec: HealthCheckSpec;
  backends: CheckedBackend[];
}

export interface ActiveHealthCheckerOptions {
  onTransition: HealthListener;
  /** Uniform in [0, 1); jitter source. */
  random?: () => number;
  log?: (line: string) => void;
  /** Timers and the time of verdicts; default the real clock (tests inject a manual one). */
  clock?: CheckerClock;
}

interface Probe {
  state: BackendState;
  url: URL;
  spec: HealthCheckSpec;
  timer?: unknown;
  successes: number;
  failures: number;
  running: boolean;
  stopped: boolean;
  /** The passive ejection this probe last saw; a new one restarts the success count. */
  seenEjection: number;
}

export type ProbeResult = { ok: true } | { ok: false; reason: string };

export class ActiveHealthChecker {
  readonly #opts: ActiveHealthCheckerOptions;
  readonly #probes = new Map<string, Probe>();
  readonly #random: () => number;
  readonly #clock: CheckerClock;

  constructor(opts: ActiveHealthCheckerOptions) {
    this.#opts = opts;
    this.#random = opts.random ?? Math.random;
    this.#clock = opts.clock ?? realClock;
  }

  /** Reconciles the probe loops with a new snapshot's pools. */
  update(pools: readonly CheckedPool[]): void {
    const wanted = new Map<string, { state: BackendState; url: URL; spec: HealthCheckSpec }>();
    for (const pool of pools) {
      for (const b of pool.backends) {
        if (pool.spec.enabled) wanted.set(b.state.id, { state: b.state, url: b.url, spec: pool.spec });
        else this.#release(b.state);
      }
    }
    for (const [id, probe] of this.#probes) {
      if (!wanted.has(id)) {
        this.#stop(probe);
        this.#probes.delete(id);
        this.#release(probe.state);
      }
    }
    for (const [id, w] of wanted) {
      const existing = this.#probes.get(id);
      if (existing && sameSpec(existing.spec, w.spec) && existing.url.href === w.url.href) {
        existing.state = w.state;
        continue;
      }
      if (existing) this.#stop(existing);
      const probe: Probe = { state: w.state, url: w.url, spec: w.spec, successes: 0, failures: 0, running: false, stopped: false, seenEjection: w.state.ejectedUntil };
      this.#probes.set(id, probe);
      // First probe soon (spread over up to one second), then every interval with ±10% jitter.
      this.#schedule(probe, this.#random() * Math.min(1000, w.spec.interval_ms));
    }
  }

  stop(): void {
    for (const probe of this.#probes.values()) this.#stop(probe);
    this.#probes.clear();
  }

  /** A backend no longer checked is no longer held out by old check verdicts. */
  #release(state: BackendState): void {
    if (state.activeHealthy) return;
    state.activeHealthy = true;
    state.settleHealth(this.#clock.now(), 'health checks disabled', this.#opts.onTransition);
  }

  #stop(probe: Probe): void {
    probe.stopped = true;
    this.#clock.clearTimer(probe.timer);
  }

  #schedule(probe: Probe, delayMs: number): void {
    if (probe.stopped) return;
    probe.timer = this.#clock.setTimer(() => void this.#run(probe), delayMs);
  }

  async #run(probe: Probe): Promise<void> {
    if (probe.stopped || probe.running) return;
    probe.running = true;
    const result = await runProbe(probe.url, probe.spec);
    probe.running = false;
    if (probe.stopped) return;
    this.#record(probe, result);
    const jitter = 0.9 + 0.2 * this.#random();
    this.#schedule(probe, Math.max(50, probe.spec.interval_ms * jitter));
  }

  #record(probe: Probe, result: ProbeResult): void {
    const { state, spec } = probe;
    const now = this.#clock.now();
    if (state.ejectedUntil !== probe.seenEjection) {
      probe.seenEjection = state.ejectedUntil;
      if (state.ejectedUntil > now) probe.successes = 0;
    }
    if (result.ok) {
      probe.failures = 0;
      probe.successes++;
      const ejected = state.ejectedUntil > now;
      if ((!state.activeHealthy || ejected) && probe.successes >= Math.max(1, spec.healthy_threshold)) {
        // `rise` passing checks since it went out are evidence enough, whoever took it out.
        state.activeHealthy = true;
        if (ejected) state.ejectedUntil = probe.seenEjection = now;
        state.settleHealth(now, `health check passed ${probe.successes} times`, this.#opts.onTransition);
      }
    } else {
      probe.successes = 0;
      probe.failures++;
      if (state.activeHealthy && probe.failures >= Math.max(1, spec.unhealthy_threshold)) {
        state.activeHealthy = false;
        state.settleHealth(now, `health check failed ${probe.failures} times: ${result.reason}`, this.#opts.onTransition);
      }
    }
  }
}

function sameSpec(a: HealthCheckSpec, b: HealthCheckSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One probe: never throws, always settles within the spec's timeout. */
export function runProbe(url: URL, spec: HealthCheckSpec): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, spec.timeout_ms || 2000);
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  if (spec.type === 'tcp') {
    return new Promise((resolve) => {
      const socket = net.connect({ host: url.hostname, port });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ ok: false, reason: `no connection within ${timeoutMs} ms` });
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ ok: true });
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({ ok: false, reason: err.code ?? err.message });
      });
    });
  }
  return new Promise((resolve) => {
    const mod = url.protocol === 'https:' ? https : http;
    const min = spec.expected_status_min || 200;
    const max = spec.expected_status_max || 399;
    const req = mod.request(
      {
        host: url.hostname,
        port,
        method: 'GET',
        path: spec.path || '/',
        agent: false,
        headers: { host: spec.host || url.host, 'user-agent': 'golb-health-check', connection: 'close' },
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        clearTimeout(timer);
        req.destroy();
        resolve(status >= min && status <= max ? { ok: true } : { ok: false, reason: `GET ${spec.path || '/'} answered ${status}` });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: err.code ?? err.message });
    });
    req.end();
  });
}

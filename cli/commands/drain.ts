import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../golbctl/base-command.js';
import { num, toJson, type BackendRef, type DrainStatusResponse } from '../golbctl/client.js';
import { formatDuration, plural } from '../golbctl/format.js';
import { DRAIN_TIMEOUT_DEFAULT_MS } from '../../proto/defaults.js';

const POLL_MS = 500;

/** "http://127.0.0.1:8001 (pool default)" for one or several refs. */
export function describeRefs(refs: BackendRef[]): string {
  return refs.map((r) => `${r.url} (pool ${r.pool})`).join(', ');
}

export interface DrainProgress {
  in_flight: number;
  open_websockets: number;
  dataplanes_applied: number;
  dataplanes: number;
  safe_to_remove: boolean;
}

/** Fleet-wide progress over every backend the argument named. */
export function summarize(status: DrainStatusResponse): DrainProgress {
  const b = status.backends;
  return {
    in_flight: b.reduce((n, x) => n + num(x.in_flight), 0),
    open_websockets: b.reduce((n, x) => n + num(x.open_websockets), 0),
    dataplanes_applied: b.length ? Math.min(...b.map((x) => x.dataplanes_applied)) : 0,
    dataplanes: b.length ? Math.max(...b.map((x) => x.dataplanes)) : 0,
    safe_to_remove: b.length > 0 && b.every((x) => x.safe_to_remove),
  };
}

function progressLine(p: DrainProgress): string {
  return `${plural(p.in_flight, 'request')} in flight, ${plural(p.open_websockets, 'open WebSocket')}, draining on ${p.dataplanes_applied}/${plural(p.dataplanes, 'data plane')}`;
}

export default class Drain extends BaseCommand<typeof Drain> {
  static override summary = 'Stop sending new requests to a backend and let what it carries finish.';
  static override description = `BACKEND is a backend URL (http://10.0.0.5:8080) or id (default/10.0.0.5:8080). When the same URL is in several pools, name one with --pool.

A draining backend gets no new requests or WebSockets; those in flight finish. After the grace period (--timeout, else the config's drain timeout) it goes to maintenance. Undo with golbctl undrain.

--wait shows progress (in-flight requests and open WebSockets on that backend, over every data plane) until it carries nothing, then says whether it is safe to remove; if --timeout passes first, the exit status is 1.`;
  static override examples = [
    { description: 'Drain a backend and wait until it can be removed:', command: '<%= config.bin %> <%= command.id %> http://10.0.0.5:8080 --wait' },
    { description: 'The same URL in two pools:', command: '<%= config.bin %> <%= command.id %> http://10.0.0.5:8080 --pool api --timeout 60000' },
  ];
  static override args = {
    backend: Args.string({ description: 'Backend URL or id.', required: true }),
  };
  static override flags = {
    pool: Flags.string({ char: 'p', summary: 'Pool of the backend, when its URL is in several.' }),
    timeout: Flags.integer({ char: 't', summary: "Grace period in ms before maintenance (default: the config's drain timeout); also how long --wait waits.", min: 1 }),
    wait: Flags.boolean({ char: 'w', summary: 'Wait until the backend carries nothing, showing progress.', default: false }),
  };

  async run(): Promise<unknown> {
    const { backend } = this.args;
    const pool = this.flags.pool ?? '';
    const client = this.client();
    const res = await client.drain({ backend, pool, timeout_ms: this.flags.timeout ?? 0 });
    const started = Date.now();
    const deadlines = res.backends.map((b) => num(b.drain_deadline_unix_ms)).filter((d) => d > 0);
    const grace = this.flags.timeout ?? (deadlines.length ? Math.max(...deadlines) - started : DRAIN_TIMEOUT_DEFAULT_MS);
    this.log(`draining ${describeRefs(res.backends)}: no new requests, ${formatDuration(Math.max(0, grace))} before maintenance (version ${res.version})`);
    const result: Record<string, unknown> = { ...(toJson(res) as object) };
    if (!this.flags.wait) return result;

    const waitMs = this.flags.timeout ?? Math.max(grace, 0);
    const until = started + waitMs;
    const tty = Boolean(process.stderr.isTTY) && !this.jsonEnabled();
    let last = '';
    let progress: DrainProgress;
    for (;;) {
      progress = summarize(await client.drainStatus({ backend, pool, timeout_ms: 0 }));
      const line = progressLine(progress);
      if (!this.jsonEnabled()) {
        if (tty) process.stderr.write(`\r\x1b[K  ${line}`);
        else if (line !== last) process.stderr.write(`  ${line}\n`);
      }
      last = line;
      if (progress.safe_to_remove || Date.now() >= until) break;
      await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, until - Date.now()))));
    }
    if (tty) process.stderr.write('\n');
    const waited = Date.now() - started;
    result.wait = { ...progress, waited_ms: waited };
    const name = res.backends.map((b) => b.url).join(', ');
    if (progress.safe_to_remove) {
      this.log(`${name} carries nothing: safe to remove (waited ${formatDuration(waited)})`);
      return result;
    }
    const why =
      progress.in_flight > 0 || progress.open_websockets > 0
        ? `still carrying ${plural(progress.in_flight, 'request')} and ${plural(progress.open_websockets, 'WebSocket')}`
        : `not yet draining on every data plane (${progress.dataplanes_applied}/${progress.dataplanes})`;
    if (this.jsonEnabled()) {
      this.logJson(result);
      this.exit(1);
    }
    this.fail(`${name} is ${why} after ${formatDuration(waited)}: not safe to remove yet`);
  }
}

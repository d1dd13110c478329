import { readFile } from 'node:fs/promises';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../golbctl/base-command.js';
import { toJson, type ConfigDiff, type ConfigErrorMessage, type DataPlaneResult, type ReloadDone } from '../golbctl/client.js';
import { colorEnabled, formatDuration, paint, plural } from '../golbctl/format.js';
import { diffLines, diffSummary, EMPTY_DIFF } from '../../proto/config-diff.js';
import { RELOAD_WAIT_DEFAULT_MS } from '../../proto/defaults.js';

export default class Reload extends BaseCommand<typeof Reload> {
  static override summary = 'Validate a config and roll it out to every data plane, showing each ACK/NACK.';
  static override description = `With FILE, sends that file's content to the control plane; without, asks the control plane to re-read its own config file (what SIGHUP does).

The control plane validates the whole file first: if anything is wrong, every error is printed as file:line:col: message, the exit status is 1 and nothing changes. Otherwise it prints the new version and what changed, then each data plane's answer as it arrives, waiting up to --timeout.

--dry-run validates and shows the diff without applying anything.`;
  static override examples = [
    { description: 'Roll out an edited file:', command: '<%= config.bin %> <%= command.id %> conf/loadbalancer.conf' },
    { description: 'What would change, without applying:', command: '<%= config.bin %> <%= command.id %> conf/loadbalancer.conf --dry-run' },
    { description: "Re-read the control plane's own file (like SIGHUP):", command: '<%= config.bin %> <%= command.id %>' },
  ];
  static override args = {
    file: Args.string({ description: 'Config file to send; omit to have the control plane re-read its own.', required: false }),
  };
  static override flags = {
    'dry-run': Flags.boolean({ summary: 'Validate and show the diff only; change nothing.', default: false }),
    timeout: Flags.integer({ char: 't', summary: 'Milliseconds to wait for data plane ACKs.', default: RELOAD_WAIT_DEFAULT_MS, min: 1 }),
  };

  async run(): Promise<unknown> {
    const file = this.args.file;
    const dryRun = this.flags['dry-run'];
    const timeoutMs = this.flags.timeout;
    let content = '';
    if (file !== undefined) {
      try {
        content = await readFile(file, 'utf8');
      } catch (err) {
        this.fail(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
      }
      if (content.trim() === '') this.fail(`${file} is empty; refusing to send an empty config`);
    }
    const color = colorEnabled();
    const label = file ?? "the control plane's config file";
    const stream = this.client().reload({ content, filename: file ?? '', dry_run: dryRun, timeout_ms: timeoutMs, reread: file === undefined });

    const results: DataPlaneResult[] = [];
    let accepted: { version: string; previous_version: string; diff: ConfigDiff; dry_run: boolean; unchanged: boolean; dataplanes: string[] } | undefined;
    let rejected: ConfigErrorMessage[] | undefined;
    let done: ReloadDone | undefined;

    for await (const e of stream) {
      if (e.rejected) {
        rejected = e.rejected.errors;
      } else if (e.accepted) {
        const a = e.accepted;
        accepted = { version: a.version, previous_version: a.previous_version, diff: a.diff ?? EMPTY_DIFF, dry_run: a.dry_run, unchanged: a.unchanged, dataplanes: a.dataplanes };
        this.#printAccepted(label, accepted, timeoutMs);
      } else if (e.result) {
        results.push(e.result);
        const r = e.result;
        this.log(r.acked ? `  ${r.dataplane_id}  ${paint('green', 'ACK', color)}   running ${r.version}` : `  ${r.dataplane_id}  ${paint('red', 'NACK', color)}  ${r.error || 'rejected the config'}`);
      } else if (e.done) {
        done = e.done;
      }
    }

    if (rejected) {
      const errors = rejected.filter((x) => !x.message.startsWith('warning:'));
      if (this.jsonEnabled()) {
        this.logJson({ ok: false, file: file ?? null, errors: toJson(rejected) });
        this.exit(1);
      }
      for (const x of rejected) process.stderr.write(`${x.formatted || `${x.file}:${x.line}:${x.col}: ${x.message}`}\n`);
      this.fail(`${file ?? 'config'} rejected (${plural(errors.length || rejected.length, 'error')}); nothing changed`);
    }
    if (!accepted) this.fail('the control plane ended the reload without an answer');

    const summary = {
      ok: true,
      file: file ?? null,
      version: accepted.version,
      previous_version: accepted.previous_version,
      dry_run: accepted.dry_run,
      unchanged: accepted.unchanged,
      diff: accepted.diff,
      dataplanes: accepted.dataplanes,
      results: toJson(results),
      acked: done?.acked ?? results.filter((r) => r.acked).map((r) => r.dataplane_id),
      nacked: done?.nacked ?? results.filter((r) => !r.acked).map((r) => r.dataplane_id),
      pending: done?.pending ?? [],
    };
    if (accepted.dry_run) {
      this.log(`dry run: nothing applied`);
      return summary;
    }

    const failure = this.#failure(summary, results, timeoutMs);
    summary.ok = !failure;
    if (this.jsonEnabled()) {
      this.logJson(summary);
      if (failure) this.exit(1);
      return undefined;
    }
    if (summary.dataplanes.length === 0) {
      this.log(`no data plane connected: version ${summary.version} goes to each one as it connects`);
    } else if (!failure) {
      this.log(`${summary.acked.length === 1 ? 'the data plane runs' : `all ${summary.acked.length} data planes run`} version ${summary.version}`);
    }
    if (failure) this.fail(failure);
    return undefined;
  }

  #printAccepted(label: string, a: { version: string; previous_version: string; diff: ConfigDiff; dry_run: boolean; unchanged: boolean; dataplanes: string[] }, timeoutMs: number): void {
    if (a.unchanged) {
      this.log(`${label}: unchanged, version ${a.version} is already running`);
    } else if (a.dry_run) {
      this.log(`${label}: valid; would become version ${a.version} (running ${a.previous_version || 'none'})`);
    } else {
      this.log(`${label}: version ${a.version} (was ${a.previous_version || 'none'})`);
    }
    const lines = diffLines(a.diff);
    this.log(`changes: ${diffSummary(a.diff)}`);
    for (const l of lines) this.log(`  ${l}`);
    if (!a.dry_run && a.dataplanes.length > 0) {
      this.log(`${a.unchanged ? 'confirming with' : 'pushing to'} ${plural(a.dataplanes.length, 'data plane')}, waiting up to ${formatDuration(timeoutMs)}:`);
    }
  }

  #failure(s: { version: string; nacked: string[]; pending: string[] }, results: DataPlaneResult[], timeoutMs: number): string | undefined {
    if (s.nacked.length > 0) {
      const why = s.nacked.map((id) => `${id}: ${results.find((r) => r.dataplane_id === id)?.error || 'rejected'}`).join('; ');
      return `${plural(s.nacked.length, 'data plane')} rejected version ${s.version} (NACK) and ${s.nacked.length === 1 ? 'keeps' : 'keep'} running the previous one: ${why}`;
    }
    if (s.pending.length > 0) {
      return `${s.pending.join(', ')} did not answer within ${formatDuration(timeoutMs)}; check with golbctl dataplanes`;
    }
    return undefined;
  }
}

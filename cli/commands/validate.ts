import { Args } from '@oclif/core';
// The one use of control plane code in golbctl: validate works without a control plane, with the
// very parser (and messages) the control plane uses.
import { formatConfigError, type ConfigError } from '../../controlplane/config/errors.js';
import { loadConfigFile } from '../../controlplane/config/load-config.js';
import { BaseCommand } from '../golbctl/base-command.js';
import { plural } from '../golbctl/format.js';

interface FileResult {
  file: string;
  ok: boolean;
  pools: number;
  backends: number;
  routes: number;
  errors: Array<ConfigError & { formatted: string }>;
  warnings: Array<ConfigError & { formatted: string }>;
}

export default class Validate extends BaseCommand<typeof Validate> {
  static override summary = 'Check config files locally, without a control plane.';
  static override description = `Parses and validates each FILE with the control plane's own parser and prints every problem as file:line:col: message (the same messages golbctl reload shows). Warnings do not make a file invalid. Exit status 1 when any file has an error.

Environment references (cookie secret=env:NAME) are resolved from this shell's environment.`;
  static override examples = [
    { description: 'One file:', command: '<%= config.bin %> <%= command.id %> conf/loadbalancer.conf' },
    { description: 'Several:', command: '<%= config.bin %> <%= command.id %> conf/loadbalancer.conf conf/examples/*.conf' },
  ];
  static override strict = false;
  static override args = {
    file: Args.string({ description: 'Config file(s) to check.', required: true }),
  };

  async run(): Promise<unknown> {
    const files = this.argList.length > 0 ? this.argList : [this.args.file];
    const results: FileResult[] = [];
    for (const file of files) {
      const r = await loadConfigFile(file);
      const fmt = (e: ConfigError) => ({ ...e, formatted: formatConfigError(e) });
      const res: FileResult = r.ok
        ? {
            file,
            ok: true,
            pools: r.config.pools.length,
            backends: r.config.pools.reduce((n, p) => n + p.backends.length, 0),
            routes: r.config.routes.length,
            errors: [],
            warnings: r.warnings.map(fmt),
          }
        : { file, ok: false, pools: 0, backends: 0, routes: 0, errors: r.errors.map(fmt), warnings: r.warnings.map(fmt) };
      results.push(res);
      if (!this.jsonEnabled()) {
        // Errors and warnings in position order, as the parser sorted them.
        const problems = [...res.errors, ...res.warnings].sort((a, b) => a.line - b.line || a.col - b.col);
        for (const p of problems) process.stderr.write(`${p.formatted}\n`);
        if (res.ok) {
          this.log(`${file}: OK (${plural(res.pools, 'pool')}, ${plural(res.backends, 'backend')}, ${plural(res.routes, 'route')})`);
        }
      }
    }
    const bad = results.filter((r) => !r.ok);
    const output = files.length === 1 ? results[0] : { ok: bad.length === 0, files: results };
    if (bad.length === 0) return output;
    if (this.jsonEnabled()) {
      this.logJson(output);
      this.exit(1);
    }
    const count = bad.reduce((n, r) => n + r.errors.length, 0);
    this.fail(bad.length === 1 ? `${bad[0]!.file} is invalid (${plural(count, 'error')})` : `${bad.length} files are invalid (${plural(count, 'error')}): ${bad.map((r) => r.file).join(', ')}`);
  }
}

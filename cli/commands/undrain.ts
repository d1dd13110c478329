import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../golbctl/base-command.js';
import { toJson } from '../golbctl/client.js';
import { describeRefs } from './drain.js';

export default class Undrain extends BaseCommand<typeof Undrain> {
  static override summary = 'Put a drained (or maintenance) backend back into rotation.';
  static override description = `BACKEND is a backend URL or id, as for golbctl drain. Its admin state goes back to ready; it receives traffic again as soon as its health checks pass.`;
  static override examples = [
    { description: 'Back into rotation:', command: '<%= config.bin %> <%= command.id %> http://10.0.0.5:8080' },
    { description: 'Machine-readable:', command: '<%= config.bin %> <%= command.id %> default/10.0.0.5:8080 --json' },
  ];
  static override args = {
    backend: Args.string({ description: 'Backend URL or id.', required: true }),
  };
  static override flags = {
    pool: Flags.string({ char: 'p', summary: 'Pool of the backend, when its URL is in several.' }),
  };

  async run(): Promise<unknown> {
    const res = await this.client().undrain({ backend: this.args.backend, pool: this.flags.pool ?? '', timeout_ms: 0 });
    this.log(`${describeRefs(res.backends)}: ${res.backends.map((b) => b.admin_state).join(', ')} again (version ${res.version})`);
    return toJson(res);
  }
}

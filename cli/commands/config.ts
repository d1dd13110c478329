import { Flags } from '@oclif/core';
import { BaseCommand } from '../golbctl/base-command.js';

export default class Config extends BaseCommand<typeof Config> {
  static override summary = 'Print the running config: the text the control plane loaded, or the snapshot it pushes.';
  static override description = `Prints the config text as the control plane runs it, headed by a comment with its version and source, so the output can be saved and reloaded as is. --snapshot prints the compiled snapshot the data planes receive, as JSON (cookie secrets redacted).`;
  static override examples = [
    { description: 'Save the running config:', command: '<%= config.bin %> <%= command.id %> > running.conf' },
    { description: 'What the data planes run:', command: '<%= config.bin %> <%= command.id %> --snapshot' },
  ];
  static override flags = {
    snapshot: Flags.boolean({ summary: 'Print the compiled snapshot (JSON) instead of the config text.', default: false }),
  };

  async run(): Promise<unknown> {
    const res = await this.client().config();
    let snapshot: unknown = null;
    try {
      snapshot = res.snapshot_json ? JSON.parse(res.snapshot_json) : null;
    } catch {
      snapshot = res.snapshot_json;
    }
    if (this.flags.snapshot) {
      this.log(res.snapshot_json || 'null');
    } else {
      const text = res.text.endsWith('\n') || res.text === '' ? res.text : `${res.text}\n`;
      process.stdout.write(this.jsonEnabled() ? '' : `# golb config version ${res.version || '-'}${res.source ? ` from ${res.source}` : ''}\n${text}`);
    }
    return { version: res.version, source: res.source, text: res.text, snapshot };
  }
}

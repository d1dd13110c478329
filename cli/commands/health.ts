import { BaseCommand } from '../golbctl/base-command.js';
import { num, toJson, type HealthResponse } from '../golbctl/client.js';
import { colorEnabled, formatAge, paint, table } from '../golbctl/format.js';
import { backendLabel, renderDiscovery } from '../golbctl/discovery-format.js';

export function renderHealth(h: HealthResponse, now = Date.now(), color = colorEnabled()): string {
  const discovery = renderDiscovery(h.discovery ?? [], now, color);
  if (h.backends.length === 0) return `version ${h.version || '-'}: no backends${discovery ? `\n\n${discovery}` : ''}`;
  const rows: string[][] = [];
  for (const b of h.backends) {
    const all = b.dataplanes > 0 && b.healthy_on === b.dataplanes;
    const none = b.dataplanes > 0 && b.healthy_on === 0;
    const healthy = b.dataplanes === 0 ? 'no reports yet' : `${b.healthy_on}/${b.dataplanes}`;
    rows.push([b.pool, backendLabel(b.url, b.discovered_from), b.admin_state || 'ready', paint(all ? 'green' : none ? 'red' : b.dataplanes === 0 ? undefined : 'yellow', healthy, color)]);
    for (const d of b.per_dataplane) {
      if (d.healthy) continue;
      const since = num(d.since_unix_ms);
      rows.push(['', `  ${d.dataplane_id}: ${paint('red', 'unhealthy', color)}${since ? ` since ${formatAge(since, now)}` : ''}${d.reason ? `: ${d.reason}` : ''}`, '', '']);
    }
  }
  return `version ${h.version || '-'}\n\n${table([{ header: 'POOL' }, { header: 'BACKEND' }, { header: 'STATE' }, { header: 'HEALTHY ON' }], rows, { color })}${discovery ? `\n\n${discovery}` : ''}`;
}

export default class Health extends BaseCommand<typeof Health> {
  static override summary = 'Show each backend as every data plane sees it, with the reason when it is unhealthy.';
  static override description = `HEALTHY ON is "healthy on N of M data planes"; under an unhealthy backend, each data plane that marks it down says since when and why (failed checks, connection refused, passive ejection...).`;
  static override examples = [
    { description: 'Health across the fleet:', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Machine-readable:', command: '<%= config.bin %> <%= command.id %> --json' },
  ];

  async run(): Promise<unknown> {
    const res = await this.client().health();
    this.log(renderHealth(res));
    return toJson(res);
  }
}

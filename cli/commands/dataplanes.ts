import { BaseCommand } from '../golbctl/base-command.js';
import { num, toJson, type DataPlaneInfo } from '../golbctl/client.js';
import { colorEnabled, formatAge, formatDuration, paint, table } from '../golbctl/format.js';

export function renderDataPlanes(list: DataPlaneInfo[], now = Date.now(), color = colorEnabled()): string {
  if (list.length === 0) return 'no data planes have connected (start one with: golb dataplane --control-plane HOST:PORT)';
  const rows = list.map((d) => {
    const since = num(d.connected_since_unix_ms);
    const ack =
      d.ack_state === 'ACKED'
        ? paint('green', 'ACKED', color)
        : d.ack_state === 'NACKED'
          ? `${paint('red', 'NACKED', color)}${d.nack_error ? `: ${d.nack_error}` : ''}`
          : paint('yellow', d.ack_state || 'PENDING', color);
    return [
      d.id,
      d.connected ? paint('green', 'connected', color) : paint('red', 'disconnected', color),
      d.address || '-',
      d.traffic_address || '-',
      since ? `${formatDuration(now - since)} ago` : '-',
      num(d.cached_since_unix_ms) > 0 ? `${d.version || '-'} (cached ${formatAge(num(d.cached_since_unix_ms), now)})` : d.version || '-',
      ack,
      formatAge(num(d.last_report_unix_ms), now),
      String(num(d.total_requests)),
    ];
  });
  return table(
    [
      { header: 'ID' },
      { header: 'STATUS' },
      { header: 'ADDRESS' },
      { header: 'TRAFFIC' },
      { header: 'CONNECTED' },
      { header: 'VERSION' },
      { header: 'ACK' },
      { header: 'LAST REPORT' },
      { header: 'REQUESTS', align: 'right' },
    ],
    rows,
    { color },
  );
}

export default class DataPlanes extends BaseCommand<typeof DataPlanes> {
  static override summary = 'List the data planes: address, connected since, config version, ACK state, last report.';
  static override description = `VERSION is the config version the data plane serves (the last one it ACKed). ACK is ACKED when it runs the latest version, PENDING while it has not answered, NACKED (with the reason) when it refused the latest version and keeps running the previous one.`;
  static override examples = [
    { description: 'Every data plane:', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Machine-readable:', command: '<%= config.bin %> <%= command.id %> --json' },
  ];

  async run(): Promise<unknown> {
    const res = await this.client().dataplanes();
    this.log(renderDataPlanes(res.dataplanes));
    return toJson(res);
  }
}

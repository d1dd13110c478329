// golbctl's view of DNS discovery: one row per resolved name with its last outcome.
import type { DiscoveryStatus__Output } from '../../proto/gen/golb/v1/DiscoveryStatus.js';
import { num } from './client.js';
import { formatAge, paint, table } from './format.js';

/** "BACKEND via dns:app.internal" for a discovered backend; the URL alone otherwise. */
export function backendLabel(url: string, discoveredFrom: string | undefined): string {
  return discoveredFrom ? `${url} via ${discoveredFrom}` : url;
}

/** '' when nothing is discovered. */
export function renderDiscovery(list: readonly DiscoveryStatus__Output[], now: number, color: boolean): string {
  if (list.length === 0) return '';
  const rows = list.map((d) => {
    const emptyAt = num(d.empty_at_unix_ms);
    const since = num(d.error_since_unix_ms);
    let state = paint('green', 'resolving', color);
    if (d.error) {
      const when = since ? ` since ${formatAge(since, now)}` : '';
      const then = emptyAt > now ? `, pool empties in ${Math.ceil((emptyAt - now) / 1000)}s` : emptyAt ? ', addresses removed' : ', keeping last addresses';
      state = paint('red', `${d.error}${when}${then}`, color);
    }
    const addresses = d.draining > 0 ? `${d.addresses} (${d.draining} draining)` : String(d.addresses);
    return [d.pool, `${d.mode}:${d.name}`, addresses, state];
  });
  return table([{ header: 'POOL' }, { header: 'DISCOVERED FROM' }, { header: 'ADDRESSES' }, { header: 'DNS' }], rows, { color });
}

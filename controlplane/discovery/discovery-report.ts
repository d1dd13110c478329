// What golbctl and the admin API show of DNS discovery: each name's last outcome, and on each
// backend the name it was found through.
import type { DiscoveryStatus as DiscoveryStatusMessage } from '../../proto/gen/golb/v1/DiscoveryStatus.js';
import type { FleetStats } from '../../proto/gen/golb/v1/FleetStats.js';
import type { Snapshot } from '../../proto/index.js';
import type { DiscoveryStatus } from './dns-discovery.js';

export function discoveryMessages(list: readonly DiscoveryStatus[]): DiscoveryStatusMessage[] {
  return list.map((d) => ({
    pool: d.pool,
    mode: d.mode,
    name: d.name,
    addresses: d.addresses,
    draining: d.draining,
    error: d.error,
    error_since_unix_ms: String(d.errorSinceUnixMs),
    last_ok_unix_ms: String(d.lastOkUnixMs),
    empty_at_unix_ms: String(d.emptyAtUnixMs),
  }));
}

/** Fills each backend summary's discovered_from from the running snapshot. */
export function withDiscoveredFrom<T extends FleetStats>(stats: T, snapshot: Snapshot | undefined): T {
  const from = new Map<string, string>();
  for (const p of snapshot?.pools ?? []) for (const b of p.backends) if (b.discovered_from) from.set(b.id, b.discovered_from);
  if (from.size === 0) return stats;
  return {
    ...stats,
    pools: (stats.pools ?? []).map((p) => ({ ...p, backends: (p.backends ?? []).map((b) => ({ ...b, discovered_from: from.get(b.id ?? '') ?? '' })) })),
  };
}

// Turns a config whose backends may be `discover=` names into one with only concrete addresses,
// using what the names resolved to: the step between the parsed config and the snapshot.
import type { BackendConfig, Config } from '../config/model.js';
import { backendId } from '../snapshot/build-snapshot.js';
import type { Member } from './endpoint-set.js';

/** Members of a discovered backend, by the key sourceKey gives; undefined = nothing known yet. */
export type MembersOf = (pool: string, backend: BackendConfig) => ReadonlyMap<string, Member> | undefined;

/** The key of a discovered backend within a config: pool, mode and the URL as written. */
export function sourceKey(pool: string, b: BackendConfig): string {
  return `${pool}|${b.discover?.mode ?? ''}|${b.url}`;
}

/**
 * Each discovered backend becomes one backend per member, with the declared weight and options
 * (SRV: the record's weight), id `pool/ADDRESS:PORT` so it survives re-resolution, and a drain
 * deadline when DNS dropped it. An address already in the pool (written, or found through an
 * earlier name) keeps its first form.
 */
export function expandDiscovered(config: Config, membersOf: MembersOf, drainMs: number): Config {
  if (!config.pools.some((p) => p.backends.some((b) => b.discover))) return config;
  const pools = config.pools.map((p) => {
    if (!p.backends.some((b) => b.discover)) return p;
    const seen = new Set(p.backends.filter((b) => !b.discover).map((b) => backendId(p.name, b)));
    const backends: BackendConfig[] = [];
    for (const b of p.backends) {
      if (!b.discover) {
        backends.push(b);
        continue;
      }
      const members = [...(membersOf(p.name, b)?.values() ?? [])].sort((x, y) => compareMembers(x, y));
      for (const m of members) {
        const host = m.address.includes(':') ? `[${m.address}]` : m.address;
        const port = b.discover.mode === 'srv' ? m.port : b.port;
        const concrete: BackendConfig = {
          url: `${b.scheme}://${host}:${port}`,
          scheme: b.scheme,
          host,
          port,
          weight: b.discover.mode === 'srv' ? m.weight : b.weight,
          maxConnections: b.maxConnections,
          backup: b.backup || m.backup,
          down: b.down,
          line: b.line,
          discoveredFrom: `${b.discover.mode}:${b.discover.name}`,
          drainDeadlineUnixMs: m.goneAtMs === null ? 0 : m.goneAtMs + drainMs,
        };
        const id = backendId(p.name, concrete);
        if (seen.has(id)) continue;
        seen.add(id);
        backends.push(concrete);
      }
    }
    return { ...p, backends };
  });
  return { ...config, pools };
}

function compareMembers(a: Member, b: Member): number {
  const ka = `${a.address}:${a.port}`;
  const kb = `${b.address}:${b.port}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

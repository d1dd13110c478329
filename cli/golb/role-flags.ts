// Which launcher flags each role takes. Parsing is one pass over every known flag, then a flag
// that exists but not for this role is refused by name, rather than silently ignored (`golb
// controlplane --port` used to start a control plane that did nothing with the port).
export type Role = 'all' | 'controlplane' | 'dataplane';

export const ROLE_NAMES: Record<Role, string> = { all: 'golb (all-in-one)', controlplane: 'golb controlplane', dataplane: 'golb dataplane' };

export const OPTIONS = {
  config: { type: 'string' },
  algorithm: { type: 'string' },
  persistence: { type: 'string' },
  'path-routing': { type: 'string' },
  'no-path-routing': { type: 'boolean' },
  port: { type: 'string' },
  host: { type: 'string' },
  'admin-port': { type: 'string' },
  'admin-listen': { type: 'string' },
  'admin-host-name': { type: 'string', multiple: true },
  'grpc-port': { type: 'string' },
  listen: { type: 'string' },
  token: { type: 'string' },
  'admin-token': { type: 'string' },
  'dataplane-token': { type: 'string' },
  insecure: { type: 'boolean' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-server-name': { type: 'string' },
  'control-plane': { type: 'string' },
  id: { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  engine: { type: 'string' },
  workers: { type: 'string' },
  'max-dataplanes': { type: 'string' },
  'state-dir': { type: 'string' },
  'cache-dir': { type: 'string' },
  store: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

type Flag = keyof typeof OPTIONS;

const CONFIG: Flag[] = ['config', 'algorithm', 'persistence', 'path-routing', 'no-path-routing'];
const MANAGEMENT: Flag[] = ['grpc-port', 'listen', 'admin-token', 'dataplane-token', 'insecure', 'admin-host-name', 'max-dataplanes', 'state-dir', 'store'];
const TRAFFIC: Flag[] = ['port', 'host', 'shutdown-timeout', 'engine'];
const EVERY: Flag[] = ['help', 'version', 'token', 'admin-port', 'admin-listen', 'tls-cert', 'tls-key', 'tls-ca'];

export const ROLE_FLAGS: Record<Role, ReadonlySet<Flag>> = {
  all: new Set([...EVERY, ...CONFIG, ...MANAGEMENT, ...TRAFFIC, 'workers']),
  controlplane: new Set([...EVERY, ...CONFIG, ...MANAGEMENT]),
  dataplane: new Set([...EVERY, ...TRAFFIC, 'control-plane', 'id', 'tls-server-name', 'cache-dir']),
};

/** The first flag given that `role` does not take, as a message naming the flag and the role; else undefined. */
export function misplacedFlag(role: Role, given: Iterable<string>): string | undefined {
  for (const name of given) {
    if (ROLE_FLAGS[role].has(name as Flag)) continue;
    const roles = (Object.keys(ROLE_FLAGS) as Role[]).filter((r) => ROLE_FLAGS[r].has(name as Flag)).map((r) => ROLE_NAMES[r]);
    return `--${name} does not apply to ${ROLE_NAMES[role]}${roles.length > 0 ? ` (it is a flag of ${roles.join(' and ')})` : ''}`;
  }
  return undefined;
}

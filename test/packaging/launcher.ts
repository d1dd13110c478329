// What the binaries accept, read from their own --help (so the packaging files are checked
// against the real launcher, not a copy of its flag list), and how a container's command line
// turns into listening ports. Shared by the packaging tests.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkManagementListen } from '../../controlplane/listen-policy.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const read = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');
export const exists = (rel: string): boolean => existsSync(join(ROOT, rel));
export const PACKAGE = JSON.parse(read('package.json')) as { version: string; bin: Record<string, string> };
/** The one image every container runs. */
export const IMAGE = `golb:${PACKAGE.version}`;

export type Program = 'golb' | 'demo-backend';
export type Role = 'all' | 'controlplane' | 'dataplane' | 'demo-backend';

export interface FlagSpec {
  takesValue: boolean;
  /** Text after "(default" on its help line, if any. */
  default?: string;
}

/** bin/*.js a container may run → the source entry that has the same flags. */
export const PROGRAMS: Record<string, { program: Program; source: string }> = {
  'bin/golb.js': { program: 'golb', source: 'cli/golb/entry.ts' },
  'bin/demo-backend.js': { program: 'demo-backend', source: 'cli/demo/backend-entry.ts' },
};

const helpCache = new Map<string, string>();
/** `--help` of a program (and golb subcommand), run from the sources. */
export function helpText(role: Role): string {
  let text = helpCache.get(role);
  if (text === undefined) {
    const args =
      role === 'demo-backend'
        ? ['--import', 'tsx', 'cli/demo/backend-entry.ts', '--help']
        : ['--import', 'tsx', 'cli/golb/entry.ts', ...(role === 'all' ? [] : [role]), '--help'];
    text = execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    helpCache.set(role, text);
  }
  return text;
}

/** Every flag a role's --help mentions, whether it takes a value, and its documented default. */
export function flagsOf(role: Role): Map<string, FlagSpec> {
  const flags = new Map<string, FlagSpec>();
  // A value is named in capitals, maybe after a scheme: `--store etcd://HOST:PORT`.
  for (const line of helpText(role).split('\n')) {
    const def = /\(default:? ([^;)]+)/.exec(line)?.[1]?.trim();
    let first = true;
    for (const m of line.matchAll(/--(\[no-\])?([a-z][a-z0-9-]*)(\[=[A-Z]+\])?(?:[ =]((?:[a-z]+:\/\/)?[A-Z][A-Z:]*)\b)?/g)) {
      const [, negatable, name, optionalValue, valueName] = m;
      const names = negatable ? [name!, `no-${name}`] : [name!];
      for (const n of names) {
        const prev = flags.get(n);
        const takesValue = Boolean(valueName) && !negatable && !optionalValue;
        flags.set(n, {
          takesValue: (prev?.takesValue ?? false) || takesValue,
          default: prev?.default ?? (first ? def : undefined),
        });
      }
      first = false;
    }
  }
  return flags;
}

export interface Invocation {
  program: Program;
  role: Role;
  /** Flag name → value ('' for a boolean flag). */
  flags: Map<string, string>;
  problems: string[];
}

/**
 * Parses a container's full command line (entrypoint + arguments, starting with `node`) the way
 * the launcher does, collecting every flag the launcher would refuse.
 */
export function parseInvocation(argv: readonly string[]): Invocation {
  const problems: string[] = [];
  if (argv[0] !== 'node') problems.push(`runs ${JSON.stringify(argv[0])}, not node`);
  const entry = PROGRAMS[argv[1] ?? ''];
  if (!entry) {
    problems.push(`runs ${JSON.stringify(argv[1])}, which is not one of ${Object.keys(PROGRAMS).join(', ')}`);
    return { program: 'golb', role: 'all', flags: new Map(), problems };
  }
  if (!exists(argv[1]!)) problems.push(`${argv[1]} does not exist`);
  let rest = argv.slice(2);
  let role: Role = 'demo-backend';
  if (entry.program === 'golb') {
    role = rest[0] === 'controlplane' || rest[0] === 'dataplane' ? rest[0] : 'all';
    if (role !== 'all') rest = rest.slice(1);
  }
  const known = flagsOf(role);
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i]!;
    if (!token.startsWith('--')) {
      problems.push(`unexpected argument ${JSON.stringify(token)} (${entry.program} ${role} takes no positional arguments)`);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const spec = known.get(name);
    if (!spec) {
      problems.push(`--${name} is not a flag of \`${role === 'all' || role === 'demo-backend' ? entry.program : `golb ${role}`}\` (its --help lists: ${[...known.keys()].map((k) => `--${k}`).join(' ')})`);
      continue;
    }
    if (eq >= 0) flags.set(name, token.slice(eq + 1));
    else if (spec.takesValue) {
      const value = rest[++i];
      if (value === undefined || value.startsWith('--')) problems.push(`--${name} needs a value`);
      flags.set(name, value ?? '');
    } else flags.set(name, '');
  }
  return { program: entry.program, role, flags, problems };
}

export type PortKind = 'traffic' | 'admin' | 'grpc' | 'http';

export interface Listener {
  kind: PortKind;
  port: number;
  /** Bind address; 'all' for every interface. */
  address: string;
  /** The flags that set them, for messages. */
  portFlag: string;
  addressFlag: string;
}

/** Which flag sets which port and bind address, per role (this is what main.ts wires). */
const LISTENERS: Record<Role, Array<{ kind: PortKind; portFlag: string; addressFlag: string; optional?: boolean }>> = {
  all: [
    { kind: 'traffic', portFlag: 'port', addressFlag: 'host' },
    { kind: 'admin', portFlag: 'admin-port', addressFlag: 'admin-listen' },
    { kind: 'grpc', portFlag: 'grpc-port', addressFlag: 'listen' },
  ],
  controlplane: [
    { kind: 'admin', portFlag: 'admin-port', addressFlag: 'admin-listen' },
    { kind: 'grpc', portFlag: 'grpc-port', addressFlag: 'listen' },
  ],
  dataplane: [
    { kind: 'traffic', portFlag: 'port', addressFlag: 'host' },
    { kind: 'admin', portFlag: 'admin-port', addressFlag: 'admin-listen', optional: true },
  ],
  'demo-backend': [{ kind: 'http', portFlag: 'port', addressFlag: 'host' }],
};

/** Loopback unless told otherwise: the launcher's default bind address for admin and gRPC. */
const LOOPBACK_DEFAULT = '127.0.0.1';

/** The ports a command line listens on, with the launcher's defaults filled in. */
export function listenersOf(inv: Invocation): Listener[] {
  const known = flagsOf(inv.role);
  const out: Listener[] = [];
  for (const l of LISTENERS[inv.role]) {
    const raw = inv.flags.get(l.portFlag) ?? known.get(l.portFlag)?.default;
    if (raw === undefined) {
      if (l.optional) continue;
      throw new Error(`--${l.portFlag} of ${inv.role} has no value and no documented default`);
    }
    const port = Number(raw);
    if (port < 0) continue; // -1 disables
    const addrRaw = inv.flags.get(l.addressFlag) ?? known.get(l.addressFlag)?.default ?? (l.addressFlag === 'host' ? 'all' : LOOPBACK_DEFAULT);
    out.push({ kind: l.kind, port, address: /all interfaces/.test(addrRaw) ? 'all' : addrRaw, portFlag: `--${l.portFlag}`, addressFlag: `--${l.addressFlag}` });
  }
  return out;
}

/** True when others (another container, the kubelet, a published port) can connect. */
export function reachableFromOutside(address: string): boolean {
  return address === 'all' || address === '0.0.0.0' || address === '::' || address === '[::]';
}

/** Paths each kind of listener answers with 200 when healthy; checked against live servers. */
export const SERVED_PATHS: Record<string, string[]> = {
  'controlplane:admin': ['/api/health', '/api/stats', '/metrics'],
  'all:admin': ['/api/health', '/api/stats', '/metrics'],
  'dataplane:admin': ['/ready', '/readyz', '/live', '/healthz', '/api/health', '/api/stats'],
  'demo-backend:http': ['/health', '/healthz', '/'],
};

/** "25s" / "1m30s" / "35" (seconds) → milliseconds. */
export function durationMs(text: string | number): number {
  if (typeof text === 'number') return text * 1000;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s|us)?/g;
  for (const m of text.matchAll(re)) {
    const n = Number(m[1]);
    const unit = m[2] ?? 's';
    total += n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, us: 0.001 } as Record<string, number>)[unit]!;
  }
  return total;
}

/**
 * What the control plane would refuse to start with (empty: it starts), for a command line and the
 * token variables its environment certainly holds (a required variable or a mandatory Secret key).
 */
export function managementRefusals(inv: Invocation, setVars: ReadonlySet<string>): string[] {
  if (inv.role !== 'all' && inv.role !== 'controlplane') return [];
  const token = inv.flags.has('token') || setVars.has('GOLB_TOKEN');
  const adminToken = inv.flags.has('admin-token') || setVars.has('GOLB_ADMIN_TOKEN') || token;
  const dataplaneToken = inv.flags.has('dataplane-token') || setVars.has('GOLB_DATAPLANE_TOKEN') || token;
  const adminPort = Number(inv.flags.get('admin-port') ?? flagsOf(inv.role).get('admin-port')?.default ?? '8081');
  return checkManagementListen({
    grpcHost: inv.flags.get('listen') ?? LOOPBACK_DEFAULT,
    adminHost: adminPort >= 0 ? (inv.flags.get('admin-listen') ?? LOOPBACK_DEFAULT) : undefined,
    adminToken: adminToken ? 'set' : undefined,
    dataplaneToken: dataplaneToken ? 'set' : undefined,
    mutualTls: inv.flags.has('tls-ca'),
    insecure: false,
  }).refusals;
}

// The router: a snapshot's routes compiled once into an ordered list of matchers; the first route
// whose path, method, host and header conditions all hold wins, else the default target.
import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderMatchSpec, RouteSpec } from '../../proto/index.js';

export interface RouteEntry<T> {
  spec: RouteSpec;
  target: T;
}

/** What matching reads from a request; built by the caller once per request. */
export interface RouteRequest {
  method: string;
  /** Lower-case, without the port. */
  host: string;
  /** Already normalized (see normalize-path.ts). */
  path: string;
  headers: IncomingHttpHeaders;
}

/** A match result; `index` is the route's position in the list, -1 for the default target. */
export interface RouteMatch<T> {
  readonly target: T;
  readonly index: number;
}

type PathKind = 'any' | 'exact' | 'prefix' | 'regex';
type HeaderKind = 'exact' | 'regex' | 'present' | 'absent';

interface CompiledHeader {
  readonly name: string;
  readonly kind: HeaderKind;
  readonly exact: string;
  readonly regex: RegExp | undefined;
}

interface CompiledRoute<T> {
  readonly pathKind: PathKind;
  /** Exact path, or the prefix without a trailing '/'. */
  readonly path: string;
  readonly regex: RegExp | undefined;
  /** '' = any host; for a wildcard, the suffix with its leading dot (".example.com"). */
  readonly host: string;
  readonly wildcardHost: boolean;
  readonly headers: readonly CompiledHeader[];
  /** Empty = any method. */
  readonly methods: readonly string[];
  /** Returned as is on a match, so a hit allocates nothing either. */
  readonly result: RouteMatch<T>;
}

export class Router<T> {
  readonly #routes: readonly CompiledRoute<T>[];
  readonly #default: RouteMatch<T> | undefined;

  /** Compiles every regex once; throws an Error naming the route's config line if one does not compile. */
  constructor(entries: readonly RouteEntry<T>[], defaultTarget: T | undefined) {
    this.#routes = entries.map((entry, index) => compile(entry, index));
    this.#default = defaultTarget === undefined ? undefined : { target: defaultTarget, index: -1 };
  }

  /** The first route that matches, the default target (index -1), or `undefined` for a 404. */
  match(req: RouteRequest): RouteMatch<T> | undefined {
    const routes = this.#routes;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      if (matchesPath(r, req.path) && matchesMethod(r, req.method) && matchesHost(r, req.host) && matchesHeaders(r, req.headers)) {
        return r.result;
      }
    }
    return this.#default;
  }

  /** The default target (index -1) whatever the request, or `undefined` when there is none. */
  matchDefault(): RouteMatch<T> | undefined {
    return this.#default;
  }
}

function compile<T>({ spec, target }: RouteEntry<T>, index: number): CompiledRoute<T> {
  const where = `route at line ${spec.line}${spec.display ? ` (${spec.display})` : ''}`;
  const m = spec.match;
  let pathKind: PathKind = 'any';
  let path = '';
  let regex: RegExp | undefined;
  switch (m?.path) {
    case 'exact':
      pathKind = 'exact';
      path = m.exact ?? '';
      break;
    case 'prefix': {
      // "/api" and "/api/" both mean the /api subtree; "" and "/" mean everything.
      let p = m.prefix ?? '';
      while (p.endsWith('/')) p = p.slice(0, -1);
      pathKind = p === '' ? 'any' : 'prefix';
      path = p;
      break;
    }
    case 'regex':
      pathKind = 'regex';
      regex = compileRegex(m.regex ?? '', `${where}: path regex`);
      break;
  }
  let host = (m?.host ?? '').toLowerCase();
  let wildcardHost = false;
  if (host.startsWith('*.')) {
    host = host.slice(1);
    wildcardHost = true;
  }
  const headers = (m?.headers ?? []).map((h) => compileHeader(h, where));
  const methods = (m?.methods ?? []).map((x) => x.toUpperCase());
  return { pathKind, path, regex, host, wildcardHost, headers, methods, result: { target, index } };
}

function compileHeader(h: HeaderMatchSpec, where: string): CompiledHeader {
  const name = h.name.toLowerCase();
  switch (h.value) {
    case 'exact':
      return { name, kind: 'exact', exact: h.exact ?? '', regex: undefined };
    case 'regex':
      return { name, kind: 'regex', exact: '', regex: compileRegex(h.regex ?? '', `${where}: header ${name} regex`) };
    case 'present':
      // present=false asks for the header to be missing.
      return { name, kind: h.present === false ? 'absent' : 'present', exact: '', regex: undefined };
    default:
      return { name, kind: 'present', exact: '', regex: undefined };
  }
}

function compileRegex(source: string, what: string): RegExp {
  try {
    // No g/y flag: test() must not carry lastIndex state from one request to the next.
    return new RegExp(source);
  } catch (err) {
    throw new Error(`${what} ${JSON.stringify(source)} does not compile: ${(err as Error).message}`);
  }
}

function matchesPath(r: CompiledRoute<unknown>, path: string): boolean {
  switch (r.pathKind) {
    case 'any':
      return true;
    case 'exact':
      return path === r.path;
    case 'prefix':
      // Segment boundary: "/api" takes "/api" and "/api/x", never "/apix".
      return path.startsWith(r.path) && (path.length === r.path.length || path.charCodeAt(r.path.length) === 0x2f);
    case 'regex':
      return r.regex!.test(path);
  }
}

function matchesMethod(r: CompiledRoute<unknown>, method: string): boolean {
  return r.methods.length === 0 || r.methods.includes(method);
}

function matchesHost(r: CompiledRoute<unknown>, host: string): boolean {
  if (r.host === '') return true;
  // A fully qualified "example.com." names the same host as "example.com".
  const len = host.charCodeAt(host.length - 1) === 0x2e ? host.length - 1 : host.length;
  if (r.wildcardHost) {
    // "*.example.com" needs at least one label in front: "a.example.com", not "example.com".
    return len > r.host.length && host.startsWith(r.host, len - r.host.length);
  }
  return len === r.host.length && host.startsWith(r.host);
}

function matchesHeaders(r: CompiledRoute<unknown>, headers: IncomingHttpHeaders): boolean {
  const list = r.headers;
  for (let i = 0; i < list.length; i++) {
    const h = list[i]!;
    const v = headers[h.name];
    if (!matchesHeader(h, v)) return false;
  }
  return true;
}

function matchesHeader(h: CompiledHeader, v: string | string[] | undefined): boolean {
  if (h.kind === 'absent') return v === undefined;
  if (v === undefined) return false;
  if (h.kind === 'present') return true;
  if (typeof v === 'string') return matchesValue(h, v);
  for (let i = 0; i < v.length; i++) if (matchesValue(h, v[i]!)) return true;
  return false;
}

function matchesValue(h: CompiledHeader, v: string): boolean {
  return h.kind === 'exact' ? v === h.exact : h.regex!.test(v);
}

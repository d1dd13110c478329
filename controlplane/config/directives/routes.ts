// Routing directives: `route PATTERN backend_pool=NAME [conditions]` (HAProxy `use_backend ... if`,
// nginx `location`), its block form `route path|regex|header ...`, and `default_backend` /
// `default_pool` (HAProxy `default_backend`). Regexes are checked in regex-safety.ts.
import type { Token } from '../lexer.js';
import type { DraftRoute } from '../draft.js';
import type { PathMatchConfig } from '../model.js';
import { canonicalAlgorithm, canonicalPersistence, unknownAlgorithmMessage, unknownPersistenceMessage } from '../names.js';
import { posOf, type DirectiveTable, type Handler, type Parser } from '../parser-core.js';
import { checkRegex } from '../regex-safety.js';
import { didYouMean, isHeaderName, parseHashKey } from '../values.js';

const handleDefaultBackend: Handler = (p, st, args) => {
  const [n] = p.positionals(st, args, 1, 'a pool name') ?? [];
  if (n === undefined || !p.checkPoolName(n)) return;
  const before = p.draft.defaultBackend;
  if (before !== null) p.problems.warn(posOf(n), `default_backend already set on line ${before.line}; this one wins`);
  p.draft.defaultBackend = { name: n.text, line: n.line, col: n.col };
};

const ROUTE_ATTRS = ['backend_pool', 'pool', 'method', 'algorithm', 'persistence', 'host', 'header', 'methods', 'hash_key'];
const ROUTE_KINDS = ['path', 'regex', 'header'];

const handleRoute: Handler = (p, st, args) => {
  const directive = st.words[0]!;
  const pos = [...args.positional];
  const first = pos[0];
  const missingAt = () => {
    const last = st.words[st.words.length - 1]!;
    return { line: last.line, col: last.col + last.text.length };
  };
  if (first === undefined) {
    p.error(missingAt(), `missing pattern after "${directive.text}" (e.g. /api/*, /exact or ~regex)`);
    return;
  }
  const route: DraftRoute = {
    line: directive.line,
    col: directive.col,
    path: { kind: 'any' },
    host: '',
    headers: [],
    methods: [],
    pool: '',
    poolPos: posOf(directive),
    algorithm: null,
    persistence: null,
    hashKey: null,
    display: '',
    valid: true,
  };
  const kind = first.quoted ? '' : first.text.toLowerCase();
  let headerDisplay: string | undefined;
  let poolTok: Token | undefined;
  if (ROUTE_KINDS.includes(kind)) {
    // Block form: route path PATTERN POOL | route regex REGEX POOL | route header NAME VALUE POOL.
    pos.shift();
    const needed = kind === 'header' ? 3 : 2;
    const what = kind === 'header' ? 'a header name, a value and a pool' : kind === 'path' ? 'a path pattern and a pool' : 'a regex and a pool';
    if (pos.length < needed && !(pos.length === needed - 1 && (args.attrs.has('backend_pool') || args.attrs.has('pool')))) {
      p.error(missingAt(), `missing ${what} after "route ${first.text}"`);
      return;
    }
    if (kind === 'path') {
      const m = pathPattern(p, pos.shift()!);
      if (m === undefined) route.valid = false;
      else route.path = m;
    } else if (kind === 'regex') {
      const r = pos.shift()!;
      const src = r.text.startsWith('~') ? r.text.slice(1) : r.text;
      if (checkRegex(p.problems, src, posOf(r))) route.path = { kind: 'regex', value: src };
      else route.valid = false;
    } else {
      const nameTok = pos.shift()!;
      const valueTok = pos.shift()!;
      if (!isHeaderName(nameTok.text)) {
        p.error(posOf(nameTok), `bad header name "${nameTok.text}"`);
        route.valid = false;
      } else {
        route.headers.push({ name: nameTok.text, kind: 'exact', value: valueTok.text });
        headerDisplay = `header ${nameTok.text}=${valueTok.text}`;
      }
    }
    poolTok = pos.shift();
  } else {
    const patternTok = pos.shift()!;
    const m = pathPattern(p, patternTok);
    if (m === undefined) route.valid = false;
    else route.path = m;
    poolTok = pos.shift();
  }
  p.extras(pos, 'route', ROUTE_ATTRS);
  const poolAttr = args.attrs.get('backend_pool') ?? args.attrs.get('pool');
  if (args.attrs.has('backend_pool') && args.attrs.has('pool')) {
    p.error(args.attrs.get('pool')!.keyPos, 'give backend_pool= or pool=, not both');
  }
  if (poolTok !== undefined && poolAttr !== undefined) {
    p.error(poolAttr.keyPos, `route names its pool twice ("${poolTok.text}" and ${poolAttr.key}=${poolAttr.value})`);
  }
  const poolName = poolTok !== undefined ? { text: poolTok.text, ...posOf(poolTok) } : poolAttr ? { text: poolAttr.value, ...poolAttr.pos } : undefined;
  if (poolName === undefined) {
    p.error(missingAt(), 'route needs a pool: add backend_pool=NAME');
    return;
  }
  if (!p.checkPoolName(poolName)) route.valid = false;
  route.pool = poolName.text;
  route.poolPos = { line: poolName.line, col: poolName.col };

  const alg = args.attrs.get('method') ?? args.attrs.get('algorithm');
  if (alg !== undefined) {
    const a = canonicalAlgorithm(alg.value);
    if (a === undefined) p.error(alg.pos, unknownAlgorithmMessage(alg.value));
    else route.algorithm = a;
  }
  const pers = args.attrs.get('persistence');
  if (pers !== undefined) {
    const v = canonicalPersistence(pers.value);
    if (v === undefined) p.error(pers.pos, unknownPersistenceMessage(pers.value));
    else route.persistence = v;
  }
  const hk = args.attrs.get('hash_key');
  if (hk !== undefined) route.hashKey = p.value(parseHashKey(hk.value), hk.pos) ?? null;
  const host = args.attrs.get('host');
  if (host !== undefined) {
    const h = host.value.toLowerCase();
    if (/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(h)) route.host = h.replace(/\.$/, '');
    else p.error(host.pos, `bad host "${host.value}" (a host name without port; "*.example.com" allowed)`);
  }
  for (const h of args.headers) {
    const colon = h.value.indexOf(':');
    const name = colon === -1 ? h.value : h.value.slice(0, colon);
    const value = colon === -1 ? '' : h.value.slice(colon + 1);
    if (!isHeaderName(name)) {
      p.error(h.pos, `bad header condition "${h.value}" (expected Name, Name:value or Name:~regex)`);
    } else if (colon === -1) {
      route.headers.push({ name, kind: 'present', value: '' });
    } else if (value.startsWith('~')) {
      if (checkRegex(p.problems, value.slice(1), { line: h.pos.line, col: h.pos.col + colon + 2 })) {
        route.headers.push({ name, kind: 'regex', value: value.slice(1) });
      }
    } else {
      route.headers.push({ name, kind: 'exact', value });
    }
  }
  const methods = args.attrs.get('methods');
  if (methods !== undefined) {
    const list = methods.value.split(',').map((m) => m.trim().toUpperCase());
    const bad = list.find((m) => !/^[A-Z]+$/.test(m));
    if (bad !== undefined) p.error(methods.pos, `bad method "${bad}" in methods= (expected e.g. methods=GET,POST)`);
    else route.methods = [...new Set(list)];
  }
  route.display = routeDisplay(route, headerDisplay);
  p.draft.routes.push(route);
};

/** "/api/*" or "~^/v[0-9]+/", then the conditions: "host=x", "header X-Tenant=beta", "methods=GET". */
function routeDisplay(r: DraftRoute, headerDisplay: string | undefined): string {
  const parts: string[] = [];
  if (r.path.kind === 'exact') parts.push(r.path.value);
  else if (r.path.kind === 'prefix') parts.push(r.path.value === '/' ? '/*' : `${r.path.value}/*`);
  else if (r.path.kind === 'regex') parts.push(`~${r.path.value}`);
  if (r.host !== '') parts.push(`host=${r.host}`);
  r.headers.forEach((h, i) => {
    if (i === 0 && headerDisplay !== undefined) parts.push(headerDisplay);
    else if (h.kind === 'present') parts.push(`header ${h.name}`);
    else if (h.kind === 'exact') parts.push(`header ${h.name}=${h.value}`);
    else parts.push(`header ${h.name}~${h.value}`);
  });
  if (r.methods.length > 0) parts.push(`methods=${r.methods.join(',')}`);
  return parts.length === 0 ? '*' : parts.join(' ');
}

/** `/exact`, `/prefix/*` (prefix without the `/*`) or `~regex`. */
function pathPattern(p: Parser, t: Token): PathMatchConfig | undefined {
  const s = t.text;
  if (s.startsWith('~') && !t.quoted) {
    const source = s.slice(1);
    if (source === '') {
      p.error(posOf(t), 'empty regex after "~"');
      return undefined;
    }
    return checkRegex(p.problems, source, posOf(t)) ? { kind: 'regex', value: source } : undefined;
  }
  if (!s.startsWith('/')) {
    const hint = didYouMean(s.toLowerCase(), ROUTE_KINDS);
    p.error(posOf(t), `bad route pattern "${s}" (expected /exact, /prefix/* or ~regex)${hint}`);
    return undefined;
  }
  if (/[?#\s]/.test(s)) {
    p.error(posOf(t), `bad route pattern "${s}": a path pattern has no query, fragment or spaces`);
    return undefined;
  }
  const isPrefix = s.endsWith('/*');
  const body = isPrefix ? s.slice(0, -2) : s;
  if (body.includes('*')) {
    p.error(posOf(t), `bad route pattern "${s}": "*" is only allowed at the end, as in /api/*`);
    return undefined;
  }
  if (isPrefix) return { kind: 'prefix', value: body === '' ? '/' : body };
  return { kind: 'exact', value: s };
}

export const ROUTE_DIRECTIVES: DirectiveTable = {
  route: { handler: handleRoute, inBlock: false, global: true, attrs: ROUTE_ATTRS },
  default_backend: { handler: handleDefaultBackend, inBlock: false, global: true, attrs: [] },
  default_pool: { handler: handleDefaultBackend, inBlock: false, global: true, attrs: [] },
};

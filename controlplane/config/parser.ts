// Interprets lexed statements, directive by directive, into a Draft: every value parsed and
// checked on its own, pools gathered by name (in any order), but references between pools,
// routes and the default not yet resolved (validate.ts does that). Problems are collected, never thrown.
import { checkSync } from 'recheck';
import type { Statement, Token } from './lexer.js';
import { isExternalReference, refusedReference } from './external-reference.js';
import { REDACTED } from './redact-secrets.js';
import type {
  CookieConfig,
  HashKeyConfig,
  HeaderMatchConfig,
  HealthCheckConfig,
  LimitsConfig,
  PassiveHealthConfig,
  PathMatchConfig,
  ResolverConfig,
  TimeoutsConfig,
  DiscoverConfig,
} from './model.js';
import { DEFAULT_DISCOVER_INTERVAL_MS, DEFAULT_RESOLVER } from './model.js';
import { checkDiscoverHost, MIN_DISCOVER_INTERVAL_MS, parseDiscoverMode, parseResolverAddress } from '../discovery/discovery-syntax.js';
import {
  canonicalAlgorithm,
  canonicalPersistence,
  unknownAlgorithmMessage,
  unknownPersistenceMessage,
  type AlgorithmName,
  type PersistenceName,
} from './names.js';
import {
  didYouMean,
  isAddressOrCidr,
  isBoolWord,
  isHeaderName,
  parseBackendUrl,
  parseBalanceFactor,
  parseBool,
  parseDuration,
  parseHashKey,
  parseInteger,
  parsePercent,
  parseSize,
  parseWeight,
  UINT32_MAX,
  type Parsed,
} from './values.js';

export interface Pos {
  line: number;
  col: number;
}

export interface Problem extends Pos {
  message: string;
  severity: 'error' | 'warning';
}

/** Collects errors and warnings in the order found (sorted later). */
export class Problems {
  readonly list: Problem[] = [];

  error(at: Pos, message: string): void {
    this.list.push({ line: at.line, col: at.col, message, severity: 'error' });
  }

  warn(at: Pos, message: string): void {
    this.list.push({ line: at.line, col: at.col, message, severity: 'warning' });
  }

  get errorCount(): number {
    return this.list.filter((p) => p.severity === 'error').length;
  }
}

export interface DraftBackend extends Pos {
  url: string;
  scheme: 'http' | 'https';
  host: string;
  port: number;
  weight: number;
  maxConnections: number;
  backup: boolean;
  down: boolean;
  discover?: DiscoverConfig | null;
}

/** Settings a pool may carry; also the global defaults for every pool. */
export interface PoolSettings {
  algorithm: AlgorithmName | null;
  persistence: PersistenceName | null;
  hashKey: HashKeyConfig | null;
  hashBalanceFactor: number | null;
  panicThresholdPercent: number | null;
  healthCheck: Partial<HealthCheckConfig>;
  passiveHealth: Partial<PassiveHealthConfig>;
  timeouts: Partial<TimeoutsConfig>;
  /** Where algorithm / persistence were set, to warn when set twice. */
  setAt: Map<string, number>;
}

export interface DraftPool extends PoolSettings {
  name: string;
  /** First `pool` / `upstream` / backend naming it; 0 while only settings (pool=) mention it. */
  line: number;
  col: number;
  /** Named by a `pool` or `upstream` statement. */
  declared: boolean;
  backends: DraftBackend[];
}

export interface DraftRoute {
  line: number;
  /** Column of the `route` keyword. */
  col: number;
  path: PathMatchConfig;
  host: string;
  headers: HeaderMatchConfig[];
  methods: string[];
  pool: string;
  poolPos: Pos;
  algorithm: AlgorithmName | null;
  persistence: PersistenceName | null;
  hashKey: HashKeyConfig | null;
  display: string;
  /** A pattern was given (a regex may still be bad) — false when the match itself is broken. */
  valid: boolean;
}

/** A per-pool setting (health_check pool=X, timeout ... pool=X) naming a pool. */
export interface PoolRef extends Pos {
  name: string;
  directive: string;
}

export interface Draft {
  global: PoolSettings;
  pools: Map<string, DraftPool>;
  routes: DraftRoute[];
  defaultBackend: (Pos & { name: string }) | null;
  cookie: Partial<CookieConfig>;
  trustedProxies: string[];
  limits: Partial<LimitsConfig>;
  poolRefs: PoolRef[];
  /** Some backend/server statement was seen (even a broken one). */
  sawBackend: boolean;
  resolver?: ResolverConfig;
}

/** Environment for `secret=env:NAME`. */
export type Env = Readonly<Record<string, string | undefined>>;

interface Attr {
  key: string;
  /** Position of the key (start of the token). */
  keyPos: Pos;
  value: string;
  /** Position of the value (after `=`). */
  pos: Pos;
}

interface Args {
  positional: Token[];
  attrs: Map<string, Attr>;
  /** Every `header=` (the one attribute that may repeat). */
  headers: Attr[];
}

interface Block {
  /** null: a `{` after something other than `upstream NAME`; its statements are checked, then dropped. */
  pool: DraftPool | null;
  name: string;
  open: Pos;
  /** A "}" for it follows (before any other upstream). */
  closed: boolean;
}

type Handler = (p: Parser, st: Statement, args: Args) => void;

interface DirectiveSpec {
  handler: Handler;
  /** Allowed inside an upstream block. */
  inBlock: boolean;
  /** Allowed outside one. */
  global: boolean;
  attrs: readonly string[];
}

const POOL_NAME = /^[A-Za-z0-9_.-]+$/;
const normalizeKey = (k: string) => k.toLowerCase().replaceAll('-', '_');

function emptySettings(): PoolSettings {
  return {
    algorithm: null,
    persistence: null,
    hashKey: null,
    hashBalanceFactor: null,
    panicThresholdPercent: null,
    healthCheck: {},
    passiveHealth: {},
    timeouts: {},
    setAt: new Map(),
  };
}

const posOf = (t: Token): Pos => ({ line: t.line, col: t.col });

/** Parses statements into a Draft; problems go to `problems`. */
export function parseStatements(statements: readonly Statement[], problems: Problems, env: Env | null): Draft {
  const parser = new Parser(problems, env);
  parser.run(statements);
  return parser.draft;
}

class Parser {
  readonly draft: Draft = {
    global: emptySettings(),
    pools: new Map(),
    routes: [],
    defaultBackend: null,
    cookie: {},
    trustedProxies: [],
    limits: {},
    poolRefs: [],
    sawBackend: false,
  };
  block: Block | null = null;
  /** All statements and the index after the current one (to see whether a block gets its "}"). */
  all: readonly Statement[] = [];
  next = 0;
  readonly problems: Problems;
  /** null: references to this process's environment or files are refused (config from the Admin API). */
  readonly env: Env | null;

  constructor(problems: Problems, env: Env | null) {
    this.problems = problems;
    this.env = env;
  }

  error(at: Pos, message: string): void {
    this.problems.error(at, message);
  }

  run(statements: readonly Statement[]): void {
    // `upstream NAME` at the end of a line waits for a `{` as the next statement.
    let pending: { name: string; pool: DraftPool | null; at: Pos; endAt: Pos } | null = null;
    for (let i = 0; i < statements.length; i++) {
      const st = statements[i]!;
      this.all = statements;
      this.next = i + 1;
      if (pending !== null && !(st.words.length === 0 && st.end === 'open')) {
        this.error(pending.endAt, `expected "{" after "upstream ${pending.name}"`);
        pending = null;
      }
      if (st.end === 'close') {
        if (st.words.length > 0) this.statement(st);
        if (this.block === null) this.error({ line: st.line, col: st.endCol }, 'unexpected "}": no block is open');
        this.block = null;
        continue;
      }
      if (st.words.length === 0 && st.end === 'open') {
        if (pending !== null) {
          this.openBlock(pending.name, pending.pool, { line: st.line, col: st.endCol });
          pending = null;
        } else {
          this.error({ line: st.line, col: st.endCol }, 'unexpected "{": only "upstream NAME" opens a block');
          this.openBlock('', null, { line: st.line, col: st.endCol });
        }
        continue;
      }
      const directive = normalizeKey(st.words[0]!.text);
      if (directive === 'upstream' && !st.words[0]!.quoted) {
        const opened = this.upstream(st);
        if (opened !== undefined) pending = opened;
        continue;
      }
      this.statement(st);
      if (st.end === 'open') {
        this.error({ line: st.line, col: st.endCol }, 'unexpected "{": only "upstream NAME" opens a block');
        this.openBlock('', null, { line: st.line, col: st.endCol });
      }
    }
    if (pending !== null) this.error(pending.endAt, `expected "{" after "upstream ${pending.name}"`);
    if (this.block !== null) this.closeUnclosed(undefined);
  }

  openBlock(name: string, pool: DraftPool | null, open: Pos): void {
    if (this.block !== null) this.closeUnclosed(open.line);
    // A block that never gets its "}" (another upstream or the end comes first) ends at the first
    // directive that cannot be inside it, rather than turning the rest of the file into errors.
    let closed = false;
    for (let i = this.next; i < this.all.length; i++) {
      const st = this.all[i]!;
      if (st.end === 'close') {
        closed = true;
        break;
      }
      if (st.words.length > 0 && normalizeKey(st.words[0]!.text) === 'upstream') break;
    }
    this.block = { name, pool, open, closed };
  }

  closeUnclosed(beforeLine: number | undefined): void {
    const b = this.block!;
    const what = b.pool ? ` of upstream "${b.name}"` : '';
    this.error(b.open, `unclosed "{"${what}: add "}"${beforeLine === undefined ? '' : ` before line ${beforeLine}`}`);
    this.block = null;
  }

  /** `upstream NAME {` — returns the pending block when the `{` is expected on a later line. */
  upstream(st: Statement): { name: string; pool: DraftPool | null; at: Pos; endAt: Pos } | undefined {
    const words = [...st.words];
    let end = st.end;
    let endCol = st.endCol;
    const last = words[words.length - 1]!;
    // "upstream api{" — the brace glued to the name.
    if (end !== 'open' && words.length === 2 && !last.quoted && last.text.endsWith('{') && last.text.length > 1) {
      words[1] = { ...last, text: last.text.slice(0, -1) };
      end = 'open';
      endCol = last.col + last.text.length - 1;
    }
    const at = posOf(words[0]!);
    if (words.length < 2) {
      this.error(at, 'missing pool name after "upstream"');
      if (end === 'open') this.openBlock('', null, { line: st.line, col: endCol });
      return undefined;
    }
    for (const extra of words.slice(2)) this.error(posOf(extra), `unexpected "${extra.text}" after "upstream ${words[1]!.text}"`);
    const nameTok = words[1]!;
    const pool = this.declarePool(nameTok);
    const endAt = { line: st.line, col: last.col + last.text.length };
    if (end === 'open') {
      this.openBlock(nameTok.text, pool, { line: st.line, col: endCol });
      return undefined;
    }
    if (end === 'semi') {
      this.error(endAt, `expected "{" after "upstream ${nameTok.text}"`);
      return undefined;
    }
    return { name: nameTok.text, pool, at, endAt };
  }

  statement(st: Statement): void {
    const first = st.words[0]!;
    const name = normalizeKey(first.text);
    const spec = first.quoted ? undefined : DIRECTIVES[name];
    if (spec === undefined) {
      this.error(posOf(first), `unknown directive "${first.text}"${didYouMean(name, DIRECTIVE_NAMES)}`);
      return;
    }
    if (this.block !== null && !spec.inBlock && !this.block.closed) this.closeUnclosed(first.line);
    if (this.block !== null && !spec.inBlock) {
      this.error(posOf(first), `"${first.text}" is not allowed inside an upstream block`);
      return;
    }
    if (this.block === null && !spec.global) {
      this.error(posOf(first), `"${first.text}" is only allowed inside an upstream block`);
      return;
    }
    const args = this.splitArgs(name, st.words.slice(1), spec.attrs);
    spec.handler(this, st, args);
  }

  /** Separates `key=value` attributes from positional words; reports unknown and repeated keys. */
  splitArgs(directive: string, words: Token[], allowed: readonly string[]): Args {
    const args: Args = { positional: [], attrs: new Map(), headers: [] };
    for (const w of words) {
      const rawKey = w.eqIndex > 0 ? w.text.slice(0, w.eqIndex) : '';
      if (rawKey === '' || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(rawKey)) {
        args.positional.push(w);
        continue;
      }
      const key = normalizeKey(rawKey);
      const attr: Attr = {
        key,
        keyPos: posOf(w),
        value: w.text.slice(w.eqIndex + 1),
        pos: { line: w.line, col: w.valueCol },
      };
      let allowedHere = allowed.includes(key);
      if (key === 'pool' && allowedHere && this.block !== null && directive !== 'route') allowedHere = false;
      if (!allowedHere) {
        if (key === 'pool' && this.block !== null && allowed.includes('pool')) {
          this.error(attr.keyPos, `"pool=" is not allowed inside an upstream block (the block names the pool)`);
        } else {
          this.error(attr.keyPos, `unknown attribute "${rawKey}" for ${directive}${didYouMean(key, allowed)}`);
        }
        continue;
      }
      if (key === 'header') {
        args.headers.push(attr);
        continue;
      }
      if (args.attrs.has(key)) {
        this.error(attr.keyPos, `attribute "${rawKey}" given twice`);
        continue;
      }
      args.attrs.set(key, attr);
    }
    return args;
  }

  /**
   * Reports positional words nobody expected, hinting at `key=value` when one is an attribute
   * name ("weight 5" → one error about weight, none about the 5 after it).
   */
  extras(words: readonly Token[], directive: string, allowed: readonly string[]): void {
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      const key = normalizeKey(w.text);
      if (allowed.includes(key) && !w.quoted) {
        this.error(posOf(w), `"${w.text}" needs a value: write ${key}=VALUE`);
        i++;
      } else {
        this.error(posOf(w), `unexpected argument "${w.text}" for ${directive}`);
      }
    }
  }

  /** Exactly `count` positional words; reports the missing or the extra ones. */
  positionals(st: Statement, args: Args, count: number, what: string, allowed: readonly string[] = []): Token[] | undefined {
    const directive = st.words[0]!;
    const got = args.positional;
    this.extras(got.slice(count), directive.text, allowed);
    if (got.length < count) {
      const last = st.words[st.words.length - 1]!;
      this.error({ line: last.line, col: last.col + last.text.length }, `missing ${what} after "${directive.text}"`);
      return undefined;
    }
    return got.slice(0, count);
  }

  /** Runs a value parser and reports its error at `at`. */
  value<T>(parsed: Parsed<T>, at: Pos): T | undefined {
    if (parsed.ok) return parsed.value;
    this.error(at, parsed.message);
    return undefined;
  }

  pool(name: string): DraftPool {
    let pool = this.draft.pools.get(name);
    if (pool === undefined) {
      pool = { ...emptySettings(), name, line: 0, col: 0, declared: false, backends: [] };
      this.draft.pools.set(name, pool);
    }
    return pool;
  }

  checkPoolName(t: { text: string } & Pos): boolean {
    if (POOL_NAME.test(t.text)) return true;
    this.error(t, `bad pool name "${t.text}" (use letters, digits, "_", "-" and ".")`);
    return false;
  }

  declarePool(t: Token): DraftPool | null {
    if (!this.checkPoolName(t)) return null;
    const pool = this.pool(t.text);
    pool.declared = true;
    if (pool.line === 0) {
      pool.line = t.line;
      pool.col = t.col;
    }
    return pool;
  }

  /**
   * The settings a per-pool directive writes to: the block's pool, the pool named by `pool=`,
   * or the global defaults. undefined when `pool=` names no valid pool.
   */
  settingsTarget(args: Args, directive: string): PoolSettings | undefined {
    if (this.block !== null) return this.block.pool ?? emptySettings();
    const ref = args.attrs.get('pool');
    if (ref === undefined) return this.draft.global;
    if (!this.checkPoolName({ text: ref.value, ...ref.pos })) return undefined;
    this.draft.poolRefs.push({ name: ref.value, directive, ...ref.pos });
    return this.pool(ref.value);
  }

  setAlgorithm(target: PoolSettings, t: { text: string } & Pos, label: string): void {
    const alg = canonicalAlgorithm(t.text);
    if (alg === undefined) {
      this.error(t, unknownAlgorithmMessage(t.text));
      return;
    }
    this.warnTwice(target, 'algorithm', t, label);
    target.algorithm = alg;
  }

  setPersistence(target: PoolSettings, t: { text: string } & Pos, label: string): void {
    const p = canonicalPersistence(t.text);
    if (p === undefined) {
      this.error(t, unknownPersistenceMessage(t.text));
      return;
    }
    this.warnTwice(target, 'persistence', t, label);
    target.persistence = p;
  }

  warnTwice(target: PoolSettings, what: string, at: Pos, label: string): void {
    const before = target.setAt.get(what);
    if (before !== undefined && before !== at.line) {
      this.problems.warn(at, `${what} for ${label} already set on line ${before}; this one wins`);
    }
    target.setAt.set(what, at.line);
  }

  /** `/exact`, `/prefix/*` (prefix without the `/*`) or `~regex`. */
  pathPattern(t: Token): PathMatchConfig | undefined {
    const s = t.text;
    if (s.startsWith('~') && !t.quoted) {
      const source = s.slice(1);
      if (source === '') {
        this.error(posOf(t), 'empty regex after "~"');
        return undefined;
      }
      return this.checkRegex(source, posOf(t)) ? { kind: 'regex', value: source } : undefined;
    }
    if (!s.startsWith('/')) {
      const hint = didYouMean(s.toLowerCase(), ROUTE_KINDS);
      this.error(posOf(t), `bad route pattern "${s}" (expected /exact, /prefix/* or ~regex)${hint}`);
      return undefined;
    }
    if (/[?#\s]/.test(s)) {
      this.error(posOf(t), `bad route pattern "${s}": a path pattern has no query, fragment or spaces`);
      return undefined;
    }
    const isPrefix = s.endsWith('/*');
    const body = isPrefix ? s.slice(0, -2) : s;
    if (body.includes('*')) {
      this.error(posOf(t), `bad route pattern "${s}": "*" is only allowed at the end, as in /api/*`);
      return undefined;
    }
    if (isPrefix) return { kind: 'prefix', value: body === '' ? '/' : body };
    return { kind: 'exact', value: s };
  }

  /** The regex compiles and cannot backtrack catastrophically (checked with recheck). */
  checkRegex(source: string, at: Pos): boolean {
    try {
      new RegExp(source);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      // V8: "Invalid regular expression: /(/: Unterminated group" — keep the reason.
      const reason = msg.slice(msg.lastIndexOf(': ') + 2) || msg;
      this.error(at, `bad regex "${source}": ${reason}`);
      return false;
    }
    let diagnostics: ReturnType<typeof checkSync> | undefined;
    try {
      diagnostics = checkSync(source, '');
    } catch {
      // The checker failing is not the user's fault; the regex compiled.
      return true;
    }
    if (diagnostics.status === 'vulnerable' && diagnostics.complexity.type === 'polynomial' && diagnostics.complexity.degree <= 2) {
      // Quadratic: bounded by the request-line size limit; common in real routes such as
      // ^/api/(.*)/(.*)$. Worth knowing, not worth refusing.
      this.problems.warn(
        at,
        `regex "${source}" backtracks quadratically on long paths (attack string ${diagnostics.attack.pattern}); anchor it or use a prefix route if you can`,
      );
      return true;
    }
    if (diagnostics.status === 'vulnerable') {
      this.error(
        at,
        `regex "${source}" can backtrack catastrophically (${diagnostics.complexity.summary} complexity, attack string ${diagnostics.attack.pattern})`,
      );
      return false;
    }
    return true;
  }

  label(target: PoolSettings): string {
    if (target === this.draft.global) return 'all pools';
    return 'name' in target ? `pool "${(target as DraftPool).name}"` : 'this block';
  }
}

// ---- directives -------------------------------------------------------------------------------

const handleMethod: Handler = (p, st, args) => {
  const [alg] = p.positionals(st, args, 1, 'an algorithm name') ?? [];
  if (alg === undefined) return;
  const target = p.block ? (p.block.pool ?? emptySettings()) : p.draft.global;
  p.setAlgorithm(target, alg, p.label(target));
};

const handlePersistence: Handler = (p, st, args) => {
  const [type] = p.positionals(st, args, 1, 'a persistence type') ?? [];
  if (type === undefined) return;
  const target = p.block ? (p.block.pool ?? emptySettings()) : p.draft.global;
  p.setPersistence(target, type, p.label(target));
};

const handleHashKey: Handler = (p, st, args) => {
  const [key] = p.positionals(st, args, 1, 'a hash key (path, uri, ip, header:NAME or cookie:NAME)') ?? [];
  if (key === undefined) return;
  const target = p.block ? (p.block.pool ?? emptySettings()) : p.draft.global;
  const v = p.value(parseHashKey(key.text), posOf(key));
  if (v !== undefined) target.hashKey = v;
};

const handleBalanceFactor: Handler = (p, st, args) => {
  const [f] = p.positionals(st, args, 1, 'a factor (0 or >= 1.0)') ?? [];
  if (f === undefined) return;
  const target = p.block ? (p.block.pool ?? emptySettings()) : p.draft.global;
  const v = p.value(parseBalanceFactor(f.text), posOf(f));
  if (v !== undefined) target.hashBalanceFactor = v;
};

const BACKEND_ATTRS = ['weight', 'pool', 'max_conn', 'max_connections', 'discover', 'interval'];
const BACKEND_FLAGS = ['backup', 'down'];

const handleBackend: Handler = (p, st, args) => {
  const directive = st.words[0]!.text;
  p.draft.sawBackend = true;
  const [urlTok, ...rest] = args.positional;
  if (urlTok === undefined) {
    const last = st.words[st.words.length - 1]!;
    p.error({ line: last.line, col: last.col + last.text.length }, `missing URL after "${directive}"`);
    return;
  }
  let backup = false;
  let down = false;
  const others: Token[] = [];
  for (const w of rest) {
    const flag = w.text.toLowerCase();
    if (flag === 'backup' && !w.quoted) backup = true;
    else if (flag === 'down' && !w.quoted) down = true;
    else others.push(w);
  }
  p.extras(others, directive, BACKEND_ATTRS);
  let ok = others.length === 0;
  const address = p.value(parseBackendUrl(urlTok.text), posOf(urlTok));
  let weight = 1;
  const w = args.attrs.get('weight');
  if (w !== undefined) {
    const v = p.value(parseWeight(w.value), w.pos);
    if (v === undefined) ok = false;
    else weight = v;
  }
  const mc = args.attrs.get('max_conn') ?? args.attrs.get('max_connections');
  if (args.attrs.has('max_conn') && args.attrs.has('max_connections')) {
    p.error(args.attrs.get('max_connections')!.keyPos, 'give max_conn or max_connections, not both');
  }
  let maxConnections = 0;
  if (mc !== undefined) {
    const v = p.value(parseInteger(mc.value, mc.key, 0, UINT32_MAX), mc.pos);
    if (v === undefined) ok = false;
    else maxConnections = v;
  }
  const discover = address === undefined ? null : discoverOf(p, args, address.host, urlTok.text);
  if (discover === undefined) ok = false;
  let pool: DraftPool | null;
  if (p.block !== null) {
    pool = p.block.pool;
  } else {
    const ref = args.attrs.get('pool');
    const name = ref === undefined ? { text: 'default', line: urlTok.line, col: urlTok.col } : { text: ref.value, ...ref.pos };
    pool = p.checkPoolName(name) ? p.pool(name.text) : null;
  }
  if (address === undefined || !ok || pool === null) return;
  if (pool.line === 0) {
    pool.line = urlTok.line;
    pool.col = urlTok.col;
  }
  const same = pool.backends.find((b) => b.scheme === address.scheme && b.host === address.host && b.port === address.port);
  if (same !== undefined) {
    p.error(posOf(urlTok), `duplicate backend "${urlTok.text}" in pool "${pool.name}" (first on line ${same.line})`);
    return;
  }
  pool.backends.push({ ...address, weight, maxConnections, backup, down, line: urlTok.line, col: urlTok.col, ...(discover ? { discover } : {}) });
};

/** A backend's `discover=` / `interval=`: null = a fixed address; undefined = reported error. */
function discoverOf(p: Parser, args: Args, host: string, urlText: string): DiscoverConfig | null | undefined {
  const d = args.attrs.get('discover');
  const iv = args.attrs.get('interval');
  if (d === undefined) {
    if (iv !== undefined) p.error(iv.keyPos, 'interval= only applies with discover=dns or discover=srv');
    return iv === undefined ? null : undefined;
  }
  const mode = p.value(parseDiscoverMode(d.value), d.pos);
  if (mode === undefined) return undefined;
  const explicitPort = /^[a-z]+:\/\/(\[[^\]]*\]|[^/:?#]*):\d+/i.test(urlText);
  const why = checkDiscoverHost(mode, host, explicitPort);
  if (why !== undefined) {
    p.error(d.keyPos, why);
    return undefined;
  }
  let intervalMs = DEFAULT_DISCOVER_INTERVAL_MS;
  if (iv !== undefined) {
    const v = p.value(parseDuration(iv.value, 'interval'), iv.pos);
    if (v === undefined) return undefined;
    if (v < MIN_DISCOVER_INTERVAL_MS) {
      p.error(iv.pos, `interval must be at least ${MIN_DISCOVER_INTERVAL_MS}ms, got "${iv.value}"`);
      return undefined;
    }
    intervalMs = v;
  }
  return { mode, name: host, intervalMs };
}

const RESOLVER_ATTRS = ['ttl_min', 'nxdomain_grace', 'timeout'];

/** `resolver [ADDR:PORT ...] [ttl-min=D] [nxdomain-grace=D] [timeout=D]`: no address = the system's. */
const handleResolver: Handler = (p, st, args) => {
  if (p.draft.resolver !== undefined) p.problems.warn(posOf(st.words[0]!), `resolver already set on line ${p.draft.resolver.line}; this one wins`);
  const r: ResolverConfig = { ...DEFAULT_RESOLVER, servers: [], line: st.line };
  for (const w of args.positional) {
    const v = p.value(parseResolverAddress(w.text), posOf(w));
    if (v !== undefined) r.servers.push(v);
  }
  const durations: Array<[string, 'ttlMinMs' | 'nxdomainGraceMs' | 'timeoutMs']> = [
    ['ttl_min', 'ttlMinMs'],
    ['nxdomain_grace', 'nxdomainGraceMs'],
    ['timeout', 'timeoutMs'],
  ];
  for (const [key, field] of durations) {
    const a = args.attrs.get(key);
    if (a === undefined) continue;
    const v = p.value(parseDuration(a.value, key.replace('_', '-')), a.pos);
    if (v === undefined) continue;
    if (field === 'timeoutMs' && v < 1) p.error(a.pos, 'timeout must be at least 1ms');
    else r[field] = v;
  }
  p.draft.resolver = r;
};

const handlePanicThreshold: Handler = (p, st, args) => {
  const [t] = p.positionals(st, args, 1, 'a percentage (0% = off)', ['pool']) ?? [];
  if (t === undefined) return;
  const target = p.settingsTarget(args, 'panic_threshold');
  const v = p.value(parsePercent(t.text, 'panic_threshold'), posOf(t));
  if (v !== undefined && target !== undefined) target.panicThresholdPercent = v;
};

const POOL_ATTRS = ['method', 'algorithm', 'persistence', 'hash_key', 'hash_balance_factor', 'panic_threshold'];

const handlePool: Handler = (p, st, args) => {
  const [nameTok] = p.positionals(st, args, 1, 'a pool name', POOL_ATTRS) ?? [];
  if (nameTok === undefined) return;
  const pool = p.declarePool(nameTok) ?? emptySettings();
  const label = p.label(pool);
  const alg = args.attrs.get('method') ?? args.attrs.get('algorithm');
  if (args.attrs.has('method') && args.attrs.has('algorithm')) {
    p.error(args.attrs.get('algorithm')!.keyPos, 'give method= or algorithm=, not both');
  }
  if (alg !== undefined) p.setAlgorithm(pool, { text: alg.value, ...alg.pos }, label);
  const pers = args.attrs.get('persistence');
  if (pers !== undefined) p.setPersistence(pool, { text: pers.value, ...pers.pos }, label);
  const hk = args.attrs.get('hash_key');
  if (hk !== undefined) {
    const v = p.value(parseHashKey(hk.value), hk.pos);
    if (v !== undefined) pool.hashKey = v;
  }
  const f = args.attrs.get('hash_balance_factor');
  if (f !== undefined) {
    const v = p.value(parseBalanceFactor(f.value), f.pos);
    if (v !== undefined) pool.hashBalanceFactor = v;
  }
  const pt = args.attrs.get('panic_threshold');
  if (pt !== undefined) {
    const v = p.value(parsePercent(pt.value, 'panic_threshold'), pt.pos);
    if (v !== undefined) pool.panicThresholdPercent = v;
  }
};

const HEALTH_ATTRS = [
  'type',
  'path',
  'interval',
  'timeout',
  'rise',
  'fall',
  'healthy_threshold',
  'unhealthy_threshold',
  'status',
  'host',
  'pool',
];

/** First positional word as on/off (the only positional these directives take). */
function onOff(p: Parser, st: Statement, args: Args, allowed: readonly string[]): boolean | undefined {
  let enabled: boolean | undefined;
  const others: Token[] = [];
  for (const w of args.positional) {
    const word = w.text.toLowerCase();
    if (enabled === undefined && !w.quoted && isBoolWord(word)) enabled = TRUE_WORDS.has(word);
    else others.push(w);
  }
  p.extras(others, st.words[0]!.text, allowed);
  return enabled;
}
const TRUE_WORDS = new Set(['on', 'true', 'yes']);

const handleHealthCheck: Handler = (p, st, args) => {
  const enabled = onOff(p, st, args, HEALTH_ATTRS);
  const target = p.settingsTarget(args, 'health_check');
  const hc: Partial<HealthCheckConfig> = {};
  if (enabled !== undefined) hc.enabled = enabled;
  for (const a of args.attrs.values()) {
    switch (a.key) {
      case 'type': {
        const t = a.value.toLowerCase();
        if (t === 'http' || t === 'tcp') hc.type = t;
        else p.error(a.pos, `bad health_check type "${a.value}" (expected http or tcp)`);
        break;
      }
      case 'path':
        if (a.value.startsWith('/') && !/\s/.test(a.value)) hc.path = a.value;
        else p.error(a.pos, `bad health_check path "${a.value}" (must start with "/")`);
        break;
      case 'interval':
      case 'timeout': {
        const v = p.value(parseDuration(a.value, `health_check ${a.key}`), a.pos);
        if (v === 0) p.error(a.pos, `health_check ${a.key} must be more than 0`);
        else if (v !== undefined) hc[a.key === 'interval' ? 'intervalMs' : 'timeoutMs'] = v;
        break;
      }
      case 'rise':
      case 'healthy_threshold':
      case 'fall':
      case 'unhealthy_threshold': {
        if (a.key === 'healthy_threshold' && args.attrs.has('rise')) p.error(a.keyPos, 'give rise or healthy_threshold, not both');
        if (a.key === 'unhealthy_threshold' && args.attrs.has('fall')) p.error(a.keyPos, 'give fall or unhealthy_threshold, not both');
        const v = p.value(parseInteger(a.value, a.key, 1, 1000), a.pos);
        if (v !== undefined) hc[a.key === 'rise' || a.key === 'healthy_threshold' ? 'healthyThreshold' : 'unhealthyThreshold'] = v;
        break;
      }
      case 'status': {
        const m = /^(\d{3})(?:-(\d{3}))?$/.exec(a.value);
        const lo = m ? Number(m[1]) : 0;
        const hi = m ? Number(m[2] ?? m[1]) : 0;
        if (!m || lo < 100 || hi > 599 || lo > hi) {
          p.error(a.pos, `bad health_check status "${a.value}" (expected a code or a range like 200-399)`);
        } else {
          hc.statusMin = lo;
          hc.statusMax = hi;
        }
        break;
      }
      case 'host':
        if (/^[A-Za-z0-9.:[\]-]+$/.test(a.value)) hc.host = a.value;
        else p.error(a.pos, `bad health_check host "${a.value}"`);
        break;
    }
  }
  if (target !== undefined) Object.assign(target.healthCheck, hc);
};

const PASSIVE_ATTRS = ['max_fails', 'fail_timeout', 'max_ejection', 'max_ejection_percent', 'errors', 'pool'];

const handlePassiveHealth: Handler = (p, st, args) => {
  const enabled = onOff(p, st, args, PASSIVE_ATTRS);
  const target = p.settingsTarget(args, 'passive_health');
  const ph: Partial<PassiveHealthConfig> = {};
  if (enabled !== undefined) ph.enabled = enabled;
  const mf = args.attrs.get('max_fails');
  if (mf !== undefined) {
    const v = p.value(parseInteger(mf.value, 'max_fails', 1, 1000), mf.pos);
    if (v !== undefined) ph.maxFailures = v;
  }
  const ft = args.attrs.get('fail_timeout');
  if (ft !== undefined) {
    const v = p.value(parseDuration(ft.value, 'fail_timeout'), ft.pos);
    if (v !== undefined) ph.ejectionMs = v;
  }
  const me = args.attrs.get('max_ejection');
  if (me !== undefined) {
    const v = p.value(parseDuration(me.value, 'max_ejection'), me.pos);
    if (v !== undefined) ph.maxEjectionMs = v;
  }
  const mp = args.attrs.get('max_ejection_percent');
  if (mp !== undefined) {
    const v = p.value(parsePercent(mp.value, 'max_ejection_percent'), mp.pos);
    if (v !== undefined) ph.maxEjectionPercent = v;
  }
  const errors = args.attrs.get('errors');
  if (errors !== undefined) {
    const e = errors.value.toLowerCase();
    if (e === 'gateway' || e === '5xx') ph.errors = e;
    else p.error(errors.pos, `bad passive_health errors "${errors.value}" (expected gateway or 5xx)`);
  }
  if (target !== undefined) Object.assign(target.passiveHealth, ph);
};

type PoolTimeout = 'connectMs' | 'responseMs' | 'idleMs' | 'websocketIdleMs';
type GlobalTimeout = 'headerTimeoutMs' | 'requestTimeoutMs' | 'keepaliveTimeoutMs' | 'shutdownTimeoutMs' | 'drainTimeoutMs';

const POOL_TIMEOUTS: Readonly<Record<string, PoolTimeout>> = {
  connect: 'connectMs',
  server: 'responseMs',
  idle: 'idleMs',
  tunnel: 'websocketIdleMs',
};
const GLOBAL_TIMEOUTS: Readonly<Record<string, GlobalTimeout>> = {
  http_request: 'headerTimeoutMs',
  client: 'requestTimeoutMs',
  http_keep_alive: 'keepaliveTimeoutMs',
  shutdown: 'shutdownTimeoutMs',
  drain: 'drainTimeoutMs',
};
const TIMEOUT_KINDS = [...Object.keys(POOL_TIMEOUTS), ...Object.keys(GLOBAL_TIMEOUTS)].map((k) => k.replaceAll('_', '-'));

const handleTimeout: Handler = (p, st, args) => {
  const words = p.positionals(st, args, 2, `a kind (${TIMEOUT_KINDS.join(', ')}) and a duration`, ['pool']);
  if (words === undefined) return;
  const [kindTok, durTok] = words as [Token, Token];
  const kind = normalizeKey(kindTok.text);
  const poolKind = POOL_TIMEOUTS[kind];
  const globalKind = GLOBAL_TIMEOUTS[kind];
  if (poolKind === undefined && globalKind === undefined) {
    p.error(posOf(kindTok), `unknown timeout "${kindTok.text}"${didYouMean(kindTok.text.toLowerCase(), TIMEOUT_KINDS)} (expected one of: ${TIMEOUT_KINDS.join(', ')})`);
    return;
  }
  const ms = p.value(parseDuration(durTok.text, `timeout ${kindTok.text}`), posOf(durTok));
  if (globalKind !== undefined) {
    const ref = args.attrs.get('pool');
    if (ref !== undefined || p.block !== null) {
      p.error(ref?.keyPos ?? posOf(kindTok), `timeout "${kindTok.text}" is global only; it cannot be set per pool`);
      return;
    }
    if (ms !== undefined) p.draft.limits[globalKind] = ms;
    return;
  }
  const target = p.settingsTarget(args, 'timeout');
  if (ms !== undefined && target !== undefined) target.timeouts[poolKind!] = ms;
};

const handleRetries: Handler = (p, st, args) => {
  const [n] = p.positionals(st, args, 1, 'a number of retries', ['pool']) ?? [];
  if (n === undefined) return;
  const v = p.value(parseInteger(n.text, 'retries', 0, 100), posOf(n));
  const target = p.settingsTarget(args, 'retries');
  if (v !== undefined && target !== undefined) target.timeouts.retries = v;
};

const COOKIE_ATTRS = ['name', 'ttl', 'secret', 'secure'];

const handleCookie: Handler = (p, st, args) => {
  p.extras(args.positional, 'cookie', COOKIE_ATTRS);
  const c = p.draft.cookie;
  const name = args.attrs.get('name');
  if (name !== undefined) {
    if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name.value)) c.name = name.value;
    else p.error(name.pos, `bad cookie name "${name.value}" (letters, digits and !#$%&'*+-.^_\`|~ only)`);
  }
  const ttl = args.attrs.get('ttl');
  if (ttl !== undefined) {
    const ms = p.value(parseDuration(ttl.value, 'cookie ttl'), ttl.pos);
    if (ms !== undefined && ms < 1000) p.error(ttl.pos, 'cookie ttl must be at least 1s');
    else if (ms !== undefined) c.ttlS = Math.floor(ms / 1000);
  }
  const secret = args.attrs.get('secret');
  if (secret !== undefined) {
    if (p.env === null && isExternalReference(secret.value)) {
      p.error(secret.pos, refusedReference(secret.value));
    } else if (secret.value === REDACTED) {
      p.error(secret.pos, `cookie secret is the ${REDACTED} placeholder of \`golbctl config\`: write the secret itself`);
    } else if (secret.value.startsWith('env:')) {
      const variable = secret.value.slice(4);
      const v = p.env?.[variable];
      if (variable === '') p.error(secret.pos, 'missing variable name after "secret=env:"');
      else if (v === undefined || v === '') p.error(secret.pos, `environment variable ${variable} (cookie secret) is not set`);
      else c.secret = v;
    } else if (secret.value === '') {
      p.error(secret.pos, 'cookie secret is empty');
    } else {
      c.secret = secret.value;
    }
  }
  const secure = args.attrs.get('secure');
  if (secure !== undefined) {
    const v = p.value(parseBool(secure.value, 'cookie secure'), secure.pos);
    if (v !== undefined) c.secure = v;
  }
};

const handleTrustedProxies: Handler = (p, st, args) => {
  if (args.positional.length === 0) {
    p.positionals(st, args, 1, 'one or more addresses or CIDRs');
    return;
  }
  for (const w of args.positional) {
    if (isAddressOrCidr(w.text)) p.draft.trustedProxies.push(w.text);
    else p.error(posOf(w), `bad trusted proxy "${w.text}" (expected an IPv4/IPv6 address or CIDR like 10.0.0.0/8)`);
  }
};

const handleMaxHeaderSize: Handler = (p, st, args) => {
  const [s] = p.positionals(st, args, 1, 'a size (e.g. 16k)') ?? [];
  if (s === undefined) return;
  const v = p.value(parseSize(s.text, 'max_header_size', UINT32_MAX), posOf(s));
  if (v === 0) p.error(posOf(s), 'max_header_size must be more than 0');
  else if (v !== undefined) p.draft.limits.maxHeaderBytes = v;
};

const handleMaxHeaders: Handler = (p, st, args) => {
  const [n] = p.positionals(st, args, 1, 'a number') ?? [];
  if (n === undefined) return;
  const v = p.value(parseInteger(n.text, 'max_headers', 1, 100_000), posOf(n));
  if (v !== undefined) p.draft.limits.maxHeaders = v;
};

const handleMaxBody: Handler = (p, st, args) => {
  const [s] = p.positionals(st, args, 1, 'a size (e.g. 10m, 0 = unlimited)') ?? [];
  if (s === undefined) return;
  const v = p.value(parseSize(s.text, 'client_max_body_size', Number.MAX_SAFE_INTEGER), posOf(s));
  if (v !== undefined) p.draft.limits.maxBodyBytes = v;
};

/** Upper bound for max_connections and max_websockets (far above any file descriptor limit). */
const MAX_CONNECTIONS = 10_000_000;

const handleMaxConnections: Handler = (p, st, args) => {
  const [n] = p.positionals(st, args, 1, 'a number') ?? [];
  if (n === undefined) return;
  const v = p.value(parseInteger(n.text, 'max_connections', 1, MAX_CONNECTIONS), posOf(n));
  if (v !== undefined) p.draft.limits.maxConnections = v;
};

const handleMaxWebSockets: Handler = (p, st, args) => {
  const [n] = p.positionals(st, args, 1, 'a number') ?? [];
  if (n === undefined) return;
  const v = p.value(parseInteger(n.text, 'max_websockets', 1, MAX_CONNECTIONS), posOf(n));
  if (v !== undefined) p.draft.limits.maxWebSockets = v;
};

const handleWebSocketMaxMessage: Handler = (p, st, args) => {
  const [s] = p.positionals(st, args, 1, 'a size (e.g. 16m)') ?? [];
  if (s === undefined) return;
  const v = p.value(parseSize(s.text, 'websocket_max_message', 1024 ** 3), posOf(s));
  if (v === 0) p.error(posOf(s), 'websocket_max_message must be more than 0');
  else if (v !== undefined) p.draft.limits.websocketMaxMessageBytes = v;
};
/** `NAME on|off`: a global switch stored in limits. */
function limitSwitch(name: string, set: (p: Parser, v: boolean) => void): Handler {
  return (p, st, args) => {
    const [w] = p.positionals(st, args, 1, 'on or off') ?? [];
    if (w === undefined) return;
    const v = p.value(parseBool(w.text, name), posOf(w));
    if (v !== undefined) set(p, v);
  };
}

const handleUnderscoresInHeaders = limitSwitch('underscores_in_headers', (p, v) => {
  p.draft.limits.underscoresInHeaders = v;
});
const handleAllowTrace = limitSwitch('allow_trace', (p, v) => {
  p.draft.limits.allowTrace = v;
});

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
      const m = p.pathPattern(pos.shift()!);
      if (m === undefined) route.valid = false;
      else route.path = m;
    } else if (kind === 'regex') {
      const r = pos.shift()!;
      const src = r.text.startsWith('~') ? r.text.slice(1) : r.text;
      if (p.checkRegex(src, posOf(r))) route.path = { kind: 'regex', value: src };
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
    const m = p.pathPattern(patternTok);
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
      if (p.checkRegex(value.slice(1), { line: h.pos.line, col: h.pos.col + colon + 2 })) {
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

const DIRECTIVES: Readonly<Record<string, DirectiveSpec>> = {
  method: { handler: handleMethod, inBlock: true, global: true, attrs: [] },
  algorithm: { handler: handleMethod, inBlock: true, global: true, attrs: [] },
  persistence: { handler: handlePersistence, inBlock: true, global: true, attrs: [] },
  backend: { handler: handleBackend, inBlock: true, global: true, attrs: BACKEND_ATTRS },
  server: { handler: handleBackend, inBlock: true, global: true, attrs: BACKEND_ATTRS },
  hash_key: { handler: handleHashKey, inBlock: true, global: true, attrs: [] },
  hash_balance_factor: { handler: handleBalanceFactor, inBlock: true, global: true, attrs: [] },
  health_check: { handler: handleHealthCheck, inBlock: true, global: true, attrs: HEALTH_ATTRS },
  passive_health: { handler: handlePassiveHealth, inBlock: true, global: true, attrs: PASSIVE_ATTRS },
  panic_threshold: { handler: handlePanicThreshold, inBlock: true, global: true, attrs: ['pool'] },
  timeout: { handler: handleTimeout, inBlock: true, global: true, attrs: ['pool'] },
  retries: { handler: handleRetries, inBlock: true, global: true, attrs: ['pool'] },
  pool: { handler: handlePool, inBlock: false, global: true, attrs: POOL_ATTRS },
  route: { handler: handleRoute, inBlock: false, global: true, attrs: ROUTE_ATTRS },
  default_backend: { handler: handleDefaultBackend, inBlock: false, global: true, attrs: [] },
  default_pool: { handler: handleDefaultBackend, inBlock: false, global: true, attrs: [] },
  cookie: { handler: handleCookie, inBlock: false, global: true, attrs: COOKIE_ATTRS },
  trusted_proxies: { handler: handleTrustedProxies, inBlock: false, global: true, attrs: [] },
  max_header_size: { handler: handleMaxHeaderSize, inBlock: false, global: true, attrs: [] },
  max_headers: { handler: handleMaxHeaders, inBlock: false, global: true, attrs: [] },
  client_max_body_size: { handler: handleMaxBody, inBlock: false, global: true, attrs: [] },
  max_connections: { handler: handleMaxConnections, inBlock: false, global: true, attrs: [] },
  max_websockets: { handler: handleMaxWebSockets, inBlock: false, global: true, attrs: [] },
  websocket_max_message: { handler: handleWebSocketMaxMessage, inBlock: false, global: true, attrs: [] },
  underscores_in_headers: { handler: handleUnderscoresInHeaders, inBlock: false, global: true, attrs: [] },
  allow_trace: { handler: handleAllowTrace, inBlock: false, global: true, attrs: [] },
  resolver: { handler: handleResolver, inBlock: false, global: true, attrs: RESOLVER_ATTRS },
};

/** Every directive name, for did-you-mean (`upstream` is handled before the table). */
export const DIRECTIVE_NAMES: readonly string[] = [...Object.keys(DIRECTIVES), 'upstream'];

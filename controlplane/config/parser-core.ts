// The parser's statement machinery: upstream blocks, dispatch to a directive's handler, and the
// helpers every handler uses (positional words, key=value attributes, values, pools). The
// handlers live in directives/, one file per family; parser.ts assembles them into the table.
import type { Statement, Token } from './lexer.js';
import { emptySettings, type Draft, type DraftPool, type Env, type PoolSettings } from './draft.js';
import { canonicalAlgorithm, canonicalPersistence, unknownAlgorithmMessage, unknownPersistenceMessage } from './names.js';
import type { Pos, Problems } from './problems.js';
import { didYouMean, type Parsed } from './values.js';

export interface Attr {
  key: string;
  /** Position of the key (start of the token). */
  keyPos: Pos;
  value: string;
  /** Position of the value (after `=`). */
  pos: Pos;
}

export interface Args {
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

export type Handler = (p: Parser, st: Statement, args: Args) => void;

export interface DirectiveSpec {
  handler: Handler;
  /** Allowed inside an upstream block. */
  inBlock: boolean;
  /** Allowed outside one. */
  global: boolean;
  attrs: readonly string[];
}

/** Directive name (lower case, "-" as "_") → how it is parsed. */
export type DirectiveTable = Readonly<Record<string, DirectiveSpec>>;

const POOL_NAME = /^[A-Za-z0-9_.-]+$/;
export const normalizeKey = (k: string) => k.toLowerCase().replaceAll('-', '_');

export const posOf = (t: Token): Pos => ({ line: t.line, col: t.col });

/**
 * Reads statements one at a time into `draft`. Handlers receive it to report problems (`error`,
 * `problems.warn`) and to reach the shared helpers; `block` is the upstream block they are in.
 */
export class Parser {
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
  readonly #directives: DirectiveTable;
  /** Every directive name, for did-you-mean (`upstream` is handled before the table). */
  readonly #names: readonly string[];

  constructor(problems: Problems, env: Env | null, directives: DirectiveTable) {
    this.problems = problems;
    this.env = env;
    this.#directives = directives;
    this.#names = [...Object.keys(directives), 'upstream'];
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
    const spec = first.quoted ? undefined : this.#directives[name];
    if (spec === undefined) {
      this.error(posOf(first), `unknown directive "${first.text}"${didYouMean(name, this.#names)}`);
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

  label(target: PoolSettings): string {
    if (target === this.draft.global) return 'all pools';
    return 'name' in target ? `pool "${(target as DraftPool).name}"` : 'this block';
  }
}

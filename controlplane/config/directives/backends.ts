// Pool and backend directives: `backend`/`server URL` (nginx and HAProxy `server`) and
// `pool NAME [settings]`. `upstream NAME { ... }` (nginx `upstream`, HAProxy `backend`) opens a
// block in parser-core.ts, since it shapes the statements that follow.
import type { Token } from '../lexer.js';
import { emptySettings, type DraftPool } from '../draft.js';
import { posOf, type DirectiveTable, type Handler } from '../parser-core.js';
import { parseBackendUrl, parseBalanceFactor, parseHashKey, parseInteger, parsePercent, parseWeight, UINT32_MAX } from '../values.js';
import { discoverOf } from './discovery.js';

const BACKEND_ATTRS = ['weight', 'pool', 'max_conn', 'max_connections', 'discover', 'interval'];

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

export const BACKEND_DIRECTIVES: DirectiveTable = {
  backend: { handler: handleBackend, inBlock: true, global: true, attrs: BACKEND_ATTRS },
  server: { handler: handleBackend, inBlock: true, global: true, attrs: BACKEND_ATTRS },
  pool: { handler: handlePool, inBlock: false, global: true, attrs: POOL_ATTRS },
};

// Timeout directives: `timeout KIND D` with HAProxy's kinds (connect, server, client, tunnel,
// http-request, http-keep-alive) plus idle, shutdown and drain, and `retries N` (HAProxy `retries`,
// nginx `proxy_next_upstream_tries`).
import type { Token } from '../lexer.js';
import { normalizeKey, posOf, type DirectiveTable, type Handler } from '../parser-core.js';
import { didYouMean, parseDuration, parseInteger } from '../values.js';

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

export const TIMEOUT_DIRECTIVES: DirectiveTable = {
  timeout: { handler: handleTimeout, inBlock: true, global: true, attrs: ['pool'] },
  retries: { handler: handleRetries, inBlock: true, global: true, attrs: ['pool'] },
};

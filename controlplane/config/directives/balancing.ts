// Balancing directives: `method`/`algorithm` (HAProxy `balance`, nginx `least_conn`/`hash`),
// `persistence`, `hash_key` (nginx `hash KEY`), `hash_balance_factor` (HAProxy
// `hash-balance-factor`) and the sticky `cookie` (HAProxy `cookie`, nginx `sticky cookie`).
import { isExternalReference, refusedReference } from '../external-reference.js';
import { emptySettings } from '../draft.js';
import { posOf, type DirectiveTable, type Handler } from '../parser-core.js';
import { REDACTED } from '../redact-secrets.js';
import { parseBalanceFactor, parseBool, parseDuration, parseHashKey } from '../values.js';

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

export const BALANCING_DIRECTIVES: DirectiveTable = {
  method: { handler: handleMethod, inBlock: true, global: true, attrs: [] },
  algorithm: { handler: handleMethod, inBlock: true, global: true, attrs: [] },
  persistence: { handler: handlePersistence, inBlock: true, global: true, attrs: [] },
  hash_key: { handler: handleHashKey, inBlock: true, global: true, attrs: [] },
  hash_balance_factor: { handler: handleBalanceFactor, inBlock: true, global: true, attrs: [] },
  cookie: { handler: handleCookie, inBlock: false, global: true, attrs: COOKIE_ATTRS },
};

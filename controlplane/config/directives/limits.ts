// Client-side limits and switches, global only: nginx's `large_client_header_buffers`
// (`max_header_size`), `client_max_body_size`, `underscores_in_headers`; HAProxy's `maxconn`
// (`max_connections`), `tune.http.maxhdr` (`max_headers`); WebSocket caps; `allow_trace`; and
// `trusted_proxies` (nginx `set_real_ip_from`).
import { isAddressOrCidr, parseBool, parseInteger, parseSize, UINT32_MAX } from '../values.js';
import { posOf, type DirectiveTable, type Handler, type Parser } from '../parser-core.js';

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

export const LIMIT_DIRECTIVES: DirectiveTable = {
  trusted_proxies: { handler: handleTrustedProxies, inBlock: false, global: true, attrs: [] },
  max_header_size: { handler: handleMaxHeaderSize, inBlock: false, global: true, attrs: [] },
  max_headers: { handler: handleMaxHeaders, inBlock: false, global: true, attrs: [] },
  client_max_body_size: { handler: handleMaxBody, inBlock: false, global: true, attrs: [] },
  max_connections: { handler: handleMaxConnections, inBlock: false, global: true, attrs: [] },
  max_websockets: { handler: handleMaxWebSockets, inBlock: false, global: true, attrs: [] },
  websocket_max_message: { handler: handleWebSocketMaxMessage, inBlock: false, global: true, attrs: [] },
  underscores_in_headers: { handler: handleUnderscoresInHeaders, inBlock: false, global: true, attrs: [] },
  allow_trace: { handler: handleAllowTrace, inBlock: false, global: true, attrs: [] },
};

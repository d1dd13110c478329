// The client's half of a WebSocket opening handshake (RFC 6455 §4.2.1), checked before any backend
// is dialled. It refuses everything `ws` would refuse later — its client constructor throws on a
// bad subprotocol list or a fragment, its server's handleUpgrade answers 400 — because a refusal
// that late comes after a backend connection was opened for nothing.

export interface ClientHandshake {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
}

export type HandshakeCheck =
  /** `protocols`: the offered subprotocols in the client's order (possibly none). */
  | { ok: true; protocols: string[] }
  | { ok: false; message: string };

/** 16 random bytes, base64: 22 characters and the `==` padding (what `ws` accepts, no more). */
const KEY = /^[A-Za-z0-9+/]{22}==$/;
/** RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Why the handshake cannot succeed, or the subprotocols it offers. `target` is what will be sent
 * upstream (path and query): a URL fragment has no place in it.
 */
export function checkClientHandshake(req: ClientHandshake, target: string): HandshakeCheck {
  if (req.method !== 'GET') return { ok: false, message: 'WebSocket handshakes use GET' };
  if (target.includes('#')) return { ok: false, message: 'a fragment in the request target' };
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY.test(key)) return { ok: false, message: 'missing or invalid Sec-WebSocket-Key' };
  if (req.headers['sec-websocket-version'] !== '13') return { ok: false, message: 'unsupported Sec-WebSocket-Version (13 expected)' };
  const offered = req.headers['sec-websocket-protocol'];
  if (offered === undefined) return { ok: true, protocols: [] };
  const protocols = parseSubprotocols(Array.isArray(offered) ? offered.join(', ') : offered);
  if (!protocols) return { ok: false, message: 'invalid Sec-WebSocket-Protocol (a comma-separated list of distinct tokens)' };
  return { ok: true, protocols };
}

/**
 * `1#token` with optional whitespace around each comma; no empty element, no repeat. A present but
 * empty field is invalid too (`ws` refuses it). Example: "chat, superchat" → ["chat", "superchat"];
 * "chat," , "a,,b", "a, a" and "a b" → undefined.
 */
export function parseSubprotocols(value: string): string[] | undefined {
  const out = new Set<string>();
  for (const part of value.split(',')) {
    const name = trimOws(part);
    if (!TOKEN.test(name) || out.has(name)) return undefined;
    out.add(name);
  }
  return [...out];
}

/** Strips spaces and tabs at both ends (RFC 9110 OWS; String#trim strips more than that). */
function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s[start] === ' ' || s[start] === '\t')) start++;
  while (end > start && (s[end - 1] === ' ' || s[end - 1] === '\t')) end--;
  return s.slice(start, end);
}

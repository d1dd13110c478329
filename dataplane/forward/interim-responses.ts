// Interim (1xx) responses, removed from an upstream connection before undici's parser reads them.
// undici takes a `100 Continue` it did not ask for as a broken connection ("bad response") and loses
// the final response behind it, and every 1xx restarts its wait for headers (a backend sending
// `102 Processing` for ever held the client for ever). golb never sends `Expect` upstream and never
// relays a 1xx, so each one is noise: dropping them makes a stray 1xx harmless and lets the
// response timeout bound the wait for the final response, as with the http-proxy engine.
import type { Socket } from 'node:net';

/** A response head longer than this is not filtered: undici refuses it anyway (header overflow). */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Where a response can start, and only there, the bytes are looked at: right after golb writes a
 * request head (undici writes each head as one latin1 string starting with the method; everything
 * else it writes as a string is chunk framing, which starts with CR, and bodies are Buffers). With one request at a time per connection (pipelining 1), the next response head is
 * the first thing the backend sends after it. Until a final (non-1xx) head has passed, incoming
 * bytes are held; each complete 1xx head (no body by definition) is dropped; a `101` passes, since
 * undici treats it as the protocol error it is here.
 */
export function dropInterimResponses(socket: Socket): void {
  let awaitingHead = false;
  let held: Buffer | undefined;

  const write = socket.write;
  socket.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === 'string' && isRequestHead(chunk)) awaitingHead = true;
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof socket.write;

  const push = socket.push;
  socket.push = function (this: Socket, chunk: unknown, encoding?: BufferEncoding) {
    if (chunk === null) {
      // The backend closed: whatever is held goes to undici, which reports the truncation.
      if (held) push.call(this, release());
      return push.call(this, null);
    }
    if (!awaitingHead || !Buffer.isBuffer(chunk)) return push.call(this, chunk, encoding);
    held = held ? Buffer.concat([held, chunk]) : chunk;
    for (;;) {
      const end = held.indexOf(CRLFCRLF);
      if (end === -1) {
        if (held.length <= MAX_HEAD_BYTES && couldBeStatusLine(held)) return true;
        awaitingHead = false;
        return push.call(this, release());
      }
      const status = interimStatus(held);
      if (status === undefined) {
        awaitingHead = false;
        return push.call(this, release());
      }
      held = held.subarray(end + CRLFCRLF.length);
      if (held.length === 0) {
        held = undefined;
        return true;
      }
    }
  } as typeof socket.push;

  function release(): Buffer {
    const out = held!;
    held = undefined;
    return out;
  }
}

/** `METHOD SP target SP HTTP/1.1 CRLF ...`: the start of a request head as undici writes it. */
function isRequestHead(s: string): boolean {
  const c = s.charCodeAt(0);
  if (c < 0x41 || c > 0x5a) return false;
  const lineEnd = s.indexOf('\r\n');
  return lineEnd > 0 && s.startsWith(' HTTP/1.1', lineEnd - 9);
}

const PREFIX = Buffer.from('HTTP/1.', 'latin1');

/** The held bytes so far agree with the start of a status line. */
function couldBeStatusLine(b: Buffer): boolean {
  const n = Math.min(b.length, PREFIX.length);
  return b.subarray(0, n).equals(PREFIX.subarray(0, n));
}

/** The status of a complete interim head at the start of `b` (1xx other than 101), else undefined. */
function interimStatus(b: Buffer): number | undefined {
  // "HTTP/1.1 102 ..." : the status code is bytes 9..11, then a space or the line end.
  if (b.length < 13 || !b.subarray(0, PREFIX.length).equals(PREFIX) || b[8] !== 0x20 || b[9] !== 0x31) return undefined;
  const d1 = b[10]! - 0x30;
  const d2 = b[11]! - 0x30;
  if (d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || (b[12] !== 0x20 && b[12] !== 0x0d)) return undefined;
  const status = 100 + d1 * 10 + d2;
  return status === 101 ? undefined : status;
}

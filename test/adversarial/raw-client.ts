// Raw-socket clients for the adversarial suite: exact bytes out, every byte back, no HTTP library
// in between to "fix" what we send. Everything is bounded by a deadline, so no test can hang.
import net from 'node:net';

export interface RawResult {
  /** Everything the proxy sent back, as latin1 text (byte for byte). */
  text: string;
  /** The proxy closed the connection (FIN or reset) before the deadline. */
  closed: boolean;
  /** Milliseconds from connect to close (or to the deadline). */
  elapsedMs: number;
}

export interface RawOptions {
  /** Give up (and destroy the socket) after this long; default 3000 ms. */
  timeoutMs?: number;
  /** Stop once this many complete responses have arrived (the connection may stay open)... */
  responses?: number;
  /** ...or, after they have, wait up to this long for the proxy to close (default 0). */
  graceMs?: number;
  /** Half-close our side after writing (the proxy sees EOF). Default false. */
  endAfterWrite?: boolean;
  /** Called once the TCP connection is up, before the first byte is written. */
  onConnect?: () => void;
}

/** Sends `chunks` (written one after another, `gapMs` apart) and collects the reply. */
export function rawExchange(port: number, payload: string | Buffer | Array<string | Buffer>, opts: RawOptions & { gapMs?: number } = {}): Promise<RawResult> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const chunks = Array.isArray(payload) ? payload : [payload];
  return new Promise((resolve) => {
    const started = Date.now();
    const got: Buffer[] = [];
    let done = false;
    const socket = net.connect(port, '127.0.0.1');
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(got).toString('latin1'), closed, elapsedMs: Date.now() - started });
    };
    let graced = false;
    let timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (c: Buffer) => {
      got.push(c);
      if (opts.responses !== undefined && !graced && parseResponses(Buffer.concat(got).toString('latin1')).length >= opts.responses) {
        graced = true;
        if (!opts.graceMs) finish(false);
        else {
          clearTimeout(timer);
          timer = setTimeout(() => finish(false), opts.graceMs);
        }
      }
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      opts.onConnect?.();
      for (let i = 0; i < chunks.length; i++) {
        if (socket.destroyed) return;
        socket.write(chunks[i]!);
        if (opts.gapMs && i < chunks.length - 1) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
      if (opts.endAfterWrite) socket.end();
    });
  });
}

export interface RawResponse {
  status: number;
  reason: string;
  /** Lower-case names; repeated fields joined with ", ". */
  headers: Record<string, string>;
  /** Header names in the order and case received. */
  rawNames: string[];
  body: string;
}

/**
 * Parses the complete responses in `text` (Content-Length or chunked framing; a response without
 * either runs to the end). A trailing incomplete response is left out.
 */
export function parseResponses(text: string): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd === -1) break;
    const lines = text.slice(at, headEnd).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]!);
    if (!m) break;
    const headers: Record<string, string> = {};
    const rawNames: string[] = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon);
      rawNames.push(name);
      const lower = name.toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[lower] = headers[lower] === undefined ? value : `${headers[lower]}, ${value}`;
    }
    let bodyStart = headEnd + 4;
    let body = '';
    if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
      let p = bodyStart;
      let complete = false;
      for (;;) {
        const lineEnd = text.indexOf('\r\n', p);
        if (lineEnd === -1) break;
        const size = parseInt(text.slice(p, lineEnd), 16);
        if (Number.isNaN(size)) break;
        if (size === 0) {
          const end = text.indexOf('\r\n\r\n', lineEnd);
          if (end === -1) break;
          p = end + 4;
          complete = true;
          break;
        }
        if (lineEnd + 2 + size + 2 > text.length) break;
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        p = lineEnd + 2 + size + 2;
      }
      if (!complete) break;
      at = p;
    } else if (headers['content-length'] !== undefined) {
      const len = Number(headers['content-length']);
      if (bodyStart + len > text.length) break;
      body = text.slice(bodyStart, bodyStart + len);
      at = bodyStart + len;
    } else {
      const status = Number(m[1]);
      if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
        at = bodyStart;
      } else {
        body = text.slice(bodyStart);
        at = text.length;
      }
    }
    out.push({ status: Number(m[1]), reason: m[2]!, headers, rawNames, body });
    bodyStart = at;
  }
  return out;
}

/** Opens a socket and resolves once connected (for tests that drive the bytes themselves). */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Resolves when `socket` closes, or with false after `timeoutMs`. */
export function closedWithin(socket: net.Socket, timeoutMs: number): Promise<boolean> {
  if (socket.destroyed || socket.closed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    socket.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

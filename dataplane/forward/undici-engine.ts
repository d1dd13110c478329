// The undici forwarding engine: one keep-alive undici Pool per backend origin, driven through
// `dispatch` with a handler that writes the backend's response straight into the client's, with
// backpressure. Same outcomes as the http-proxy engine; WebSocket upgrades use the same tunnel.
import type { OutgoingHttpHeaders } from 'node:http';
import { PassThrough } from 'node:stream';
import { Pool, buildConnector } from 'undici';
import type { ForwardEngine, ForwardRequest, ForwardResult, UpgradeRequest, UpgradeResult } from './engine.js';
import { filterRawResponseHeaders } from './headers.js';
import { CONNECT_ERRORS, hasBody } from './http-proxy-engine.js';
import { dropInterimResponses } from './interim-responses.js';
import { openWebSocketTunnel } from './websocket-tunnel.js';

export interface UndiciEngineOptions {
  /** Most connections per backend; default unlimited. */
  maxSockets?: number;
}

interface PoolEntry {
  readonly origin: string;
  readonly connectMs: number;
  readonly idleMs: number;
  readonly pool: Pool;
  /** Closed by `retain`: a URL object that still maps here gets a fresh pool instead. */
  retired: boolean;
}

/** Keep-alive pools, one per backend origin and timeout pair. */
class UpstreamPools {
  /** Keyed by the target's URL object first: no string building per request. */
  readonly #byUrl = new WeakMap<URL, PoolEntry>();
  readonly #byKey = new Map<string, PoolEntry>();
  readonly #maxSockets: number | undefined;

  constructor(maxSockets: number | undefined) {
    this.#maxSockets = maxSockets;
  }

  for(url: URL, connectMs: number, idleMs: number): Pool {
    const hit = this.#byUrl.get(url);
    if (hit && !hit.retired && hit.connectMs === connectMs && hit.idleMs === idleMs) return hit.pool;
    const key = `${url.origin} ${connectMs} ${idleMs}`;
    let entry = this.#byKey.get(key);
    if (!entry) {
      const keepAliveMs = idleMs > 0 ? idleMs : 600_000;
      const connector = buildConnector({ timeout: connectMs > 0 ? connectMs : 0 });
      const pool = new Pool(url.origin, {
        connections: this.#maxSockets ?? null,
        pipelining: 1,
        keepAliveTimeout: keepAliveMs,
        keepAliveMaxTimeout: keepAliveMs,
        connect: (opts, callback) =>
          connector(opts, (...result) => {
            if (result[1]) dropInterimResponses(result[1]);
            callback(...result);
          }),
        // Response timeouts are per request (dispatch options); a body may trickle as slowly as
        // it likes, as with the http-proxy engine.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      // A pool error without a request to report it to must not crash the process.
      pool.on('connectionError', () => {});
      entry = { origin: url.origin, connectMs, idleMs, pool, retired: false };
      this.#byKey.set(key, entry);
    }
    this.#byUrl.set(url, entry);
    return entry.pool;
  }

  /** Closes and forgets the pools of origins not in `origins`; undici's close lets queued and running requests finish. */
  retain(origins: ReadonlySet<string>): void {
    for (const [key, entry] of this.#byKey) {
      if (origins.has(entry.origin)) continue;
      entry.retired = true;
      this.#byKey.delete(key);
      void entry.pool.close().catch(() => {});
    }
  }

  get size(): number {
    return this.#byKey.size;
  }

  close(): void {
    for (const { pool } of this.#byKey.values()) void pool.destroy().catch(() => {});
    this.#byKey.clear();
  }
}

const CLIENT_GONE = new Error('client went away');

/**
 * One forwarding attempt, and the undici dispatch handler for it. Uses undici's raw handler
 * methods (onConnect/onHeaders/onData/onComplete/onError): they receive the raw header list, so no
 * header object is parsed only to be thrown away.
 */
class Exchange {
  readonly #f: ForwardRequest;
  readonly #resolve: (r: ForwardResult) => void;
  #done = false;
  /** The request reached a connected socket: from here on the backend may see it. */
  #connected = false;
  #clientGone = false;
  /** The backend's response has been read to its end. */
  #complete = false;
  #abort: ((err?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #status = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  /**
   * What undici reads a request body from. The client's body flows into it only once the backend
   * connection is up, so after a failed connect the body is still unread and a retry on another
   * backend can send it.
   */
  readonly body: PassThrough | undefined;

  constructor(f: ForwardRequest, body: PassThrough | undefined, resolve: (r: ForwardResult) => void) {
    this.#f = f;
    this.body = body;
    this.#resolve = resolve;
  }

  /**
   * The response's one listener (per-request closures are kept to this one): 'close' follows
   * 'finish' when the response went out whole, and comes alone when the client went away first.
   */
  readonly onClose = (): void => {
    if (this.#f.res.writableFinished) {
      this.#settle({ outcome: 'responded', status: this.#status, bytesIn: this.#bytesIn, bytesOut: this.#bytesOut }, false);
      return;
    }
    this.#clientGone = true;
    this.#abort?.(CLIENT_GONE);
    this.#settle({ outcome: 'client-aborted' }, false);
  };

  #onDrain: (() => void) | undefined;
  #countIn: ((chunk: Buffer) => void) | undefined;

  #settle(result: ForwardResult, listening = true): void {
    if (this.#done) return;
    this.#done = true;
    const { req, res } = this.#f;
    // A retry on another backend adds its own listener to the same response.
    if (listening) res.off('close', this.onClose);
    if (this.body) {
      req.unpipe(this.body);
      if (this.#countIn) req.off('data', this.#countIn);
    }
    this.#resolve(result);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#clientGone) {
      abort(CLIENT_GONE);
      return;
    }
    this.#connected = true;
    const body = this.body;
    if (body) {
      const req = this.#f.req;
      if (req.readableEnded) body.end();
      else {
        req.on('data', (this.#countIn = (chunk: Buffer) => void (this.#bytesIn += chunk.length)));
        req.pipe(body);
      }
    }
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx interim responses are the backend's business with us, not the client's.
    // (interim-responses.ts removes them before undici's parser, which would otherwise restart
    // its headers timeout on each: this line only guards against one slipping through.)
    if (statusCode < 200) return true;
    const res = this.#f.res;
    if (this.#clientGone || res.destroyed) {
      this.#abort?.(CLIENT_GONE);
      return false;
    }
    this.#status = statusCode;
    this.#resume = resume;
    const headers = filterRawResponseHeaders(rawHeaders);
    const extra = this.#f.responseHeaders;
    if (extra.setCookie) headers.push('Set-Cookie', extra.setCookie);
    if (extra.connectionClose) {
      headers.push('Connection', 'close');
      res.shouldKeepAlive = false;
    }
    try {
      res.writeHead(statusCode, statusText, headers);
    } catch (err) {
      // A header value Node refuses to send (invalid characters): the backend's response is unusable.
      this.#settle({ outcome: 'failed', errorClass: 'protocol', error: `invalid response header (${(err as Error).message})`, requestSent: true, responseStarted: false });
      this.#abort?.(err as Error);
      return false;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#bytesOut += chunk.length;
    const res = this.#f.res;
    if (res.write(chunk)) return true;
    // Backpressure: undici stops reading the backend until the client drains.
    // `resume` belongs to the upstream socket's parser: once this response is complete that socket
    // may be paused for another request, which is none of this response's business.
    if (!this.#onDrain) res.on('drain', (this.#onDrain = () => !this.#complete && this.#resume?.()));
    return false;
  }

  onComplete(): void {
    this.#complete = true;
    this.#f.res.end();
  }

  onError(err: NodeJS.ErrnoException): void {
    if (this.#done) return;
    this.#settle(this.#classify(err));
  }

  #classify(err: NodeJS.ErrnoException): ForwardResult {
    if (this.#clientGone) return { outcome: 'client-aborted' };
    const code = err.code;
    const message = code ? `${code}${err.message && !err.message.includes(code) ? `: ${err.message}` : ''}` : err.message;
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      return { outcome: 'failed', errorClass: 'connect-timeout', error: message, requestSent: false, responseStarted: false };
    }
    if (!this.#connected && code !== undefined && CONNECT_ERRORS.has(code)) return { outcome: 'connect-failed', error: message };
    const res = this.#f.res;
    const responseStarted = res.headersSent;
    // The backend broke off after the status line went out: break the client connection so the
    // truncation is visible.
    if (responseStarted) res.destroy();
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return { outcome: 'failed', errorClass: 'timeout', error: message, requestSent: true, responseStarted };
    const errorClass = err.name === 'HTTPParserError' || code?.startsWith('HPE_') || code === 'UND_ERR_INFO' ? 'protocol' : 'reset';
    return { outcome: 'failed', errorClass, error: message, requestSent: this.#connected, responseStarted };
  }
}

export function createUndiciEngine(options: UndiciEngineOptions = {}): ForwardEngine {
  const pools = new UpstreamPools(options.maxSockets);

  function forward(f: ForwardRequest): Promise<ForwardResult> {
    const { req, res } = f;
    return new Promise<ForwardResult>((resolve) => {
      const ex = new Exchange(f, hasBody(req) ? new PassThrough() : undefined, resolve);
      if (res.destroyed || res.writableEnded) {
        resolve({ outcome: 'client-aborted' });
        return;
      }
      res.on('close', ex.onClose);
      const pool = pools.for(f.target.url, f.timeouts.connectMs, f.timeouts.idleMs);
      pool.dispatch(
        {
          // The pool knows its origin; none is needed per request.
          method: req.method ?? 'GET',
          path: f.path,
          headers: upstreamHeaders(f.headers) as Record<string, string | string[]>,
          body: ex.body ?? null,
          headersTimeout: f.timeouts.responseMs > 0 ? f.timeouts.responseMs : 0,
          bodyTimeout: 0,
        },
        ex,
      );
    });
  }

  return {
    name: 'undici',
    forward,
    upgrade: (u: UpgradeRequest): Promise<UpgradeResult> => openWebSocketTunnel(u),
    retain: (origins) => pools.retain(origins),
    upstreamPools: () => pools.size,
    close: () => pools.close(),
  };
}

/**
 * undici frames bodies itself and refuses a Transfer-Encoding header: a chunked upload is streamed
 * without a length, which undici sends chunked.
 */
function upstreamHeaders(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  if (headers['transfer-encoding'] === undefined) return headers;
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) if (name !== 'transfer-encoding') out[name] = headers[name];
  return out;
}

// The traffic listener: Node's HTTP server configured for a proxy (strict parser, deadlines, a
// connection cap), the client-error policy (what a malformed request gets), CONNECT refused,
// pipelined requests answered in order, and the count of requests in flight for shutdown.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_LIMITS } from '../runtime/defaults.js';
import type { Runtime } from '../runtime/runtime.js';
import type { TrafficStats } from '../stats/traffic-stats.js';
import { clientErrorStatus } from './client-error-status.js';
import { capConnections, type ConnectionCap } from './connection-cap.js';
import { awaitContinue } from './expect-continue.js';
import { servePipelinedInOrder } from './pipelined-in-order.js';
import { ALLOWED_METHODS, sendRawError } from './responses.js';

export interface TrafficListenerDeps {
  /** Where requests and upgrades go once the listener has accepted them. */
  handler: {
    onRequest(req: http.IncomingMessage, res: http.ServerResponse): void;
    onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  };
  traffic: TrafficStats;
  /** True while the data plane shuts down: responses then close their connection. */
  isClosing(): boolean;
}

export class TrafficListener {
  readonly server: http.Server;
  readonly #cap: ConnectionCap;
  #inFlight = 0;
  readonly #onResponseClose = (): void => {
    this.#inFlight--;
  };

  /** Throws when the process runs with a lenient HTTP parser (see insecureParserFlag). */
  constructor(deps: TrafficListenerDeps) {
    // A lenient parser accepts exactly what request smuggling needs (CL+TE, bare LF, obs-fold...):
    // golb refuses to run with it, and asks for the strict one explicitly besides.
    const insecure = insecureParserFlag();
    if (insecure) {
      throw new Error(`refusing to start: ${insecure} makes Node's HTTP parser lenient, which lets smuggled requests through; remove it`);
    }
    // Until the first snapshot: the data plane's defaults (no idle timeout yet: `server.timeout` 0).
    const server = http.createServer({
      insecureHTTPParser: false,
      maxHeaderSize: DEFAULT_LIMITS.max_header_bytes,
      // Node checks the header and request deadlines on this interval (default 30 s, which would
      // let a slowloris client hold a connection for up to 30 s past `timeout http-request`).
      connectionsCheckingInterval: 250,
      requestTimeout: DEFAULT_LIMITS.request_timeout_ms,
      headersTimeout: DEFAULT_LIMITS.header_timeout_ms,
      keepAliveTimeout: DEFAULT_LIMITS.keepalive_timeout_ms,
    });
    this.server = server;
    const { handler, traffic, isClosing } = deps;
    const onRequest = servePipelinedInOrder((req: http.IncomingMessage, res: http.ServerResponse) => {
      this.#inFlight++;
      // 'close' comes once per response; one shared listener, no closure per request.
      res.on('close', this.#onResponseClose);
      if (isClosing()) res.shouldKeepAlive = false;
      pauseIdleTimerUntilResponse(req.socket, res, server.timeout);
      handler.onRequest(req, res);
    });
    server.on('request', onRequest);
    // Expect: 100-continue: no automatic 100; the handler sends it once it knows it will forward.
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      awaitContinue(res);
      onRequest(req, res);
    });
    this.#cap = capConnections(server, DEFAULT_LIMITS.max_connections, () => traffic.connectionsRefused++);
    server.on('upgrade', handler.onUpgrade);
    // golb is not a forward proxy: CONNECT gets a status line instead of a silent close.
    server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => {
      socket.on('error', () => socket.destroy());
      sendRawError(socket, 405, 'CONNECT is not supported', { Allow: ALLOWED_METHODS });
    });
    server.on('connection', (socket: Socket) => {
      traffic.activeConnections++;
      socket.once('close', () => traffic.activeConnections--);
    });
    server.on('clientError', onClientError);
  }

  /** Requests whose response has not closed yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Applies a snapshot's limits; connections already open keep the head limit they were opened with. */
  applyLimits(runtime: Runtime): void {
    const server = this.server;
    // New connections parse with the configured head limit (Node reads it per connection);
    // the handler enforces it too, for connections opened under an older snapshot.
    if (runtime.limits.max_header_bytes > 0) (server as http.Server & { maxHeaderSize: number }).maxHeaderSize = runtime.limits.max_header_bytes;
    server.headersTimeout = runtime.limits.header_timeout_ms;
    server.requestTimeout = runtime.limits.request_timeout_ms;
    server.keepAliveTimeout = runtime.limits.keepalive_timeout_ms;
    this.#cap.set(runtime.maxConnections);
    // Client inactivity (nothing read from or written to the client, e.g. one that stopped
    // reading its response) is bounded by `timeout client`; see pauseIdleTimerUntilResponse.
    server.timeout = Math.max(0, runtime.limits.request_timeout_ms);
  }

  /** Listens; resolves with the port (useful with port 0). */
  async listen(port: number, host: string | undefined): Promise<number> {
    await listen(this.server, port, host);
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops accepting; idle keep-alive connections close, busy ones once their response is done. */
  stopAccepting(): void {
    this.server.close();
    this.server.closeIdleConnections();
  }

  /** Waits until no request is in flight, or `timeoutMs` passed; connections that turn idle close meanwhile. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inFlight > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      this.server.closeIdleConnections();
    }
  }

  /** Drops every connection still open. */
  closeAll(): void {
    this.server.closeAllConnections();
  }
}

/** The client-error policy: malformed requests get a real status line, never a crash; 414 / 431 for oversized heads. */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const pending = (socket as Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
  if (pending) {
    if (pending.req.complete) {
      // The error is in a later, pipelined request while an earlier one is still being answered:
      // a status line written now would be read as that earlier request's response (the client
      // would think a request the backend served was refused). Finish it, then close; the
      // malformed request gets no answer and never reaches a backend.
      if (pending.writableEnded) {
        socket.end();
        return;
      }
      pending.shouldKeepAlive = false;
      pending.once('close', () => socket.end());
      return;
    }
    // The request being forwarded broke (bad chunk, body timeout): once its response has
    // started there is no status left to give; the closed connection shows the failure.
    if (pending.headersSent) {
      socket.destroy();
      return;
    }
  }
  const answer = clientErrorStatus(err);
  sendRawError(socket, answer.status, answer.message);
}

/**
 * The client idle timer stops while golb waits for a backend — the client is quiet then through
 * no fault of its own, and the connect and response timeouts bound that wait — and starts again,
 * at `idleMs`, when the response head goes out. From then on a client that stops reading is cut
 * off once its connection has been idle that long. (The request body is bounded separately, by
 * the request timeout.)
 */
function pauseIdleTimerUntilResponse(socket: Socket, res: http.ServerResponse, idleMs: number): void {
  if (idleMs <= 0) return;
  socket.setTimeout(0);
  const writeHead = res.writeHead;
  res.writeHead = function (this: http.ServerResponse, ...args: Parameters<typeof writeHead>) {
    res.writeHead = writeHead;
    if (!socket.destroyed) socket.setTimeout(idleMs);
    return writeHead.apply(this, args);
  } as typeof writeHead;
}

/** Where --insecure-http-parser was asked for (command line or NODE_OPTIONS), or undefined. */
export function insecureParserFlag(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string | undefined {
  const flag = (a: string) => a === '--insecure-http-parser' || a.startsWith('--insecure-http-parser=') || a === '--insecure_http_parser';
  if (execArgv.some(flag)) return '--insecure-http-parser on the node command line';
  if (nodeOptions.split(/\s+/).some(flag)) return '--insecure-http-parser in NODE_OPTIONS';
  return undefined;
}

/** Listens on `port` (0 = any free one); EADDRINUSE becomes a one-line message. Also used for the admin listener. */
export function listen(server: http.Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} is already in use${host ? ` on ${host}` : ''}`) : err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

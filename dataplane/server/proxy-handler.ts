// The data plane's request path: read the runtime once, route on the normalized path, choose a
// backend through persistence + balancer, forward, and retry as retry-policy.ts decides.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { nanoid } from 'nanoid';
import type { ForwardEngine, Tunnel, UpgradeResult } from '../forward/engine.js';
import { buildUpstreamHeaders } from '../forward/headers.js';
import { checkClientHandshake } from '../forward/websocket-handshake.js';
import { observePassive, passiveOutcomeOf, type PassiveOutcome } from '../health/passive.js';
import { clientIp } from '../persistence/client-ip.js';
import type { SelectRequest } from '../persistence/selector.js';
import type { Backend } from '../pools/backend.js';
import type { HealthListener } from '../pools/backend-state.js';
import type { Pool } from '../pools/pool.js';
import type { Runtime, RouteTarget } from '../runtime/runtime.js';
import type { TrafficStats } from '../stats/traffic-stats.js';
import { sendContinue } from './expect-continue.js';
import { RequestAttempts } from './request-attempts.js';
import { readRequestTarget } from './request-target.js';
import { ALLOWED_METHODS, sendError, sendRawError } from './responses.js';
import { decide, isReplayable, maxUpgradeAttempts, type RetryRequest } from './retry-policy.js';

export interface ProxyHandlerDeps {
  engine: ForwardEngine;
  /** The runtime in force now; undefined before the first snapshot. */
  current(): Runtime | undefined;
  stats: TrafficStats;
  onHealth: HealthListener;
  /** Called when a WebSocket tunnel opens, so drain and shutdown can close it later. */
  onTunnel?(tunnel: Tunnel, backend: Backend): void;
  /** True while the data plane shuts down: responses ask clients to close. */
  isClosing?(): boolean;
  /** Listener speaks TLS: X-Forwarded-Proto and the cookie's Secure flag follow it. */
  secure?: boolean;
  /** The operator log: failed attempts (backend id and cause, under the request id), pools entering or leaving panic. Default stderr. */
  log?(line: string): void;
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
/** A request golb answers itself; `requestId` is echoed in the body and X-Request-Id. */
interface Refusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
  requestId?: string;
}

interface Prepared {
  runtime: Runtime;
  target: RouteTarget;
  select: SelectRequest;
  path: string;
  requestId: string;
  headers: ReturnType<typeof buildUpstreamHeaders>;
}

export class ProxyHandler {
  readonly #deps: ProxyHandlerDeps;
  #websockets = 0;
  readonly #log: (line: string) => void;

  constructor(deps: ProxyHandlerDeps) {
    this.#deps = deps;
    this.#log = deps.log ?? ((line: string) => console.error(line));
  }

  readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.#handle(req, res).catch((err: unknown) => {
      // Nothing above should throw; if it does, the client still gets an answer and we keep serving.
      console.error(`[dataplane] request handler failed: ${(err as Error)?.stack ?? String(err)}`);
      sendError(res, 500, 'internal proxy error');
    });
  };

  readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    this.#handleUpgrade(req, socket, head).catch((err: unknown) => {
      console.error(`[dataplane] upgrade handler failed: ${(err as Error)?.stack ?? String(err)}`);
      sendRawError(socket, 500, 'internal proxy error');
    });
  };

  /** Shared by HTTP and upgrades: validation, routing and upstream headers; or the refusal to send. */
  #prepare(req: IncomingMessage, upgrade: boolean): Prepared | Refusal {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : nanoid();
    const p = this.#validateAndRoute(req, upgrade, requestId);
    if (!('runtime' in p)) p.requestId = requestId;
    return p;
  }

  #validateAndRoute(req: IncomingMessage, upgrade: boolean, requestId: string): Prepared | Refusal {
    const runtime = this.#deps.current();
    if (!runtime) return { status: 503, message: 'no configuration received from the control plane yet', headers: { 'retry-after': '1' } };
    const stats = this.#deps.stats;
    stats.totalRequests++;
    if (req.httpVersionMajor !== 1) {
      // HTTP/0.9 (a bare "GET /path") has no headers to route or secure on.
      return { status: 505, message: `HTTP/${req.httpVersion} is not supported`, headers: { connection: 'close' } };
    }
    if (req.httpVersionMinor === 0 && req.headers['transfer-encoding'] !== undefined) {
      // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
      return { status: 400, message: 'Transfer-Encoding in an HTTP/1.0 request', headers: { connection: 'close' } };
    }
    if (req.rawHeaders.length / 2 > runtime.limits.max_headers) {
      return { status: 431, message: `more than ${runtime.limits.max_headers} header fields`, headers: { connection: 'close' } };
    }
    if (runtime.limits.max_header_bytes > 0 && headBytes(req) > runtime.limits.max_header_bytes) {
      // The listener enforces this while parsing; a connection opened under a larger limit gets it here.
      return { status: 431, message: `request head larger than ${runtime.limits.max_header_bytes} bytes`, headers: { connection: 'close' } };
    }
    const maxBody = runtime.maxBodyBytes;
    const length = req.headers['content-length'];
    if (maxBody > 0 && length !== undefined && Number(length) > maxBody) {
      // Refused before a byte goes upstream; the connection closes rather than read the body.
      return { status: 413, message: `request body larger than ${maxBody} bytes`, headers: { connection: 'close' } };
    }
    if (req.method === 'TRACE' && !runtime.limits.allow_trace) {
      // A backend that reflects TRACE would echo Authorization and cookies back (nginx: 405 too).
      return { status: 405, message: 'TRACE is not allowed', headers: { allow: ALLOWED_METHODS } };
    }
    const t = readRequestTarget(req);
    if (!t.ok) return { status: t.status, message: t.message };
    // `OPTIONS *` asks about the server, not a resource: no route pattern applies to it.
    const match = t.asterisk
      ? runtime.router.matchDefault()
      : runtime.router.match({ method: req.method ?? 'GET', host: t.host, path: t.path, headers: req.headers });
    if (!match) {
      stats.unrouted++;
      return { status: 404, message: `no route for ${t.path}` };
    }
    const target = match.target;
    if (match.index >= 0) {
      const spec = runtime.routes[match.index]!;
      stats.hitRoute(target.statsKey, spec.order, spec.display, spec.pool);
    } else {
      stats.hitRoute('default', -1, 'default', target.pool.name);
    }
    const peer = req.socket.remoteAddress;
    const xff = req.headers['x-forwarded-for'];
    const ip = clientIp(peer, xff, runtime.trusted);
    const peerTrusted = peer !== undefined && runtime.trusted.has(peer);
    const secure = this.#deps.secure === true;
    const headers = buildUpstreamHeaders(req, {
      clientIp: ip,
      proto: secure ? 'https' : 'http',
      host: t.hostHeader,
      requestId,
      priorForwardedFor: peerTrusted ? joinHeader(xff) : undefined,
      peer: peerTrusted ? clientIp(peer, undefined, runtime.trusted) : undefined,
      upgrade,
      underscores: runtime.limits.underscores_in_headers,
    });
    return {
      runtime,
      target,
      select: { path: t.path, query: t.query, headers: req.headers, clientIp: ip, secure },
      path: t.path + t.query,
      requestId,
      headers,
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const p = this.#prepare(req, false);
    if (!('runtime' in p)) {
      if (p.status === 503) this.#deps.stats.noBackend++;
      sendError(res, p.status, p.message, p.headers, p.requestId);
      return;
    }
    const { target } = p;
    const pool = target.pool;
    const maxBody = p.runtime.maxBodyBytes;
    if (maxBody > 0 && req.headers['transfer-encoding'] !== undefined) limitChunkedBody(req, res, maxBody);
    const attempts = new RequestAttempts(pool);
    this.#notePanic(pool, attempts.panic);
    const policy: RetryRequest = { replayable: isReplayable(req.method ?? 'GET', req.headers), timeouts: target.timeouts };
    let lastFailure: { status: number; message: string } | undefined;
    // Set by a `retry-same` decision: the backend that may take the request once more when no
    // other can (see retry-policy.ts).
    let sameOnce: Backend | undefined;

    // Bounded: decide() gives up after 1 + retries attempts, and every failed backend is marked tried.
    for (let n = 0; ; n++) {
      let backend = attempts.choose(target, p.select);
      if (!backend.target && sameOnce) {
        attempts.unmarkTried(sameOnce);
        sameOnce = undefined;
        backend = attempts.choose(target, p.select);
      }
      if (!backend.target) break;
      const b = backend.target;
      const state = b.state;
      state.requests++;
      state.inFlight++;
      const started = performance.now();
      sendContinue(res);
      const result = await this.#deps.engine.forward({
        req,
        res,
        target: b,
        path: p.path,
        headers: p.headers,
        timeouts: { connectMs: target.timeouts.connect_ms, responseMs: target.timeouts.response_ms, idleMs: target.timeouts.idle_ms },
        responseHeaders: {
          setCookie: backend.setCookie,
          connectionClose: b.adminState !== 'READY' || this.#deps.isClosing?.() === true,
        },
      }).finally(() => state.inFlight--);
      const now = Date.now();
      if (result.outcome === 'responded') {
        state.recordLatency(performance.now() - started);
        state.recordResponse(result.status);
        state.bytesIn += result.bytesIn;
        state.bytesOut += result.bytesOut;
        if (result.status >= 500) state.recordError('5xx');
        this.#passive(pool, b, passiveOutcomeOf(result.status), now);
        return;
      }
      if (result.outcome === 'connect-failed') {
        state.recordError('connect');
        this.#passive(pool, b, 'connect-failure', now);
        attempts.markTried(b);
        this.#logFailure(p.requestId, b, `unreachable (${result.error})`);
      } else if (result.outcome === 'failed') {
        state.recordError(result.errorClass);
        this.#passive(pool, b, result.errorClass === 'timeout' || result.errorClass === 'connect-timeout' ? 'timeout' : 'gateway-error', now);
        attempts.markTried(b);
        this.#logFailure(p.requestId, b, `${result.errorClass} (${result.error})`);
      }
      // A client that left says nothing about the backend: nothing above is recorded for it.
      const decision = decide(result, n, policy);
      if (decision.action === 'give-up') {
        if (decision.status !== undefined) sendError(res, decision.status, decision.message ?? '', {}, p.requestId);
        return;
      }
      lastFailure = { status: decision.status, message: decision.message };
      if (decision.action === 'retry-same') sameOnce = b;
    }
    if (lastFailure) {
      sendError(res, lastFailure.status, lastFailure.message, {}, p.requestId);
      return;
    }
    this.#deps.stats.noBackend++;
    sendError(res, 503, 'no backend available', { 'retry-after': '1' }, p.requestId);
  }

  async #handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      sendRawError(socket, 400, 'only WebSocket upgrades are supported');
      return;
    }
    const p = this.#prepare(req, true);
    if (!('runtime' in p)) {
      if (p.status === 503) this.#deps.stats.noBackend++;
      sendRawError(socket, p.status, p.message, p.headers, p.requestId);
      return;
    }
    // A handshake the WebSocket library would refuse is refused here, before a backend is dialled.
    const check = checkClientHandshake(req, p.path);
    if (!check.ok) {
      sendRawError(socket, 400, check.message);
      return;
    }
    // Tunnels being opened count against max_websockets too, or a burst of handshakes would pass it.
    if (this.#websockets >= p.runtime.maxWebSockets) {
      this.#deps.stats.websocketsRefused++;
      sendRawError(socket, 503, 'too many WebSocket connections', { 'Retry-After': '1' });
      return;
    }
    this.#websockets++;
    let tunnel: Tunnel | undefined;
    try {
      tunnel = await this.#openTunnel(p, req, socket, head);
    } finally {
      if (tunnel) void tunnel.closed.then(() => this.#websockets--);
      else this.#websockets--;
    }
  }

  /** Tries backends until one takes the upgrade; the open tunnel, or undefined once the client was answered. */
  async #openTunnel(p: Prepared, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<Tunnel | undefined> {
    const { target } = p;
    const attempts = new RequestAttempts(target.pool);
    this.#notePanic(target.pool, attempts.panic);
    const maxAttempts = maxUpgradeAttempts(target.timeouts.retries, target.pool.backends.length);
    for (let n = 0; n < maxAttempts; n++) {
      const backend = attempts.choose(target, p.select);
      if (!backend.target) break;
      const b = backend.target;
      b.state.requests++;
      b.state.inFlight++;
      let result: UpgradeResult;
      try {
        result = await this.#deps.engine.upgrade({
          req,
          socket,
          head,
          target: b,
          path: p.path,
          headers: p.headers,
          timeouts: { connectMs: target.timeouts.connect_ms, idleMs: target.timeouts.websocket_idle_ms },
          maxMessageBytes: p.runtime.websocketMaxMessageBytes,
          setCookie: backend.setCookie,
          onClose: () => {
            b.state.openWebSockets--;
          },
        });
      } finally {
        b.state.inFlight--;
      }
      switch (result.outcome) {
        case 'connected':
          b.state.openWebSockets++;
          b.state.websocketsTotal++;
          b.state.recordResponse(101);
          this.#passive(target.pool, b, 'success', Date.now());
          this.#deps.onTunnel?.(result.tunnel, b);
          return result.tunnel;
        case 'connect-failed':
          b.state.recordError('connect');
          this.#logFailure(p.requestId, b, `WebSocket handshake failed (${result.error})`);
          this.#passive(target.pool, b, 'connect-failure', Date.now());
          attempts.markTried(b);
          continue;
        case 'rejected':
          b.state.recordResponse(result.status);
          return undefined;
        case 'client-gone':
          return undefined;
      }
    }
    this.#deps.stats.noBackend++;
    sendRawError(socket, 503, 'no backend available', { 'Retry-After': '1' }, p.requestId);
    return undefined;
  }

  /** WebSocket tunnels open or being opened through this handler (held under max_websockets). */
  get openWebSockets(): number {
    return this.#websockets;
  }

  /** The detail a client never sees: which backend, and what went wrong, under the request id. */
  #logFailure(requestId: string, b: Backend, what: string): void {
    this.#log(`[proxy] request ${requestId}: backend ${b.id} ${what}`);
  }

  #passive(pool: Pool, b: Backend, outcome: PassiveOutcome, now: number): void {
    const spec = pool.spec.passive_health;
    if (spec?.enabled) observePassive(b.state, spec, outcome, now, this.#deps.onHealth, pool.backends);
  }

  /** Pools in panic now, by name: one log line when a pool enters panic and one when it leaves. */
  readonly #panicking = new Set<string>();

  #notePanic(pool: Pool, panic: boolean): void {
    if (panic === this.#panicking.has(pool.name)) return;
    if (panic) this.#panicking.add(pool.name);
    else this.#panicking.delete(pool.name);
    const threshold = pool.spec.panic_threshold_percent;
    this.#log(
      panic
        ? `[health] pool ${pool.name} in panic: under ${threshold}% of its ready primaries healthy, balancing over all of them, health ignored`
        : `[health] pool ${pool.name} out of panic`,
    );
  }
}

/**
 * A chunked body has no length to check up front: count it as it streams, and once it passes
 * `max`, send a 413 head and body (unless the backend's response has started) and break the
 * connection. The response is left unfinished on purpose: that is what makes the engine abort the
 * upstream request, so the backend never gets a complete one. The request stays paused until the
 * engine pipes it, so counting consumes nothing.
 */
function limitChunkedBody(req: IncomingMessage, res: ServerResponse, max: number): void {
  let seen = 0;
  req.pause();
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen <= max) return;
    req.off('data', onData);
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const body = `413 ${STATUS_CODES[413]}: request body larger than ${max} bytes\n`;
    res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.write(body, () => res.destroy());
  };
  req.on('data', onData);
}

/** Bytes of the request line and header fields as received (CRLFs and ": " included). */
function headBytes(req: IncomingMessage): number {
  let n = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i++) n += raw[i]!.length + 2;
  return n;
}

function joinHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

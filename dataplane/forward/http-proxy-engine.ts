// The http-proxy forwarding engine. http-proxy carries the request half (pooled keep-alive
// connections, body streaming); golb takes the response half itself (selfHandleResponse) so it can
// filter headers, add its own, count bytes and make a broken backend visible as a broken response.
// WebSocket upgrades are terminated on both sides with `ws` (see websocket-tunnel.ts) so close codes
// mean something: 1001 on drain/shutdown, 1012 when the backend dies.
import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { PassThrough } from 'node:stream';
import httpProxy from 'http-proxy';
import type { ForwardEngine, ForwardRequest, ForwardResult, UpgradeRequest, UpgradeResult } from './engine.js';
import { filterResponseHeaders } from './headers.js';
import { openWebSocketTunnel } from './websocket-tunnel.js';

/** Errors that mean the connection was never made: nothing reached the backend. */
export const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'ECONNABORTED']);

interface Exchange {
  settle(result: ForwardResult): void;
  forward: ForwardRequest;
  connected: boolean;
  connectTimedOut: boolean;
  responseTimedOut: boolean;
  clientGone: boolean;
  proxyReq?: ClientRequest;
  timer?: NodeJS.Timeout;
  bytesIn: number;
  /**
   * What http-proxy reads the request body from. The client's body flows into it only once the
   * backend connection is up, so after a failed connect the body is still unread and a retry on
   * another backend can send it (nothing was delivered twice: nothing was delivered at all).
   */
  body: PassThrough | undefined;
  /** The backend's response, once it started. */
  proxyRes?: IncomingMessage;
}

export interface AgentOptions {
  /** Most connections per backend; default unlimited. */
  maxSockets?: number;
}

/** Keep-alive agents, one per backend origin and idle timeout. */
export class UpstreamAgents {
  /** Keyed by "<origin> <idleMs>". */
  readonly #agents = new Map<string, http.Agent>();
  readonly #options: AgentOptions;

  constructor(options: AgentOptions = {}) {
    this.#options = options;
  }

  for(url: URL, idleMs: number): http.Agent {
    const key = `${url.origin} ${idleMs}`;
    let agent = this.#agents.get(key);
    if (!agent) {
      const opts = { keepAlive: true, timeout: idleMs > 0 ? idleMs : undefined, maxSockets: this.#options.maxSockets ?? Infinity, scheduling: 'lifo' as const };
      agent = url.protocol === 'https:' ? new https.Agent(opts) : new http.Agent(opts);
      this.#agents.set(key, agent);
    }
    return agent;
  }

  /**
   * Forgets the agents of origins not in `origins`. An Agent has no graceful close: with keep-alive
   * off it closes each socket as its response completes instead of pooling it, and idle sockets
   * go now, so requests in flight finish and nothing is left behind.
   */
  retain(origins: ReadonlySet<string>): void {
    for (const [key, agent] of this.#agents) {
      if (origins.has(key.slice(0, key.lastIndexOf(' ')))) continue;
      this.#agents.delete(key);
      (agent as http.Agent & { keepAlive: boolean }).keepAlive = false;
      for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
    }
  }

  get size(): number {
    return this.#agents.size;
  }

  close(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}

export function createHttpProxyEngine(options: AgentOptions = {}): ForwardEngine {
  const agents = new UpstreamAgents(options);
  const exchanges = new WeakMap<IncomingMessage, Exchange>();
  const proxy = httpProxy.createProxyServer({ xfwd: false, prependPath: false, selfHandleResponse: true, ws: false });
  dropFramingRewrite(proxy);
  // Errors arrive through each call's callback; these listeners only keep stray ones from crashing the process.
  proxy.on('error', () => {});
  proxy.on('econnreset', () => {});

  proxy.on('proxyReq', (proxyReq: ClientRequest, req: IncomingMessage) => {
    const ex = exchanges.get(req);
    if (!ex) return;
    ex.proxyReq = proxyReq;
    // A 101 nobody asked for: the backend speaks another protocol on this connection now.
    proxyReq.once('upgrade', (_res: IncomingMessage, socket: import('node:net').Socket) => {
      socket.destroy();
      ex.settle({ outcome: 'failed', errorClass: 'protocol', error: 'backend switched protocols (101) without an upgrade request', requestSent: true, responseStarted: false });
    });
    if (ex.clientGone) {
      proxyReq.destroy();
      return;
    }
    const socket = proxyReq.socket;
    const { connectMs, responseMs } = ex.forward.timeouts;
    const startResponseTimer = () => {
      if (responseMs <= 0) return;
      clearTimeout(ex.timer);
      ex.timer = setTimeout(() => {
        ex.responseTimedOut = true;
        proxyReq.destroy(new Error(`no response within ${responseMs} ms`));
      }, responseMs);
    };
    const onConnected = () => {
      ex.connected = true;
      clearTimeout(ex.timer);
      const req = ex.forward.req;
      if (ex.body) {
        if (req.readableEnded) ex.body.end();
        else req.pipe(ex.body);
      }
      // Time to first byte counts from the moment the whole request is sent.
      if (proxyReq.writableFinished) startResponseTimer();
      else proxyReq.once('finish', startResponseTimer);
    };
    if (socket && socket.connecting) {
      if (connectMs > 0) {
        ex.timer = setTimeout(() => {
          ex.connectTimedOut = true;
          proxyReq.destroy(new Error(`connect timeout after ${connectMs} ms`));
        }, connectMs);
      }
      socket.once('connect', onConnected);
    } else {
      onConnected();
    }
  });

  proxy.on('proxyRes', (proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse) => {
    const ex = exchanges.get(req);
    if (!ex) {
      proxyRes.destroy();
      return;
    }
    clearTimeout(ex.timer);
    if (ex.clientGone || res.destroyed) {
      proxyRes.destroy();
      return;
    }
    const status = proxyRes.statusCode ?? 502;
    const headers = filterResponseHeaders(proxyRes.rawHeaders, proxyRes.headers);
    const extra = ex.forward.responseHeaders;
    if (extra.setCookie) headers.push('Set-Cookie', extra.setCookie);
    if (extra.connectionClose) {
      headers.push('Connection', 'close');
      res.shouldKeepAlive = false;
    }
    let bytesOut = 0;
    proxyRes.on('data', (chunk: Buffer) => (bytesOut += chunk.length));
    proxyRes.on('error', () => {});
    ex.proxyRes = proxyRes;
    proxyRes.on('close', () => {
      if (proxyRes.complete) return;
      // The backend died mid-response: break the client connection so the truncation is visible.
      res.destroy();
      ex.settle({ outcome: 'failed', errorClass: 'reset', error: 'backend closed the connection mid-response', requestSent: true, responseStarted: true });
    });
    res.on('finish', () => {
      if (proxyRes.complete) ex.settle({ outcome: 'responded', status, bytesIn: ex.bytesIn, bytesOut });
    });
    try {
      res.writeHead(status, proxyRes.statusMessage, headers);
    } catch (err) {
      // A header value Node refuses to send (invalid characters): the backend's response is unusable.
      proxyRes.destroy();
      ex.settle({ outcome: 'failed', errorClass: 'protocol', error: `invalid response header (${(err as Error).message})`, requestSent: true, responseStarted: false });
      return;
    }
    proxyRes.pipe(res);
  });

  function forward(f: ForwardRequest): Promise<ForwardResult> {
    const { req, res } = f;
    return new Promise<ForwardResult>((resolve) => {
      let done = false;
      const ex: Exchange = {
        forward: f,
        connected: false,
        connectTimedOut: false,
        responseTimedOut: false,
        clientGone: false,
        bytesIn: 0,
        // A request without a body needs no stand-in stream: http-proxy ends the upstream request.
        body: hasBody(req) ? new PassThrough() : undefined,
        settle(result) {
          if (done) return;
          done = true;
          clearTimeout(ex.timer);
          res.off('close', onClientClose);
          if (ex.body) req.unpipe(ex.body);
          if (exchanges.get(req) === ex) exchanges.delete(req);
          resolve(result);
        },
      };
      const onClientClose = () => {
        if (res.writableFinished) return;
        ex.clientGone = true;
        ex.proxyReq?.destroy();
        ex.settle({ outcome: 'client-aborted' });
      };
      exchanges.set(req, ex);
      res.on('close', onClientClose);
      ex.body?.on('data', (chunk: Buffer) => (ex.bytesIn += chunk.length));
      // http-proxy copies req.url and req.headers; hand it exactly what the backend should see.
      req.url = f.path;
      req.headers = f.headers as http.IncomingHttpHeaders;
      proxy.web(
        req,
        res,
        { target: f.target.url.origin, agent: agents.for(f.target.url, f.timeouts.idleMs), buffer: ex.body },
        (err: NodeJS.ErrnoException) => {
          // Bytes after a complete response (a misbehaving backend) spoil only that upstream
          // connection; the client already has its whole answer.
          if (ex.proxyRes?.complete) return;
          ex.settle(classify(err, ex, res));
        },
      );
    });
  }

  return {
    name: 'http-proxy',
    forward,
    upgrade: (u: UpgradeRequest): Promise<UpgradeResult> => openWebSocketTunnel(u),
    retain: (origins) => agents.retain(origins),
    upstreamPools: () => agents.size,
    close: () => {
      agents.close();
      proxy.close();
    },
  };
}

/**
 * http-proxy's `deleteLength` pass gives a DELETE or OPTIONS without Content-Length a
 * `Content-Length: 0` and drops Transfer-Encoding, then pipes the body anyway: a chunked body
 * reaches the backend unframed, and the backend reads it as a second request (smuggling). golb
 * frames every body itself (buildUpstreamHeaders), so the pass goes; test/adversarial/framing.test.ts
 * notices if an http-proxy upgrade brings it back under another name.
 */
function dropFramingRewrite(proxy: httpProxy): void {
  const passes = (proxy as unknown as { webPasses?: Array<(...args: unknown[]) => unknown> }).webPasses;
  if (!passes) return;
  for (let i = passes.length - 1; i >= 0; i--) if (passes[i]!.name === 'deleteLength') passes.splice(i, 1);
}

/** The request announces a body (chunked, or a non-zero Content-Length). */
export function hasBody(req: IncomingMessage): boolean {
  const h = req.headers;
  return h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0');
}

function classify(err: NodeJS.ErrnoException, ex: Exchange, res: ServerResponse): ForwardResult {
  if (ex.clientGone) return { outcome: 'client-aborted' };
  const message = err.code ? `${err.code}${err.message && !err.message.includes(err.code) ? `: ${err.message}` : ''}` : err.message;
  if (ex.connectTimedOut) return { outcome: 'failed', errorClass: 'connect-timeout', error: message, requestSent: false, responseStarted: false };
  if (!ex.connected && err.code !== undefined && CONNECT_ERRORS.has(err.code)) return { outcome: 'connect-failed', error: message };
  const responseStarted = res.headersSent;
  if (responseStarted) res.destroy();
  if (ex.responseTimedOut) return { outcome: 'failed', errorClass: 'timeout', error: message, requestSent: true, responseStarted };
  const errorClass = err.code?.startsWith('HPE_') ? 'protocol' : 'reset';
  return { outcome: 'failed', errorClass, error: message, requestSent: ex.connected, responseStarted };
}

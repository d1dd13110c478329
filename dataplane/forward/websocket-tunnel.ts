// WebSocket proxying, terminated on both sides with `ws`: the backend handshake completes first (so
// a dead backend can be skipped before the client is answered), then the client's; messages are
// relayed with backpressure, and close codes stay meaningful — the client learns 1001 on drain or
// shutdown and 1012 ("service restart": reconnect) when its backend dies under it.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { STATUS_CODES } from 'node:http';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import type { Tunnel, UpgradeRequest, UpgradeResult } from './engine.js';
import { filterResponseHeaders } from './headers.js';
import { checkClientHandshake } from './websocket-handshake.js';
import { sendRawError } from '../server/responses.js';

/** Pause the sending side while this much is queued towards the slow side. */
const HIGH_WATER = 1024 * 1024;
/** How long a close handshake may take before the socket is cut. */
const CLOSE_GRACE_MS = 2000;

interface PendingHandshake {
  protocol: string | false;
  setCookie?: string;
}

const pending = new WeakMap<IncomingMessage, PendingHandshake>();

/**
 * The server side of every client handshake. `maxPayload` is fixed per ws server, so one is kept
 * for the message size limit in force and replaced when a snapshot changes it; open tunnels keep
 * the limit they started with.
 */
let current: { maxPayload: number; server: WebSocketServer } | undefined;

function serverFor(maxPayload: number): WebSocketServer {
  if (current?.maxPayload === maxPayload) return current.server;
  const server = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload,
    clientTracking: false,
    handleProtocols: (_offered, req) => pending.get(req)?.protocol ?? false,
  });
  server.on('headers', (headers: string[], req: IncomingMessage) => {
    const cookie = pending.get(req)?.setCookie;
    if (cookie) headers.push(`Set-Cookie: ${cookie}`);
  });
  current = { maxPayload, server };
  return server;
}

/** Fields the ws client sets itself for the backend handshake. */
const HANDSHAKE_FIELDS = new Set(['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol']);

/**
 * Whatever happens, the returned promise settles, and once it has, no backend socket is left
 * unless the outcome is 'connected' (then the tunnel owns both sockets).
 */
export function openWebSocketTunnel(u: UpgradeRequest): Promise<UpgradeResult> {
  const { req, socket, head } = u;
  return new Promise<UpgradeResult>((resolve) => {
    if (socket.destroyed || socket.readableEnded) {
      socket.destroy();
      resolve({ outcome: 'client-gone' });
      return;
    }
    const refuse = (message: string): void => {
      sendRawError(socket, 400, message);
      resolve({ outcome: 'rejected', status: 400 });
    };
    const check = checkClientHandshake(req, u.path);
    if (!check.ok) {
      refuse(check.message);
      return;
    }

    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(u.headers)) if (!HANDSHAKE_FIELDS.has(k) && v !== undefined) headers[k] = v;
    const scheme = u.target.url.protocol === 'https:' ? 'wss:' : 'ws:';
    let backend: WebSocket;
    try {
      backend = new WebSocket(`${scheme}//${u.target.url.host}${u.path}`, check.protocols, {
        headers: headers as Record<string, string>,
        perMessageDeflate: false,
        maxPayload: u.maxMessageBytes,
        handshakeTimeout: u.timeouts.connectMs > 0 ? u.timeouts.connectMs : undefined,
        followRedirects: false,
      });
    } catch (err) {
      // The checks above mirror ws's; anything it still refuses is the request's fault too.
      refuse(`invalid WebSocket handshake (${(err as Error).message})`);
      return;
    }

    let settled = false;
    const settle = (r: UpgradeResult) => {
      if (settled) return;
      settled = true;
      socket.off('close', onClientGone);
      socket.off('end', onClientGone);
      resolve(r);
    };
    // A client that closes, or only half-closes (it can never speak WebSocket then), before its
    // handshake completes takes the backend connection with it.
    const onClientGone = () => {
      backend.terminate();
      socket.destroy();
      settle({ outcome: 'client-gone' });
    };
    socket.once('close', onClientGone);
    socket.once('end', onClientGone);

    backend.on('unexpected-response', (_request, response: IncomingMessage) => {
      // The backend refused the upgrade: relay its answer (bounded) and close.
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (c: Buffer) => {
        if (size < 65536) chunks.push(c);
        size += c.length;
      });
      const finish = () => {
        const body = Buffer.concat(chunks).subarray(0, 65536);
        const status = response.statusCode ?? 502;
        const lines = [`HTTP/1.1 ${status} ${response.statusMessage || STATUS_CODES[status] || ''}`];
        const kept = filterResponseHeaders(response.rawHeaders, {});
        for (let i = 0; i + 1 < kept.length; i += 2) lines.push(`${kept[i]}: ${kept[i + 1]}`);
        lines.push(`Content-Length: ${body.length}`, 'Connection: close');
        if (!socket.destroyed) socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), body]));
        backend.terminate();
        settle({ outcome: 'rejected', status });
      };
      response.on('end', finish);
      response.on('error', finish);
    });

    backend.on('error', (err: NodeJS.ErrnoException) => {
      if (backend.readyState === WebSocket.CONNECTING || !settled) {
        settle({ outcome: 'connect-failed', error: err.code ?? err.message });
      }
    });

    backend.on('upgrade', (response: IncomingMessage) => {
      const protocol = response.headers['sec-websocket-protocol'];
      pending.set(req, { protocol: typeof protocol === 'string' ? protocol : false, setCookie: u.setCookie });
    });

    // Messages the backend sends before the client handshake completes wait here.
    const early: Array<[RawData, boolean]> = [];
    const queueEarly = (data: RawData, isBinary: boolean) => early.push([data, isBinary]);
    backend.on('message', queueEarly);

    backend.once('open', () => {
      if (settled || socket.destroyed || !socket.readable || !socket.writable) {
        backend.terminate();
        socket.destroy();
        settle({ outcome: 'client-gone' });
        return;
      }
      socket.off('close', onClientGone);
      socket.off('end', onClientGone);
      // Without verifyClient, handleUpgrade either calls back before it returns or has refused the
      // handshake (answered the client, or destroyed a socket it found unusable): never later.
      let client = undefined as WebSocket | undefined;
      try {
        serverFor(u.maxMessageBytes).handleUpgrade(req, socket, head, (ws) => (client = ws));
      } catch {
        // Thrown only for a socket already upgraded once; the attempt ends below like any refusal.
      }
      pending.delete(req);
      if (!client) {
        backend.terminate();
        if (!socket.writableEnded) socket.destroy();
        settle({ outcome: 'rejected', status: 400 });
        return;
      }
      backend.off('message', queueEarly);
      const tunnel = relay(client, backend, u);
      for (const [data, isBinary] of early) client.send(data, { binary: isBinary });
      settle({ outcome: 'connected', tunnel });
    });
  });
}

/** Close codes a backend's close may not be passed on as (reserved or not sendable). */
function clientCodeFor(code: number): number {
  if (code === 1005) return 1000;
  if (code === 1006) return 1012; // the backend vanished: tell the client to reconnect
  if ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)) return code;
  return 1011;
}

function relay(client: WebSocket, backend: WebSocket, u: UpgradeRequest): Tunnel {
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let idle: NodeJS.Timeout | undefined;
  let clientClosed = false;
  let backendClosed = false;
  let closeTimer: NodeJS.Timeout | undefined;

  const touch = () => {
    if (u.timeouts.idleMs <= 0) return;
    clearTimeout(idle);
    idle = setTimeout(() => tunnel.close(1001, 'idle timeout'), u.timeouts.idleMs);
    idle.unref();
  };
  const maybeDone = () => {
    if (!clientClosed || !backendClosed) return;
    clearTimeout(idle);
    clearTimeout(closeTimer);
    resolveClosed();
  };

  const pipe = (from: WebSocket, to: WebSocket) => {
    let queued = 0;
    from.on('message', (data: RawData, isBinary: boolean) => {
      touch();
      if (to.readyState !== WebSocket.OPEN) return;
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
      queued += size;
      if (queued > HIGH_WATER && !from.isPaused) from.pause();
      to.send(data, { binary: isBinary }, () => {
        queued -= size;
        if (queued <= HIGH_WATER / 2 && from.isPaused) from.resume();
      });
    });
  };
  pipe(client, backend);
  pipe(backend, client);
  touch();

  client.on('error', () => {});
  // ws closes with 1009 toward a peer whose message is over maxPayload, then reports 1006 (no
  // close frame came back): the client is told the real reason, not "backend went away".
  let backendTooBig = false;
  backend.on('error', (err: Error & { code?: string }) => {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') backendTooBig = true;
  });
  client.on('close', (code: number, reason: Buffer) => {
    clientClosed = true;
    u.onClose();
    if (backend.readyState === WebSocket.OPEN) backend.close(code === 1005 || code === 1006 ? 1001 : clientCodeFor(code), reason);
    else if (backend.readyState === WebSocket.CONNECTING) backend.terminate();
    armCut();
    maybeDone();
  });
  backend.on('close', (code: number, reason: Buffer) => {
    backendClosed = true;
    if (client.readyState === WebSocket.OPEN) {
      if (backendTooBig) client.close(1009, 'message from the backend too big');
      else client.close(clientCodeFor(code), code === 1006 ? 'backend went away' : reason);
    }
    armCut();
    maybeDone();
  });

  /** Whatever the peers do, both sockets are gone CLOSE_GRACE_MS after a close began. */
  function armCut(): void {
    if (closeTimer) return;
    closeTimer = setTimeout(() => {
      client.terminate();
      backend.terminate();
    }, CLOSE_GRACE_MS);
    closeTimer.unref();
  }

  const tunnel: Tunnel = {
    closed,
    close(code: number, reason: string) {
      if (client.readyState === WebSocket.OPEN) client.close(code, reason);
      if (backend.readyState === WebSocket.OPEN) backend.close(1001, 'proxy closing the tunnel');
      armCut();
    },
  };
  return tunnel;
}

// Scripted backends for tests: real HTTP servers on 127.0.0.1 (port 0) that record every request
// they receive and misbehave on demand. They are peers of the proxy, not mocks of it.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type FakeMode =
  /** 200 with `X-Backend: <name>` and a small text body. */
  | 'ok'
  /** Like ok, after `delayMs`. */
  | 'slow'
  /** Reads the request, never answers. */
  | 'hang'
  /** Reads the request, then resets the connection without a byte. */
  | 'reset'
  /** Sends a 200 head promising `bodyBytes`, half of the body, then dies. */
  | 'die-mid-body'
  /** Answers with bytes that are not HTTP. */
  | 'garbage'
  /** Answers with `status`. */
  | 'status';

export interface ModeOptions {
  delayMs?: number;
  status?: number;
  bodyBytes?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** Raw request head as received (names in their original case). */
  rawHead: string;
  body: string;
  requestId: string | undefined;
  at: number;
}

export interface FakeBackend {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Open WebSocket connections from the proxy. */
  readonly sockets: Set<WebSocket>;
  setMode(mode: FakeMode, options?: ModeOptions): void;
  /** Dies abruptly: every connection reset, the port closed. */
  kill(): void;
  /** Brings a killed backend back on the same port. */
  revive(): Promise<void>;
  close(): Promise<void>;
}

export interface FakeBackendOptions {
  name: string;
  /** Accept WebSocket upgrades: greets with `hello from <name>`, echoes `<name>: <message>`. */
  websocket?: boolean;
  port?: number;
  /** Default 127.0.0.1; any 127.0.0.x works on Linux (all of 127/8 is loopback). */
  host?: string;
}

export async function startFakeBackend(opts: FakeBackendOptions): Promise<FakeBackend> {
  let mode: FakeMode = 'ok';
  let modeOptions: ModeOptions = {};
  const requests: RecordedRequest[] = [];
  const connections = new Set<Socket>();
  const sockets = new Set<WebSocket>();
  const wss = opts.websocket ? new WebSocketServer({ noServer: true }) : undefined;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rid = req.headers['x-request-id'];
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHead: rawHeadOf(req),
        body: Buffer.concat(chunks).toString(),
        requestId: typeof rid === 'string' ? rid : undefined,
        at: Date.now(),
      });
      respond(req, res);
    });
  };

  const respond = (req: IncomingMessage, res: ServerResponse) => {
    const ok = (status = 200) => {
      const body = `${opts.name} ${req.method} ${req.url}\n`;
      res.writeHead(status, { 'content-type': 'text/plain', 'x-backend': opts.name, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    switch (mode) {
      case 'ok':
        if (req.url === '/health' || req.url === '/healthz') {
          res.writeHead(200, { 'x-backend': opts.name });
          res.end('ok\n');
        } else ok();
        return;
      case 'slow':
        setTimeout(() => ok(), modeOptions.delayMs ?? 200);
        return;
      case 'hang':
        return;
      case 'reset':
        (req.socket as Socket).resetAndDestroy();
        return;
      case 'status':
        ok(modeOptions.status ?? 500);
        return;
      case 'die-mid-body': {
        const total = modeOptions.bodyBytes ?? 100_000;
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total, 'x-backend': opts.name });
        res.write(Buffer.alloc(Math.floor(total / 2), 'x'), () => setTimeout(() => req.socket.destroy(), 20));
        return;
      }
      case 'garbage':
        req.socket.end('this is not http at all\r\n\r\n');
        return;
    }
  };

  const makeServer = () => {
    const server = http.createServer(handle);
    server.keepAliveTimeout = 5000;
    server.on('connection', (s: Socket) => {
      connections.add(s);
      s.on('close', () => connections.delete(s));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      if (mode === 'reset') {
        socket.resetAndDestroy();
        return;
      }
      if (!wss || mode === 'status' || mode === 'garbage') {
        const status = mode === 'status' ? (modeOptions.status ?? 503) : 400;
        socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: 0\r\nX-Backend: ${opts.name}\r\nConnection: close\r\n\r\n`);
        return;
      }
      const rid = req.headers['x-request-id'];
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHead: rawHeadOf(req), body: '', requestId: typeof rid === 'string' ? rid : undefined, at: Date.now() });
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        ws.on('close', () => sockets.delete(ws));
        ws.on('error', () => ws.terminate());
        ws.send(`hello from ${opts.name}`);
        ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `${opts.name}: ${data.toString()}`, { binary: isBinary }));
      });
    });
    return server;
  };

  let server = makeServer();
  await listen(server, opts.port ?? 0, opts.host);
  const port = (server.address() as AddressInfo).port;

  const kill = () => {
    for (const ws of sockets) ws.terminate();
    for (const s of connections) s.resetAndDestroy();
    server.close();
  };

  return {
    name: opts.name,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    requests,
    sockets,
    setMode(m, o = {}) {
      mode = m;
      modeOptions = o;
    },
    kill,
    async revive() {
      server = makeServer();
      await listen(server, port, opts.host);
    },
    async close() {
      kill();
      await new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
    },
  };
}

function rawHeadOf(req: IncomingMessage): string {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

function listen(server: http.Server, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export { freePort } from '../kit/ports.js';

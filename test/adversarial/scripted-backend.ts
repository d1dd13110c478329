// A scripted backend at the TCP level: it parses requests itself (so it sees exactly the bytes
// golb sends, framing included), records every one it receives, and answers with whatever bytes
// the test scripts — including wrong ones. The proxy's peer on the backend side, for the faults
// an ordinary HTTP server cannot produce (garbage status lines, closing a reused connection, a
// response that streams under backpressure, hop-by-hop response fields).
import net, { type AddressInfo } from 'node:net';

export interface ScriptedRequest {
  method: string;
  url: string;
  /** Lower-case names; repeated fields joined with ", ". */
  headers: Record<string, string>;
  /** The request head exactly as received, CRLFs included. */
  rawHead: string;
  body: string;
  requestId: string | undefined;
  /** Which connection (0, 1, ...) carried it, and its position on that connection (0 = first). */
  connection: number;
  indexOnConnection: number;
}

export interface ScriptedConnection {
  readonly id: number;
  readonly socket: net.Socket;
  /** Requests already handled on this connection before the current one. */
  handled: number;
}

/** Answers one request; write to `conn.socket` directly (or close it, or never answer). */
export type Script = (req: ScriptedRequest, conn: ScriptedConnection) => void;

export interface ScriptedBackend {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly requests: ScriptedRequest[];
  /** Connections accepted so far. */
  connectionCount(): number;
  /** Connections open now. */
  openConnections(): number;
  setScript(script: Script): void;
  close(): Promise<void>;
}

/** A 200 with `X-Backend` and a body naming backend, method and path; keep-alive. */
export function okResponse(name: string, req: ScriptedRequest, extraHead = ''): string {
  const body = `${name} ${req.method} ${req.url}\n`;
  return `HTTP/1.1 200 OK\r\nX-Backend: ${name}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extraHead}\r\n${body}`;
}

export async function startScriptedBackend(name: string, script?: Script): Promise<ScriptedBackend> {
  const requests: ScriptedRequest[] = [];
  const sockets = new Set<net.Socket>();
  let current: Script = script ?? ((req, conn) => conn.socket.write(okResponse(name, req)));
  let accepted = 0;

  const server = net.createServer((socket) => {
    const conn: ScriptedConnection = { id: accepted++, socket, handled: 0 };
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const parsed = parseOne(buf);
        if (!parsed) return;
        buf = buf.subarray(parsed.consumed);
        const req: ScriptedRequest = { ...parsed.req, connection: conn.id, indexOnConnection: conn.handled };
        requests.push(req);
        current(req, conn);
        conn.handled++;
        if (socket.destroyed) return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    connectionCount: () => accepted,
    openConnections: () => sockets.size,
    setScript(s) {
      current = s;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Parsed = { req: Omit<ScriptedRequest, 'connection' | 'indexOnConnection'>; consumed: number };

/** One complete request at the start of `buf` (Content-Length or chunked body), or undefined. */
function parseOne(buf: Buffer): Parsed | undefined {
  const text = buf.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd === -1) return undefined;
  const rawHead = text.slice(0, headEnd + 4);
  const lines = text.slice(0, headEnd).split('\r\n');
  const [method = '', url = ''] = lines[0]!.split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const key = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  let at = headEnd + 4;
  let body = '';
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    for (;;) {
      const lineEnd = text.indexOf('\r\n', at);
      if (lineEnd === -1) return undefined;
      const size = parseInt(text.slice(at, lineEnd), 16);
      if (size === 0) {
        const end = text.indexOf('\r\n', lineEnd + 2);
        if (end === -1) return undefined;
        at = end + 2;
        break;
      }
      if (lineEnd + 2 + size + 2 > text.length) return undefined;
      body += text.slice(lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
  } else if (headers['content-length'] !== undefined) {
    const len = Number(headers['content-length']);
    if (at + len > text.length) return undefined;
    body = text.slice(at, at + len);
    at += len;
  }
  return { req: { method, url, headers, rawHead, body, requestId: headers['x-request-id'] }, consumed: Buffer.byteLength(text.slice(0, at), 'latin1') };
}

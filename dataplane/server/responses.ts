// Error responses the proxy itself writes: plain text with the status, a short reason and the
// request id (also in X-Request-Id), mapped from outcomes at the edge (STYLE: expected outcomes
// are values, not exceptions). Which backend failed and why goes to the log under that request id,
// never to the client: an error body must not map the inside of the network.
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { nanoid } from 'nanoid';

/** The methods named in a 405's Allow: TRACE is refused unless allowed, CONNECT never proxied. */
export const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** `requestId` undefined = a fresh one, so every answer golb writes can be quoted in a report. */
export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}, requestId?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const id = requestId ?? nanoid();
  const body = errorBody(status, message, id);
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': id,
    ...headers,
  });
  res.end(body);
}

/** For upgrade requests and parse errors, where there is only a socket: a real HTTP status line, then close. */
export function sendRawError(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}, requestId?: string): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const id = requestId ?? nanoid();
  const body = errorBody(status, message, id);
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nX-Request-Id: ${id}\r\n${extra}\r\n${body}`,
  );
}

/** `502 Bad Gateway: backend unreachable (request id V1StGXR8_Z5jdHi6B-myT)`. */
function errorBody(status: number, message: string, requestId: string): string {
  return `${status} ${STATUS_CODES[status] ?? ''}: ${message} (request id ${requestId})\n`;
}

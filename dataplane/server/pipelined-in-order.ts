// Pipelined requests on one client connection are served one at a time, in order, as nginx does.
// Node parses and emits every request a client pipelines in one write at once, and only queues the
// responses: without this guard request N+1 goes to a backend while response N is still on its
// way, and if response N then closes the connection (a 413, `Connection: close`, HTTP/1.0) the
// backend has acted on a request whose answer the client never gets.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Wraps a server's request listener. Node gives a response the connection's socket only once
 * every response ahead of it has finished (`res.socket` is null until then, and 'socket' fires
 * when it is handed over), so the listener runs exactly then. When a response ahead ends the
 * connection, Node never hands the socket on: the queued requests are dropped unseen.
 */
export function servePipelinedInOrder(listener: RequestListener): RequestListener {
  return (req, res) => {
    if (res.socket) {
      listener(req, res);
      return;
    }
    res.once('socket', () => listener(req, res));
  };
}

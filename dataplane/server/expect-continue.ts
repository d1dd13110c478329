// `Expect: 100-continue`: the client holds its body back until it gets `100 Continue`. golb sends
// the 100 only once it is about to forward (route found, body within the limit, a backend chosen);
// a refusal (413, 404, 503...) is the final answer instead, without a 100. That answer closes the
// connection: the client may or may not send the body it announced, so nothing after it on the
// connection can be framed with certainty.
import type { ServerResponse } from 'node:http';

const awaiting = new WeakSet<ServerResponse>();

/** Marks `res` as the answer to a request whose client waits for 100 Continue (Node's 'checkContinue'). */
export function awaitContinue(res: ServerResponse): void {
  awaiting.add(res);
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<typeof writeHead>) {
    res.writeHead = writeHead;
    // A final status before the 100: the announced body may or may not follow.
    if (awaiting.delete(res)) res.shouldKeepAlive = false;
    return writeHead.apply(this, args);
  } as typeof writeHead;
}

/** Sends `100 Continue` when the client waits for it; once, and a no-op for everyone else. */
export function sendContinue(res: ServerResponse): void {
  if (awaiting.delete(res) && !res.headersSent && !res.destroyed) res.writeContinue();
}

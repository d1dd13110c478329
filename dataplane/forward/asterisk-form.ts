// `OPTIONS *` (RFC 9112 §3.2.4) to a backend: the one request whose target is not a path. undici
// refuses such a target and http-proxy rewrites it, so an engine is wrapped and this request alone
// goes through node:http on a connection of its own (it is rare: no pool is worth keeping for it).
// Everything else goes to the wrapped engine untouched.
import http from 'node:http';
import https from 'node:https';
import type { ForwardEngine, ForwardRequest, ForwardResult } from './engine.js';
import { filterResponseHeaders } from './headers.js';

/** `engine`, except that a request whose upstream target is `*` is carried here. */
export function withAsteriskForm(engine: ForwardEngine): ForwardEngine {
  return {
    name: engine.name,
    forward: (f) => (f.path === '*' ? forwardAsterisk(f) : engine.forward(f)),
    upgrade: (u) => engine.upgrade(u),
    retain: (origins) => engine.retain(origins),
    upstreamPools: () => engine.upstreamPools(),
    close: () => engine.close(),
  };
}

function forwardAsterisk(f: ForwardRequest): Promise<ForwardResult> {
  const { req, res, target, timeouts } = f;
  return new Promise<ForwardResult>((resolve) => {
    let settled = false;
    let connected = false;
    let started = false;
    let bytesIn = 0;
    let bytesOut = 0;
    let status = 0;
    let timer: NodeJS.Timeout | undefined;
    const settle = (r: ForwardResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res.off('close', onClientClose);
      resolve(r);
    };
    const url = target.url;
    const secure = url.protocol === 'https:';
    const upstream = (secure ? https : http).request({
      // URL keeps an IPv6 literal's brackets in `hostname`; a socket address has none.
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || (secure ? 443 : 80),
      method: req.method,
      path: '*',
      headers: f.headers,
      agent: false,
    });
    const fail = (errorClass: 'timeout' | 'connect-timeout' | 'reset', error: string) => {
      upstream.destroy();
      if (!connected) settle(errorClass === 'connect-timeout' ? { outcome: 'failed', errorClass, error, requestSent: false, responseStarted: false } : { outcome: 'connect-failed', error });
      else {
        if (started) res.destroy();
        settle({ outcome: 'failed', errorClass, error, requestSent: true, responseStarted: started });
      }
    };
    const arm = (ms: number, onExpire: () => void) => {
      clearTimeout(timer);
      if (ms > 0) timer = setTimeout(onExpire, ms);
    };
    const onClientClose = () => {
      if (res.writableFinished) return;
      upstream.destroy();
      settle({ outcome: 'client-aborted' });
    };
    res.on('close', onClientClose);
    arm(timeouts.connectMs, () => fail('connect-timeout', `connect timeout after ${timeouts.connectMs} ms`));
    upstream.on('socket', (socket) => {
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        connected = true;
        arm(timeouts.responseMs, () => fail('timeout', `no response within ${timeouts.responseMs} ms`));
      });
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => fail('reset', err.code ?? err.message));
    upstream.on('response', (up) => {
      clearTimeout(timer);
      status = up.statusCode ?? 502;
      const headers = filterResponseHeaders(up.rawHeaders, up.headers);
      if (f.responseHeaders.setCookie) headers.push('Set-Cookie', f.responseHeaders.setCookie);
      if (f.responseHeaders.connectionClose) {
        headers.push('Connection', 'close');
        res.shouldKeepAlive = false;
      }
      try {
        res.writeHead(status, up.statusMessage, headers);
      } catch (err) {
        up.destroy();
        settle({ outcome: 'failed', errorClass: 'protocol', error: `invalid response header (${(err as Error).message})`, requestSent: true, responseStarted: false });
        return;
      }
      started = true;
      up.on('data', (chunk: Buffer) => void (bytesOut += chunk.length));
      up.on('error', () => fail('reset', 'backend closed mid-response'));
      up.on('aborted', () => fail('reset', 'backend closed mid-response'));
      res.once('finish', () => settle({ outcome: 'responded', status, bytesIn, bytesOut }));
      up.pipe(res);
    });
    if (req.readableEnded) upstream.end();
    else {
      req.on('data', (chunk: Buffer) => void (bytesIn += chunk.length));
      req.pipe(upstream);
    }
  });
}

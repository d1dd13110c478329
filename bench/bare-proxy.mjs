// The baseline golb is measured against: a bare reverse proxy on one engine, round robin over the
// backends with keep-alive upstreams, and nothing else. Usage: node bench/bare-proxy.mjs
// http-proxy|undici PORT BACKEND_URL...
import http from 'node:http';
import httpProxy from 'http-proxy';
import { Pool } from 'undici';

const [engine, port, ...targets] = process.argv.slice(2);
let next = 0;
let handler;
if (engine === 'http-proxy') {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const proxy = httpProxy.createProxyServer({ agent });
  proxy.on('error', (_err, _req, res) => {
    if (res.writeHead && !res.headersSent) res.writeHead(502);
    res.end();
  });
  handler = (req, res) => proxy.web(req, res, { target: targets[next++ % targets.length] });
} else if (engine === 'undici') {
  const pools = targets.map((t) => new Pool(t, { connections: null, pipelining: 1 }));
  handler = (req, res) => {
    const pool = pools[next++ % pools.length];
    const body = req.method === 'GET' || req.method === 'HEAD' ? null : req;
    pool.stream(
      { method: req.method, path: req.url, headers: req.headers, body },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, headers);
        return res;
      },
      (err) => {
        if (!err) return;
        if (!res.headersSent) res.writeHead(502);
        res.end();
      },
    );
  };
} else {
  console.error(`unknown engine ${engine}`);
  process.exit(2);
}
http.createServer(handler).listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));

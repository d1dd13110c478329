// Fallback backend for bench/run.mjs when nginx is not installed: serves the files of DIR by the
// last path segment on each PORT. Usage: node bench/backend.mjs DIR PORT...
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...ports] = process.argv.slice(2);
const files = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
const handle = (req, res) => {
  const name = (req.url ?? '/').split('?')[0].split('/').pop();
  const body = files.get(name);
  if (!body) {
    res.writeHead(404, { 'content-length': 0 });
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
  res.end(body);
};
for (const p of ports) {
  const server = http.createServer(handle);
  server.keepAliveTimeout = 60_000;
  server.listen(Number(p), '127.0.0.1');
}
process.on('SIGTERM', () => process.exit(0));

// Small demo backends for `npm start`: each answers with its own name, serves /health, and echoes
// WebSocket messages, so balancing, persistence and tunnels are visible with curl.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface DemoBackend {
  name: string;
  port: number;
  close(): Promise<void>;
}

export async function startDemoBackend(name: string, port: number, host = '127.0.0.1'): Promise<DemoBackend> {
  let served = 0;
  const server = http.createServer((req, res) => {
    served++;
    if (req.url === '/health' || req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    const body = `Hello from ${name} (port ${port}): ${req.method} ${req.url} — request #${served} here\n`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-backend': name });
    res.end(body);
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      ws.send(`connected to ${name}`);
      ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `${name}: ${data.toString()}`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`demo backend ${name}: port ${port} is already in use`) : err));
    server.listen(port, host, resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    name,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

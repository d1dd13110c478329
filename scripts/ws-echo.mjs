#!/usr/bin/env node
// A tiny WebSocket client for the demo: connects through golb, sends each argument as a message
// and prints what comes back. Usage: node scripts/ws-echo.mjs [ws://localhost:8080/ws] hello world
import WebSocket from 'ws';

const args = process.argv.slice(2);
const url = args[0]?.startsWith('ws') ? args.shift() : 'ws://localhost:8080/ws';
const messages = args.length > 0 ? args : ['hello'];
const ws = new WebSocket(url);
let pending = messages.length + 1; // the greeting, then one reply per message
ws.on('open', () => {
  for (const m of messages) ws.send(m);
});
ws.on('message', (data) => {
  console.log(`< ${data}`);
  if (--pending === 0) ws.close(1000);
});
ws.on('close', (code) => {
  console.log(`closed (${code})`);
});
ws.on('error', (err) => {
  console.error(`ws-echo: ${err.message}`);
  process.exit(1);
});

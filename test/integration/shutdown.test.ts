// Graceful shutdown of a real data-plane process: SIGTERM with requests and WebSockets in flight.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startControlPlane, type ControlPlane } from '../../controlplane/control-plane.js';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, waitFor } from '../helpers/cluster.js';

const ENTRY = new URL('../../cli/golb/entry.ts', import.meta.url).pathname;

/** Starts `golb dataplane` as its own process; resolves once it serves (port from its log). */
function startDataPlaneProcess(controlPlane: string): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'dataplane', '--control-plane', controlPlane, '--port', '0', '--host', '127.0.0.1', '--shutdown-timeout', '10000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`data plane did not start:\n${out}`)), 20_000);
    const check = () => {
      const port = /traffic on port (\d+)/.exec(out)?.[1];
      if (port && /applied config version/.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve({ child, port: Number(port), output: () => out });
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`data plane exited with ${code}:\n${out}`)));
  });
}

describe('SIGTERM on a data plane process', () => {
  let backend: FakeBackend;
  let cp: ControlPlane;
  let dir: string;
  before(async () => {
    backend = await startFakeBackend({ name: 'slowpoke', websocket: true });
    dir = mkdtempSync(join(tmpdir(), 'golb-shutdown-'));
    const configPath = join(dir, 'lb.conf');
    writeFileSync(configPath, `health_check off\nbackend ${backend.url}\n`);
    cp = await startControlPlane({ configPath, grpcPort: 0, adminPort: -1, log: () => {} });
  });
  after(async () => {
    await cp.close();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes 100 in-flight requests, refuses new connections, closes WebSockets with 1001, and exits 0', async () => {
    const { child, port, output } = await startDataPlaneProcess(`127.0.0.1:${cp.grpcPort}`);
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/live`);
      const wsClosed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      await new Promise((r) => ws.once('message', r));

      backend.setMode('slow', { delayMs: 1500 });
      const before = backend.requests.length;
      const inFlight = Array.from({ length: 100 }, (_, i) => request(port, `/job/${i}`, { agent: false }));
      await waitFor('100 requests at the backend', () => backend.requests.length - before >= 100);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');

      // New connections are refused once the listener is closed.
      await waitFor('the listener to close', () => connectRefused(port), 5000);
      const replies = await Promise.all(inFlight);
      assert.deepEqual(replies.map((r) => r.status), Array(100).fill(200), 'every in-flight request completed');
      assert.equal(await wsClosed, 1001);
      assert.equal(await exited, 0, output());
    } finally {
      backend.setMode('ok');
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

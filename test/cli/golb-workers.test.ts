// `golb --workers N` end to end: the launcher from sources as a subprocess, N data-plane processes
// sharing one traffic port, fleet stats on the control plane's admin port summing the workers,
// and SIGTERM bringing every process down cleanly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, tally, waitFor } from '../helpers/cluster.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('golb --workers', () => {
  let backends: FakeBackend[];
  let golb: ChildProcess;
  let out = '';
  let dir: string;
  let trafficPort = 0;
  let adminPort = 0;

  before(async () => {
    backends = await Promise.all(['w-a', 'w-b'].map((name) => startFakeBackend({ name })));
    dir = mkdtempSync(join(tmpdir(), 'golb-workers-'));
    const config = join(dir, 'lb.conf');
    writeFileSync(config, `method round_robin\nhealth_check off\n${backends.map((b) => `backend ${b.url}`).join('\n')}\n`);
    golb = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'cli/golb/entry.ts'), '--workers', '2', '--config', config, '--host', '127.0.0.1', '--port', '0', '--grpc-port', '0', '--admin-port', '0'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    golb.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    golb.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor('golb to listen', () => /listening on http:\/\/127\.0\.0\.1:(\d+) \(2 worker processes\)/.test(out), 30_000);
    trafficPort = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    adminPort = Number(/admin http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
  });
  after(async () => {
    if (golb.exitCode === null && golb.signalCode === null) golb.kill('SIGKILL');
    await Promise.all(backends.map((b) => b.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves traffic on one port from two data planes and reports fleet totals equal to what was sent', async () => {
    await waitFor('both workers to apply the config', async () => {
      const r = await request(adminPort, '/api/health');
      const body = JSON.parse(r.body) as { dataplanes: { connected: number; acked: number } };
      return body.dataplanes.connected === 2 && body.dataplanes.acked === 2;
    });
    const served: string[] = [];
    for (let i = 0; i < 40; i++) {
      // A fresh connection each time, so the kernel spreads them over both workers.
      const r = await request(trafficPort, `/n/${i}`, { agent: false });
      assert.equal(r.status, 200);
      served.push(String(r.headers['x-backend']));
    }
    assert.deepEqual(Object.keys(tally(served)).sort(), ['w-a', 'w-b']);
    const stats = await waitFor(
      'stats from both workers',
      async () => {
        const s = JSON.parse((await request(adminPort, '/api/stats')).body) as { totalRequests: number; dataplanes: unknown[] };
        return s.totalRequests === 40 ? s : undefined;
      },
      15_000,
      200,
    );
    assert.equal(stats.dataplanes.length, 2);
  });

  it('exits 0 on SIGTERM with every worker gone', async () => {
    const exited = new Promise<number | null>((r) => golb.once('exit', (code) => r(code)));
    golb.kill('SIGTERM');
    assert.equal(await exited, 0);
    await assert.rejects(request(trafficPort, '/after', { agent: false }));
  });
});

describe('golb --engine and --workers flags', () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/golb/entry.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      child.once('exit', (code) => resolve({ code, out }));
    });

  it('refuses an unknown engine with a usage error naming the choices', async () => {
    const r = await run(['--engine', 'nginx']);
    assert.equal(r.code, 2);
    assert.match(r.out, /--engine takes undici or http-proxy, got "nginx"/);
  });

  it('refuses a worker count that is not a positive number or auto', async () => {
    const r = await run(['--workers', '0']);
    assert.equal(r.code, 2);
    assert.match(r.out, /--workers takes a count >= 1 or auto, got "0"/);
  });

  it('lists both flags in --help', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /--engine NAME/);
    assert.match(r.out, /--workers N\|auto/);
  });
});

// The `golb` launcher as a user runs it: a real process, its flags, its startup errors, SIGHUP
// reload and SIGTERM.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, waitFor } from '../helpers/cluster.js';

const ENTRY = new URL('../../cli/golb/entry.ts', import.meta.url).pathname;

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function golb(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

describe('golb launcher', () => {
  let dir: string;
  let backend: FakeBackend;
  const started: ChildProcess[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golb-launcher-'));
    backend = await startFakeBackend({ name: 'only' });
  });
  after(async () => {
    for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an invalid config with every error as file:line:col and exit 1', async () => {
    const path = join(dir, 'bad.conf');
    writeFileSync(path, `backend http://127.0.0.1:1 weight=0\nbakend x\nroute /a/* backend_pool=nowhere\n`);
    const run = golb(['--config', path, '--port', '0', '--admin-port=-1', '--grpc-port', '0']);
    assert.equal(await run.exited, 1);
    const lines = run.output().split('\n');
    assert.ok(lines.some((l) => l.startsWith(`${path}:1:`) && /weight/.test(l)), run.output());
    assert.ok(lines.some((l) => l.startsWith(`${path}:2:1: unknown directive "bakend"; did you mean "backend"?`)), run.output());
    assert.ok(lines.some((l) => l.startsWith(`${path}:3:`) && /nowhere/.test(l)), run.output());
  });

  it('says which port is in use and exits 1', async () => {
    const path = join(dir, 'ok.conf');
    writeFileSync(path, `health_check off\nbackend ${backend.url}\n`);
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const run = golb(['--config', path, '--host', '127.0.0.1', '--port', String(port), '--admin-port=-1', '--grpc-port', '0']);
      assert.equal(await run.exited, 1);
      assert.match(run.output(), new RegExp(`golb: port ${port} is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('exits 2 on a usage mistake and 0 on --help', async () => {
    const bad = golb(['--no-such-flag']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.output(), /Unknown option '--no-such-flag'/);
    const help = golb(['dataplane', '--help']);
    assert.equal(await help.exited, 0);
    assert.match(help.output(), /--control-plane/);
  });

  it('serves, reloads on SIGHUP (and keeps the old config when the new file is invalid), exits 0 on SIGTERM', async () => {
    const path = join(dir, 'live.conf');
    writeFileSync(path, `health_check off\nbackend ${backend.url}\n`);
    const port = await freePort();
    const grpcPort = await freePort();
    const run = golb(['--config', path, '--host', '127.0.0.1', '--port', String(port), '--admin-port=-1', '--grpc-port', String(grpcPort)]);
    started.push(run.child);
    await waitFor('golb to listen', () => /listening on/.test(run.output()), 20_000);
    assert.equal((await request(port, '/x', { agent: false })).status, 200);

    writeFileSync(path, `health_check off\nbackend ${backend.url}\nroute /gone/* backend_pool=missing\n`);
    run.child.kill('SIGHUP');
    await waitFor('the rejection', () => /reload rejected, nothing changed/.test(run.output()));
    assert.match(run.output(), new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: .*missing`));
    assert.equal((await request(port, '/gone/x', { agent: false })).status, 200, 'still on the old config');

    writeFileSync(path, `health_check off\nbackend ${backend.url}\nroute /gone/* backend_pool=missing\nbackend ${backend.url} pool=missing\n`);
    const before = (run.output().match(/applied config version/g) ?? []).length;
    run.child.kill('SIGHUP');
    await waitFor('the new version applied', () => (run.output().match(/applied config version/g) ?? []).length > before);
    assert.match(run.output(), /reloaded: version [0-9a-f]{16}/);

    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0, run.output());
  });
});

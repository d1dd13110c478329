// The Dockerfile (stages, user, entrypoint, health check, what it copies), the programs it
// runs (golb, golbctl, the demo backend), and the endpoints the packaging files probe — the
// latter checked against a real control plane, data plane and demo backend.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startControlPlane } from '../../controlplane/control-plane.js';
import { startDataPlane, type DataPlane } from '../../dataplane/data-plane.js';
import { freePort, startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { envOf, execForm, last, parseDockerfile } from './dockerfile.js';
import { exists, flagsOf, PACKAGE, read, ROOT, SERVED_PATHS } from './launcher.js';

const df = parseDockerfile();
const runtime = df.runtime;
const runs = (stage: (typeof df.stages)[number]) => stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');

/** The HEALTHCHECK's command, exec form. */
function healthcheckArgv(): string[] {
  const hc = last(runtime, 'HEALTHCHECK');
  assert.ok(hc, 'the image has a HEALTHCHECK');
  const cmd = /\bCMD\s+(.*)$/.exec(hc.args)?.[1];
  assert.ok(cmd, 'HEALTHCHECK CMD ...');
  const argv = execForm(cmd);
  assert.ok(argv, 'HEALTHCHECK CMD in exec form (no shell in the image is needed)');
  return argv;
}

/** Runs it as Docker would, with GOLB_HEALTH_URL set; resolves to its exit status. */
function runHealthcheck(url: string): Promise<number | null> {
  const [cmd, ...args] = healthcheckArgv();
  const child = spawn(cmd === 'node' ? process.execPath : cmd!, args, { env: { ...process.env, GOLB_HEALTH_URL: url }, stdio: 'ignore', timeout: 10_000 });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('Dockerfile', () => {
  it('builds in one stage and runs a slim Node 24 LTS runtime in another', () => {
    assert.ok(df.stages.length >= 2, 'multi-stage');
    assert.match(runtime.from, /^node:24(\.|-|$)/, `runtime FROM ${runtime.from}`);
    assert.match(runtime.from, /slim|alpine|distroless/, 'a small base');
    const build = df.stages.find((s) => s !== runtime && /\bnpm ci\b/.test(runs(s)));
    assert.ok(build, 'a build stage runs npm ci');
    const script = runs(build);
    assert.ok(script.indexOf('npm run build') > script.indexOf('npm ci'), 'builds after installing');
    assert.ok(script.indexOf('npm prune --omit=dev') > script.indexOf('npm run build'), 'drops dev dependencies after the build');
    assert.doesNotMatch(runs(runtime), /npm (ci|install)/, 'the runtime installs nothing');
  });

  it('runs as a non-root user given by number', () => {
    const user = last(runtime, 'USER')?.args;
    assert.ok(user, 'USER is set');
    const uid = Number(user.split(':')[0]);
    assert.ok(Number.isInteger(uid) && uid > 0, `USER ${user}: numeric (Kubernetes runAsNonRoot checks it) and not root`);
    const k8sUsers = read('deploy/kubernetes/dataplane.yaml').match(/runAsUser: (\d+)/g) ?? [];
    for (const u of k8sUsers) assert.equal(Number(u.split(': ')[1]), uid, 'the manifests run as the same user');
  });

  it('starts golb in exec form, so SIGTERM reaches Node', () => {
    const ep = last(runtime, 'ENTRYPOINT');
    assert.ok(ep);
    assert.deepEqual(execForm(ep.args), ['node', 'bin/golb.js'], 'ENTRYPOINT ["node", "bin/golb.js"]');
    assert.equal(PACKAGE.bin.golb, './bin/golb.js');
    const workdir = last(runtime, 'WORKDIR')?.args;
    assert.equal(workdir, '/app');
    const cmd = last(runtime, 'CMD');
    if (cmd) assert.ok(execForm(cmd.args), 'CMD in exec form');
  });

  it('puts golbctl on the PATH, pointing at the package bin', () => {
    const script = runs(runtime);
    const m = /ln -s (\S+) \/usr\/local\/bin\/golbctl/.exec(script);
    assert.ok(m, 'a golbctl symlink in /usr/local/bin');
    assert.equal(m[1], `/app/${PACKAGE.bin.golbctl!.replace(/^\.\//, '')}`);
  });

  it('exposes the launcher default ports', () => {
    const exposed = runtime.instructions.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((p) => Number(p.replace(/\/tcp$/, ''))).sort();
    const all = flagsOf('all');
    const defaults = ['port', 'admin-port', 'grpc-port'].map((f) => Number(all.get(f)?.default)).sort();
    assert.deepEqual(exposed, defaults);
  });

  it('copies sources that exist and that .dockerignore lets through; the runtime gets what the code loads', () => {
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const must of ['node_modules', 'dist', '.git']) assert.ok(ignore.includes(must), `.dockerignore leaves out ${must}`);
    for (const stage of df.stages) {
      for (const copy of stage.instructions.filter((i) => i.op === 'COPY' && !/--from=/.test(i.args))) {
        const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
        for (const src of parts.slice(0, -1)) {
          assert.ok(exists(src), `COPY ${src} (line ${copy.line}) exists`);
          assert.ok(!ignore.some((pat) => src === pat || src.startsWith(`${pat}/`)), `COPY ${src} is not in .dockerignore`);
        }
      }
    }
    const copied = runtime.instructions.filter((i) => i.op === 'COPY').map((i) => i.args.split(/\s+/).filter((p) => !p.startsWith('--'))[0]);
    // bin/ imports dist/, proto/index.js loads proto/golb/v1/*.proto, oclif reads package.json.
    for (const need of ['/app/dist', '/app/bin', '/app/node_modules', '/app/package.json', '/app/proto/golb', '/app/conf']) {
      assert.ok(copied.includes(need), `the runtime stage copies ${need}`);
    }
    assert.ok(exists('proto/golb/v1/snapshot.proto'));
  });
});

describe('the image health check and the probed endpoints, against real processes', () => {
  let dir: string;
  let backend: FakeBackend;
  let cp: Awaited<ReturnType<typeof startControlPlane>>;
  let dp: DataPlane;
  let waiting: DataPlane;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golb-pack-'));
    backend = await startFakeBackend({ name: 'b' });
    writeFileSync(join(dir, 'lb.conf'), `backend ${backend.url}\nhealth_check off\n`);
    cp = await startControlPlane({ configPath: join(dir, 'lb.conf'), grpcPort: 0, adminPort: 0, log: () => {} });
    dp = await startDataPlane({ controlPlane: `127.0.0.1:${cp.grpcPort}`, host: '127.0.0.1', port: 0, adminPort: 0, log: () => {} });
    await dp.ready;
    // A data plane whose control plane does not exist: never ready.
    waiting = await startDataPlane({ controlPlane: `127.0.0.1:${await freePort()}`, host: '127.0.0.1', port: 0, adminPort: 0, log: () => {} });
  });
  after(async () => {
    await Promise.all([dp.shutdown(), waiting.shutdown()]);
    await cp.close();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves with 200 every path the packaging files may probe', async () => {
    for (const path of SERVED_PATHS['controlplane:admin']!) {
      assert.equal((await fetch(`http://127.0.0.1:${cp.adminPort}${path}`)).status, 200, `control plane admin ${path}`);
    }
    for (const path of SERVED_PATHS['dataplane:admin']!) {
      assert.equal((await fetch(`http://127.0.0.1:${dp.adminPort}${path}`)).status, 200, `data plane admin ${path}`);
    }
  });

  it('the HEALTHCHECK passes on a ready data plane and fails on one without config, or on nothing', async () => {
    const defaultUrl = envOf(runtime).get('GOLB_HEALTH_URL');
    assert.equal(defaultUrl, 'http://127.0.0.1:8081/ready', 'by default the data plane readiness on --admin-port 8081');
    assert.equal(await runHealthcheck(`http://127.0.0.1:${dp.adminPort}/ready`), 0);
    assert.equal(await runHealthcheck(`http://127.0.0.1:${cp.adminPort}/api/health`), 0, 'the control plane variant');
    assert.equal((await fetch(`http://127.0.0.1:${waiting.adminPort}/ready`)).status, 503);
    assert.equal(await runHealthcheck(`http://127.0.0.1:${waiting.adminPort}/ready`), 1, 'not ready before the first snapshot');
    assert.equal(await runHealthcheck(`http://127.0.0.1:${await freePort()}/ready`), 1, 'nothing listening');
  });
});

describe('the programs the image runs', () => {
  it('demo backend: answers with its name and /health, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/demo/backend-entry.ts', '--name', 'backend-9', '--port', '0', '--host', '127.0.0.1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout! });
        lines.on('line', (l) => {
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(l);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`demo backend exited ${code}`)));
      });
      const res = await fetch(`http://127.0.0.1:${port}/hello`);
      assert.equal(res.headers.get('x-backend'), 'backend-9');
      assert.match(await res.text(), /Hello from backend-9/);
      for (const path of SERVED_PATHS['demo-backend:http']!) assert.equal((await fetch(`http://127.0.0.1:${port}${path}`)).status, 200, path);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('demo backend: refuses an unknown flag with a usage error', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/demo/backend-entry.ts', '--bogus'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bogus/);
  });

  it('golbctl runs through a symlink, as /usr/local/bin/golbctl does in the image', () => {
    assert.ok(exists('dist/cli/commands'), 'dist/ is not built (npm run build; npm test builds it first)');
    const dir = mkdtempSync(join(tmpdir(), 'golb-bin-'));
    try {
      symlinkSync(join(ROOT, PACKAGE.bin.golbctl!), join(dir, 'golbctl'));
      const r = spawnSync(join(dir, 'golbctl'), ['--help'], { cwd: dir, encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: `${dirnameOfNode()}:${process.env.PATH}` } });
      assert.equal(r.status, 0, r.stderr);
      for (const cmd of ['stats', 'reload', 'drain']) assert.match(r.stdout, new RegExp(`\\b${cmd}\\b`), `golbctl --help lists ${cmd}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function dirnameOfNode(): string {
  return process.execPath.replace(/\/[^/]+$/, '');
}

// Runs every test file under test/ with node:test (Node 20 has no --test globbing).
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
// The engine list is the product's own (built by `pretest`), so a new engine joins every pass.
import { ENGINE_NAMES as ENGINES } from '../dist/dataplane/data-plane.js';

const root = new URL('..', import.meta.url).pathname;
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
const filters = process.argv.slice(2);
const files = walk(join(root, 'test'))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files matched; refusing to report success');
  process.exit(1);
}
const concurrency = process.env.GOLB_TEST_CONCURRENCY ?? '2';
const run = (list, env, stdio) =>
  spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', `--test-concurrency=${concurrency}`, ...list], { cwd: root, stdio, env: { ...process.env, ...env } });
const exitCode = (child) => new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));

// Every data-plane behaviour test runs on every forwarding engine: the first pass runs all files on
// the default engine (or GOLB_ENGINE); the integration and adversarial suites then run again on each
// other engine. Those passes run alongside the first, mostly waiting on sockets; their reports are
// printed after the first pass's. GOLB_TEST_SECOND_ENGINE=0 skips them (a quick local run only).
const engine = process.env.GOLB_ENGINE || 'undici';
const behaviour = files.filter((f) => f.startsWith('test/integration/') || f.startsWith('test/adversarial/'));
const others = behaviour.length > 0 && process.env.GOLB_TEST_SECOND_ENGINE !== '0' ? ENGINES.filter((e) => e !== engine) : [];
const passes = others.map((name) => {
  const child = run(behaviour, { GOLB_ENGINE: name }, ['ignore', 'pipe', 'pipe']);
  const pass = { name, out: '', done: exitCode(child) };
  child.stdout.on('data', (c) => (pass.out += c));
  child.stderr.on('data', (c) => (pass.out += c));
  return pass;
});
const firstCode = await exitCode(run(files, {}, 'inherit'));
const results = [];
for (const pass of passes) {
  const code = await pass.done;
  process.stdout.write(`\n# ---- pass on engine ${pass.name}: ${behaviour.length} integration and adversarial files with GOLB_ENGINE=${pass.name} ----\n${pass.out}`);
  results.push({ name: pass.name, code });
}
console.log(`# engines: ${engine} (all files) ${firstCode === 0 ? 'passed' : 'FAILED'}${results.map((r) => `; ${r.name} (integration + adversarial) ${r.code === 0 ? 'passed' : 'FAILED'}`).join('')}`);
process.exit(firstCode || results.reduce((c, r) => c || r.code, 0));

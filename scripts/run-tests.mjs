// Runs every test file under test/ with node:test (Node 20 has no --test globbing).
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

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

// The integration suite runs a second time on the other forwarding engine (the first pass uses the
// default, or GOLB_ENGINE). It runs alongside the first pass, mostly waiting on sockets; its report
// is printed after the first pass's. GOLB_TEST_SECOND_ENGINE=0 skips it.
const engine = process.env.GOLB_ENGINE || 'undici';
const other = engine === 'undici' ? 'http-proxy' : 'undici';
const integration = files.filter((f) => f.startsWith('test/integration/'));
const second = integration.length > 0 && process.env.GOLB_TEST_SECOND_ENGINE !== '0' ? run(integration, { GOLB_ENGINE: other }, ['ignore', 'pipe', 'pipe']) : undefined;
const secondDone = second ? exitCode(second) : Promise.resolve(0);
let secondOut = '';
second?.stdout.on('data', (c) => (secondOut += c));
second?.stderr.on('data', (c) => (secondOut += c));
const firstCode = await exitCode(run(files, {}, 'inherit'));
const secondCode = await secondDone;
if (second) {
  process.stdout.write(`\n# ---- second pass: ${integration.length} integration files with GOLB_ENGINE=${other} ----\n${secondOut}`);
}
console.log(`# engines: ${engine} (all files) ${firstCode === 0 ? 'passed' : 'FAILED'}${second ? `; ${other} (integration) ${secondCode === 0 ? 'passed' : 'FAILED'}` : ''}`);
process.exit(firstCode || secondCode);

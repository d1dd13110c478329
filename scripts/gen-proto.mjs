// Generates TypeScript types for proto/golb/v1/*.proto into proto/gen (never hand-edited).
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const outDir = join(protoDir, 'gen');
const files = readdirSync(join(protoDir, 'golb', 'v1')).filter((f) => f.endsWith('.proto')).map((f) => `golb/v1/${f}`);
const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('@grpc/proto-loader/package.json')), 'build', 'bin', 'proto-loader-gen-types.js');
rmSync(outDir, { recursive: true, force: true });
execFileSync(process.execPath, [bin, '--keepCase', '--longs=String', '--enums=String', '--defaults', '--oneofs',
  '--grpcLib=@grpc/grpc-js', '--importFileExtension=.js', `--includeDirs=${protoDir}`, `--outDir=${outDir}`, ...files],
  { stdio: 'inherit', cwd: protoDir });

// One demo backend as its own process, for containers (docker-compose.yml, deploy/kubernetes/):
//   node bin/demo-backend.js --name backend-1 --port 8001 --host 0.0.0.0
// It answers every request with its name (header X-Backend and the body), serves /health, and
// echoes WebSocket messages. SIGTERM or SIGINT closes it and exits 0.
import { parseArgs } from 'node:util';
import { startDemoBackend } from './demo-backends.js';

const HELP = `Usage: demo-backend --name NAME --port N [flags]
  --name NAME   the name it answers with (default backend)
  --port N      HTTP port (default 8001; 0 picks a free one)
  --host ADDR   address to bind (default 127.0.0.1; 0.0.0.0 in a container)
  -h, --help    this help`;

async function runDemoBackend(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = Number(values.port ?? '8001');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, got "${values.port}"`);
  const host = values.host ?? '127.0.0.1';
  const backend = await startDemoBackend(values.name ?? 'backend', port, host);
  console.log(`[demo-backend] ${backend.name} listening on http://${host}:${backend.port}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[demo-backend] ${backend.name}: ${signal}, closing`);
    void backend.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

runDemoBackend(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`demo-backend: ${(err as Error).message}`);
  process.exit(2);
});

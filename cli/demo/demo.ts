// `npm start`: three demo backends on 8001-8003, then golb (all-in-one) on the default config.
import { startDemoBackend } from './demo-backends.js';
import { main } from '../golb/main.js';

/** Under the working directory, ignored by git; `rm -rf .golb` starts the demo afresh. */
const DEMO_STATE_DIR = '.golb/state';

export async function runDemo(argv: string[]): Promise<void> {
  const backends = [];
  for (const [i, port] of [8001, 8002, 8003].entries()) backends.push(await startDemoBackend(`backend-${i + 1}`, port));
  console.log(`[demo] backends: ${backends.map((b) => `${b.name} http://127.0.0.1:${b.port}`).join(', ')}`);
  // The embedded default store: drains and `golbctl reload FILE` survive a restart of the demo.
  const stateless = !argv.some((a) => a === '--state-dir' || a.startsWith('--state-dir=') || a === '--store' || a.startsWith('--store='));
  await main(stateless ? [...argv, '--state-dir', DEMO_STATE_DIR] : argv);
  console.log(`[demo] try:  curl -i localhost:8080/     then:  npx golbctl stats`);
}

runDemo(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`golb demo: ${(err as Error).message}`);
  process.exit(1);
});

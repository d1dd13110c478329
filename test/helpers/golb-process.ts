// A `golb` launcher run as its own OS process (so it can be killed with SIGKILL), its output kept
// line by line. Every process started here is killed when the test process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const ROOT = new URL('../../', import.meta.url).pathname;
const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export interface GolbProcess {
  child: ChildProcess;
  output: string[];
  /** Resolves with the first output line (past or future) matching `re`; rejects on exit or timeout. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` (SIGKILL: no chance to clean up) and resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startGolb(args: string[], env: NodeJS.ProcessEnv = {}): GolbProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/golb/entry.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  started.add(child);
  const output: string[] = [];
  const waiters = new Set<() => void>();
  let exited: string | undefined;
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      for (const w of waiters) w();
    });
  }
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      started.delete(child);
      exited = `golb ${args.join(' ')} exited (code ${code}, signal ${signal})`;
      for (const w of waiters) w();
      resolve();
    }),
  );
  return {
    child,
    output,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of output) {
            const m = re.exec(line);
            if (m) return done(() => resolve(m));
          }
          if (exited) done(() => reject(new Error(`${exited} before printing ${re}; output:\n${output.join('\n')}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; output:\n${output.join('\n')}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(killer);
    },
  };
}

/** Starts `golb controlplane` on port 0 and resolves with its gRPC port once it listens. */
export async function startControlPlaneProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ proc: GolbProcess; grpcPort: number }> {
  const proc = startGolb(['controlplane', '--grpc-port', '0', '--admin-port=-1', ...args], env);
  const m = await proc.waitFor(/control plane: gRPC [^ ]+:(\d+)/);
  return { proc, grpcPort: Number(m[1]) };
}

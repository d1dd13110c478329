// A small Dockerfile reader for the packaging tests: instructions per stage, with line
// continuations joined, comments dropped and ARG defaults substituted.
import { read } from './launcher.js';

export interface Instruction {
  op: string;
  /** Text after the instruction keyword, continuations joined with spaces. */
  args: string;
  line: number;
}

export interface Stage {
  name: string | undefined;
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  stages: Stage[];
  /** The stage the image ends with. */
  runtime: Stage;
}

export function parseDockerfile(text = read('Dockerfile')): Dockerfile {
  const lines = text.split('\n');
  const instructions: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (/^\s*(#|$)/.test(raw)) continue;
    const start = i + 1;
    let joined = raw;
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) {
      joined = joined.replace(/\\\s*$/, ' ');
      const next = lines[++i]!;
      if (/^\s*#/.test(next)) continue;
      joined += next.trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(joined);
    if (m) instructions.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
  }
  const globalArgs = new Map<string, string>();
  const subst = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (all, a: string, b: string) => globalArgs.get(a ?? b) ?? all);
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const [from, as, name] = subst(ins.args).split(/\s+/);
      stages.push({ from: from!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.op === 'ARG') {
        const [k, v] = ins.args.split('=');
        if (v !== undefined) globalArgs.set(k!.trim(), v.trim());
      }
    } else stages.at(-1)!.instructions.push(ins);
  }
  if (stages.length === 0) throw new Error('Dockerfile has no FROM');
  return { stages, runtime: stages.at(-1)! };
}

/** The last instruction `op` of a stage. */
export function last(stage: Stage, op: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.op === op).at(-1);
}

/** Exec-form arguments (a JSON array), or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') ? (parsed as string[]) : undefined;
}

/** ENV values set in a stage (`ENV K=V` and `ENV K V`). */
export function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const ins of stage.instructions.filter((i) => i.op === 'ENV')) {
    const kv = /^(\w+)=(.*)$/.exec(ins.args) ?? /^(\w+)\s+(.*)$/.exec(ins.args);
    if (kv) env.set(kv[1]!, kv[2]!.replace(/^"(.*)"$/, '$1'));
  }
  return env;
}

/** The image's entrypoint and default command, both exec form. */
export function imageCommand(df: Dockerfile = parseDockerfile()): { entrypoint: string[]; cmd: string[] } {
  const ep = last(df.runtime, 'ENTRYPOINT');
  const cmd = last(df.runtime, 'CMD');
  return { entrypoint: (ep && execForm(ep.args)) ?? [], cmd: (cmd && execForm(cmd.args)) ?? [] };
}

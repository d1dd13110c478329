// Entry points of the config language: text (or a file) in, a validated Config or every problem
// out, sorted by position. Never throws on bad input.
import { readFile } from 'node:fs/promises';
import { sortConfigErrors, type ConfigError } from './errors.js';
import { lex } from './lexer.js';
import type { Config } from './model.js';
import type { Env } from './draft.js';
import { parseStatements } from './parser.js';
import { Problems } from './problems.js';
import { validateDraft } from './validate.js';

export type ConfigResult =
  | { ok: true; config: Config; warnings: ConfigError[] }
  | { ok: false; errors: ConfigError[]; warnings: ConfigError[] };

export interface ParseOptions {
  /**
   * Variables for `cookie secret=env:NAME`; default process.env. null: the text did not come from
   * the control plane's own file, so `env:` and `file:` references are errors, never resolved.
   */
  env?: Env | null;
}

/** Parses and validates config text; `file` names it in messages and in Config.source. */
export function parseConfig(text: string, file: string, options: ParseOptions = {}): ConfigResult {
  const problems = new Problems();
  try {
    const lexed = lex(text);
    for (const p of lexed.problems) problems.error(p, p.message);
    const draft = parseStatements(lexed.statements, problems, options.env === undefined ? process.env : options.env);
    const config = validateDraft(draft, problems, file);
    const all = sortConfigErrors(problems.list.map((p) => ({ file, ...p })));
    const errors = all.filter((e) => e.severity === 'error');
    const warnings = all.filter((e) => e.severity === 'warning');
    return errors.length > 0 ? { ok: false, errors, warnings } : { ok: true, config, warnings };
  } catch (err) {
    // A bug of ours must still come back as a result, not crash a reload.
    const message = `internal error while parsing: ${err instanceof Error ? err.message : String(err)}`;
    return { ok: false, errors: [{ file, line: 0, col: 0, message, severity: 'error' }], warnings: [] };
  }
}

/** Reads and parses a file; an unreadable file is `file:0:0: cannot read file: <reason>`. */
export async function loadConfigFile(path: string, options: ParseOptions = {}): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, errors: [{ file: path, line: 0, col: 0, message: `cannot read file: ${reason}`, severity: 'error' }], warnings: [] };
  }
  return parseConfig(text, path, options);
}

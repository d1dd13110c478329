// Interprets lexed statements, directive by directive, into a Draft: every value parsed and
// checked on its own, pools gathered by name (in any order), but references between pools,
// routes and the default not yet resolved (validate.ts does that). Problems are collected, never thrown.
// The machinery is in parser-core.ts; each family of directives has its file in directives/.
import type { Statement } from './lexer.js';
import type { Draft, Env } from './draft.js';
import { Parser, type DirectiveSpec, type DirectiveTable } from './parser-core.js';
import type { Problems } from './problems.js';
import { BACKEND_DIRECTIVES } from './directives/backends.js';
import { BALANCING_DIRECTIVES } from './directives/balancing.js';
import { DISCOVERY_DIRECTIVES } from './directives/discovery.js';
import { HEALTH_DIRECTIVES } from './directives/health.js';
import { LIMIT_DIRECTIVES } from './directives/limits.js';
import { ROUTE_DIRECTIVES } from './directives/routes.js';
import { TIMEOUT_DIRECTIVES } from './directives/timeouts.js';

/**
 * Every directive but `upstream` (a block, handled by the core). The order is the did-you-mean
 * tie-break (the first closest name wins): "poll" suggests "pool" before "route" or "cookie",
 * "serve" suggests "server" before "retries" or "resolver".
 */
const DIRECTIVES: DirectiveTable = joinTables(
  BACKEND_DIRECTIVES,
  ROUTE_DIRECTIVES,
  BALANCING_DIRECTIVES,
  HEALTH_DIRECTIVES,
  TIMEOUT_DIRECTIVES,
  LIMIT_DIRECTIVES,
  DISCOVERY_DIRECTIVES,
);

/** The families' tables as one; a name claimed by two families is our mistake, refused at load. */
function joinTables(...tables: DirectiveTable[]): DirectiveTable {
  const all: Record<string, DirectiveSpec> = {};
  for (const table of tables) {
    for (const [name, spec] of Object.entries(table)) {
      if (name in all) throw new Error(`directive "${name}" is defined by two families`);
      all[name] = spec;
    }
  }
  return all;
}

/** Every directive name, for did-you-mean (`upstream` is handled before the table). */
export const DIRECTIVE_NAMES: readonly string[] = [...Object.keys(DIRECTIVES), 'upstream'];

/** Parses statements into a Draft; problems go to `problems`. */
export function parseStatements(statements: readonly Statement[], problems: Problems, env: Env | null): Draft {
  const parser = new Parser(problems, env, DIRECTIVES);
  parser.run(statements);
  return parser.draft;
}

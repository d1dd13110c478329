// Whether a route regex is safe to run on every request: it compiles, and recheck finds no
// catastrophic (exponential or worse than quadratic) backtracking. Quadratic is only a warning.
import { checkSync } from 'recheck';
import type { Pos, Problems } from './problems.js';

/** The regex compiles and cannot backtrack catastrophically (checked with recheck). */
export function checkRegex(problems: Problems, source: string, at: Pos): boolean {
  try {
    new RegExp(source);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // V8: "Invalid regular expression: /(/: Unterminated group" — keep the reason.
    const reason = msg.slice(msg.lastIndexOf(': ') + 2) || msg;
    problems.error(at, `bad regex "${source}": ${reason}`);
    return false;
  }
  let diagnostics: ReturnType<typeof checkSync> | undefined;
  try {
    diagnostics = checkSync(source, '');
  } catch {
    // The checker failing is not the user's fault; the regex compiled.
    return true;
  }
  if (diagnostics.status === 'vulnerable' && diagnostics.complexity.type === 'polynomial' && diagnostics.complexity.degree <= 2) {
    // Quadratic: bounded by the request-line size limit; common in real routes such as
    // ^/api/(.*)/(.*)$. Worth knowing, not worth refusing.
    problems.warn(
      at,
      `regex "${source}" backtracks quadratically on long paths (attack string ${diagnostics.attack.pattern}); anchor it or use a prefix route if you can`,
    );
    return true;
  }
  if (diagnostics.status === 'vulnerable') {
    problems.error(
      at,
      `regex "${source}" can backtrack catastrophically (${diagnostics.complexity.summary} complexity, attack string ${diagnostics.attack.pattern})`,
    );
    return false;
  }
  return true;
}

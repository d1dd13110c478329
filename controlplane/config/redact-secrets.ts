// The running config text as golbctl shows it: every secret value (`cookie secret=...`, literal or
// `env:NAME`) replaced by <redacted>. Uses the lexer, so quoting and `;` are read exactly as the
// parser reads them; everything else in the text is kept byte for byte.
import { lex } from './lexer.js';

export const REDACTED = '<redacted>';

/** Attribute keys whose values are secrets. */
const SECRET_KEY = /secret|password|token/i;

export function redactConfigText(text: string): string {
  const lines = text.split('\n');
  // Per line, the [start, end) spans to replace, right to left so earlier offsets stay valid.
  const spans = new Map<number, Array<[number, number]>>();
  for (const st of lex(text).statements) {
    for (const w of st.words) {
      if (w.eqIndex < 0 || !SECRET_KEY.test(w.text.slice(0, w.eqIndex))) continue;
      const src = lines[w.line - 1] ?? '';
      const start = w.valueCol - 1;
      const end = rawWordEnd(src, start);
      const list = spans.get(w.line) ?? [];
      list.push([start, end]);
      spans.set(w.line, list);
    }
  }
  for (const [line, list] of spans) {
    let src = lines[line - 1]!;
    for (const [start, end] of list.sort((a, b) => b[0] - a[0])) src = src.slice(0, start) + REDACTED + src.slice(end);
    lines[line - 1] = src;
  }
  return lines.join('\n');
}

/** End of the raw word that continues at `i` (as the lexer reads it: quotes keep spaces; a `;` that ends the statement is not part of it). */
function rawWordEnd(src: string, i: number): number {
  while (i < src.length && !/\s/.test(src[i]!)) {
    const c = src[i]!;
    if (c === '"' || c === "'") {
      const close = src.indexOf(c, i + 1);
      i = close === -1 ? src.length : close + 1;
    } else if (c === ';' && (i + 1 === src.length || /[\s#}]/.test(src[i + 1]!))) {
      return i;
    } else {
      i++;
    }
  }
  return i;
}

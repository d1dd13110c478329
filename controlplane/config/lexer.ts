// Splits config text into statements of word tokens, each with its line and column.
// Line-oriented: a newline, a `;` at the end of a word, `{` or `}` ends a statement.
// `#` at the start of a word starts a comment; quotes ('...' or "...") keep spaces, `#` and `;`.

export interface Token {
  /** Text with quotes removed. */
  text: string;
  line: number;
  /** 1-based column of the token's first character (its opening quote if quoted). */
  col: number;
  /** Some part of the token was quoted: never a brace, a comment or a separator. */
  quoted: boolean;
  /** Index in `text` of the first `=` outside quotes (a `key=value` attribute), or -1. */
  eqIndex: number;
  /** Column of the character after that `=` (the value), or 0. */
  valueCol: number;
}

export interface Statement {
  words: Token[];
  /** What ended it: `{` opens a block, `}` closes one (with no words), `;` or end of line otherwise. */
  end: 'open' | 'close' | 'semi' | 'eol';
  line: number;
  /** Column of the `{` / `}` / `;` that ended it; 0 for end of line. */
  endCol: number;
}

export interface LexProblem {
  line: number;
  col: number;
  message: string;
}

export interface LexResult {
  statements: Statement[];
  problems: LexProblem[];
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v';

/** Tokenizes the whole text; never throws. Problems (an unterminated quote) come back as values. */
export function lex(text: string): LexResult {
  const statements: Statement[] = [];
  const problems: LexProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) lexLine(lines[i]!, i + 1, statements, problems);
  return { statements, problems };
}

function lexLine(src: string, line: number, out: Statement[], problems: LexProblem[]): void {
  let words: Token[] = [];
  const flush = (end: Statement['end'], endCol: number) => {
    if (words.length > 0 || end === 'open' || end === 'close') out.push({ words, end, line, endCol });
    words = [];
  };
  let i = 0;
  // A UTF-8 byte order mark at the start of the file is not part of the first word.
  if (line === 1 && src.charCodeAt(0) === 0xfeff) i = 1;
  while (i < src.length) {
    const c = src[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '#') break;
    const col = i + 1;
    let textOut = '';
    let quoted = false;
    let terminated = true;
    let eqIndex = -1;
    let valueCol = 0;
    while (i < src.length && !isSpace(src[i]!)) {
      const ch = src[i]!;
      if (ch === '"' || ch === "'") {
        quoted = true;
        const close = src.indexOf(ch, i + 1);
        if (close === -1) {
          problems.push({ line, col: i + 1, message: `unterminated quote: missing closing ${ch}` });
          textOut += src.slice(i + 1);
          i = src.length;
          terminated = false;
          break;
        }
        textOut += src.slice(i + 1, close);
        i = close + 1;
        continue;
      }
      // `;` ends the statement only at the end of a word: "weight=5;" but not "a;b" in a regex.
      if (ch === ';' && (i + 1 === src.length || isSpace(src[i + 1]!) || src[i + 1] === '#' || src[i + 1] === '}')) break;
      if (ch === '=' && eqIndex === -1) {
        eqIndex = textOut.length;
        valueCol = i + 2;
      }
      textOut += ch;
      i++;
    }
    if (!terminated) {
      words.push({ text: textOut, line, col, quoted, eqIndex, valueCol });
      break;
    }
    if (!quoted && textOut === '{') {
      flush('open', col);
    } else if (!quoted && textOut === '}') {
      flush('eol', 0);
      flush('close', col);
    } else if (textOut !== '' || quoted) {
      words.push({ text: textOut, line, col, quoted, eqIndex, valueCol });
    }
    if (src[i] === ';') {
      flush('semi', i + 1);
      i++;
    }
  }
  flush('eol', 0);
}

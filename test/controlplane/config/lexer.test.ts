import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lex } from '../../../controlplane/config/lexer.js';

const shape = (text: string) =>
  lex(text).statements.map((s) => [s.words.map((w) => `${w.text}@${w.line}:${w.col}`).join(' '), s.end]);

describe('lexer', () => {
  it('splits words with their columns and ends statements at end of line or ";"', () => {
    assert.deepEqual(shape('backend  http://a:1 weight=5;\n  method rr'), [
      ['backend@1:1 http://a:1@1:10 weight=5@1:21', 'semi'],
      ['method@2:3 rr@2:10', 'eol'],
    ]);
  });

  it('treats "#" at the start of a word as a comment, and keeps quoted text whole', () => {
    assert.deepEqual(shape('a b # c d\ncookie secret="x # y; z"'), [
      ['a@1:1 b@1:3', 'eol'],
      ['cookie@2:1 secret=x # y; z@2:8', 'eol'],
    ]);
  });

  it('keeps ";" inside a word (a regex), and splits one-line blocks', () => {
    assert.deepEqual(shape('route ~^/a;b x'), [['route@1:1 ~^/a;b@1:7 x@1:14', 'eol']]);
    assert.deepEqual(shape('upstream u { server s; }'), [
      ['upstream@1:1 u@1:10', 'open'],
      ['server@1:14 s@1:21', 'semi'],
      ['', 'close'],
    ]);
  });

  it('keeps braces that are part of a word (regex quantifiers)', () => {
    assert.deepEqual(shape('route ~^/v[0-9]{1,3}/ api'), [['route@1:1 ~^/v[0-9]{1,3}/@1:7 api@1:23', 'eol']]);
  });

  it('marks the key=value split outside quotes only', () => {
    const [st] = lex('x a=b "c=d" e="f=g"').statements;
    assert.deepEqual(
      st!.words.map((w) => [w.text, w.eqIndex, w.valueCol]),
      [
        ['x', -1, 0],
        ['a=b', 1, 5],
        ['c=d', -1, 0],
        ['e=f=g', 1, 15],
      ],
    );
  });

  it('reports an unterminated quote with its position', () => {
    assert.deepEqual(lex('a "b c').problems, [{ line: 1, col: 3, message: 'unterminated quote: missing closing "' }]);
  });
});

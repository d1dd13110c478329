import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath } from '../../../dataplane/routing/normalize-path.js';

describe('normalizePath', () => {
  const accepted: Array<[string, string, string]> = [
    // [request-target, path, query]
    ['/api/../admin', '/admin', ''],
    ['/api/%2e%2e/admin', '/admin', ''],
    ['/api/%2E%2E/admin', '/admin', ''],
    ['/api/.%2e/admin', '/admin', ''],
    ['/a//b', '/a/b', ''],
    ['///a///b//', '/a/b/', ''],
    ['//', '/', ''],
    ['/a%2Fb', '/a%2Fb', ''],
    ['/a%2fb', '/a%2Fb', ''],
    ['/api%2F..%2Fadmin', '/api%2F..%2Fadmin', ''],
    ['/a/%5c', '/a/%5C', ''],
    ['/%41', '/A', ''],
    ['/%7e', '/~', ''],
    ['/%7euser/%2d%2E%5F', '/~user/-._', ''],
    ['/%c3%a9', '/%C3%A9', ''],
    ['/%e2%82%ac/x/../y', '/%E2%82%AC/y', ''],
    ['/%F0%9F%98%80', '/%F0%9F%98%80', ''],
    ['/%25', '/%25', ''],
    ['/%3b/%20', '/%3B/%20', ''],
    ['/..', '/', ''],
    ['/../../etc/passwd', '/etc/passwd', ''],
    ['/a/b/..', '/a/', ''],
    ['/a/.', '/a/', ''],
    ['/a/./b', '/a/b', ''],
    ['/%2e', '/', ''],
    ['/a/', '/a/', ''],
    ['/', '/', ''],
    ['/x?a=1&b=../..', '/x', '?a=1&b=../..'],
    ['/x/../y?q=%2e%2e', '/y', '?q=%2e%2e'],
    ['/a?', '/a', '?'],
    ['/a;v=1/b', '/a;v=1/b', ''],
    ['/file.tar.gz', '/file.tar.gz', ''],
    ['/.well-known/x', '/.well-known/x', ''],
    ['/...', '/...', ''],
    // Raw bytes handed over as latin1 characters: valid UTF-8 is escaped on the way through.
    ['/caf\u00c3\u00a9', '/caf%C3%A9', ''],
  ];
  for (const [target, path, query] of accepted) {
    it(`normalizes ${JSON.stringify(target)} to ${JSON.stringify(path + query)}`, () => {
      assert.deepEqual(normalizePath(target), { path, query });
    });
  }

  const refused: Array<[string, string]> = [
    ['/a\\b', 'a literal backslash'],
    ['/%C0%AE', 'an overlong UTF-8 dot'],
    ['/%c0%ae%c0%ae/admin', 'overlong UTF-8 dots'],
    ['/%e0%80%ae', 'a three-byte overlong'],
    ['/%ED%A0%80', 'an encoded surrogate'],
    ['/%F4%90%80%80', 'a code point past U+10FFFF'],
    ['/%e9', 'a lone latin1 byte'],
    ['/%c3', 'a truncated UTF-8 sequence at the end'],
    ['/%c3x', 'a UTF-8 sequence interrupted by a raw character'],
    ['/%c3/x', 'a UTF-8 sequence interrupted by a separator'],
    ['/%80', 'a lone continuation byte'],
    ['/%00', 'an encoded NUL'],
    ['/a%0d%0aX: y', 'encoded CR LF'],
    ['/a%7F', 'an encoded DEL'],
    ['/a\tb', 'a raw control character'],
    ['/%zz', 'a non-hex escape'],
    ['/%4', 'a truncated escape'],
    ['/%', 'a bare percent'],
    ['/%4?x', 'an escape cut by the query'],
    ['/a#frag', 'a fragment'],
    ['/\u00e9', 'a raw byte that is not UTF-8'],
    ['/\u0100', 'a character that cannot be a byte'],
    ['/..;/admin', 'a dot-dot segment with path parameters'],
    ['/public/.;x/admin', 'a dot segment with path parameters'],
    ['', 'an empty target'],
    ['*', 'the asterisk form'],
    ['api/x', 'a relative path'],
    ['?x=1', 'a bare query'],
  ];
  for (const [target, what] of refused) {
    it(`refuses ${what} (${JSON.stringify(target)})`, () => {
      assert.equal(normalizePath(target), undefined);
    });
  }

  it('returns a plain path unchanged on the fast path', () => {
    for (const target of ['/api/users/42', '/a-b_c~d/e;f=g:h@i!$&\'()*+,', '/v1/x?y=../z&w=%2e', '/static/app.min.js', '/a.b/c..d/']) {
      const q = target.indexOf('?');
      const result = normalizePath(target);
      assert.deepEqual(result, { path: q === -1 ? target : target.slice(0, q), query: q === -1 ? '' : target.slice(q) });
    }
  });

  it('never yields "//", a dot segment or a bare escape of an unreserved character (seeded random paths)', () => {
    const pieces = ['/', '/', '.', '..', 'a', 'b.c', '%2e', '%2E', '%2F', '%2f', '%41', '%5c', ';', '%c3%a9', '%25', '?q=/..'];
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let acceptedCount = 0;
    for (let n = 0; n < 5000; n++) {
      let target = '/';
      const len = 1 + Math.floor(next() * 10);
      for (let k = 0; k < len; k++) target += pieces[Math.floor(next() * pieces.length)];
      const r = normalizePath(target);
      if (r === undefined) continue;
      acceptedCount++;
      assert.ok(r.path.startsWith('/'), target);
      assert.ok(!r.path.includes('//'), target);
      assert.ok(!/(^|\/)\.\.?(\/|$)/.test(r.path), `${target} -> ${r.path}`);
      assert.ok(!/%(2[eE]|41|4[1-9a-fA-F])/.test(r.path), `${target} -> ${r.path}`);
      assert.ok(!/%[0-9A-F][a-f]|%[a-f]/.test(r.path), `lower-case hex in ${r.path}`);
      assert.deepEqual(normalizePath(r.path + r.query), r, target);
    }
    assert.ok(acceptedCount > 2500, `most generated paths are valid (${acceptedCount})`);
  });

  it('is idempotent: a normalized path normalizes to itself', () => {
    for (const [target] of accepted) {
      const once = normalizePath(target)!;
      assert.deepEqual(normalizePath(once.path + once.query), once, target);
    }
  });
});

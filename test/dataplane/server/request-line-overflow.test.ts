import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientErrorStatus } from '../../../dataplane/server/client-error-status.js';
import { isRequestLineOverflow } from '../../../dataplane/server/request-line-overflow.js';

const a = 'a'.repeat(600);
const b = 'b'.repeat(600);

describe('isRequestLineOverflow', () => {
  const cases: Array<[string, string, number | undefined, boolean]> = [
    ['a long target in one read', `GET /${a} HTTP/1.1\r\nHost: x\r\n\r\n`, 605, true],
    ['a long target, parser stopped at the end of the chunk', `GET /${a}`, undefined, true],
    ['a long header in one read', `GET / HTTP/1.1\r\nHost: x\r\nX-A: ${b}\r\n\r\n`, 630, false],
    ['a long header whose line starts in this chunk', `X-A: ${b}`, undefined, false],
    ['the middle of a target split across reads', `${a}/x?y=1&z=%20`, undefined, true],
    ['the middle of a Cookie header split across reads', `${b}; c=d; e=f`, undefined, false],
    ['a pipelined second request with a long target', `GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST /${a}`, undefined, true],
    ['a header line after the request line in the same chunk', `GET /x HTTP/1.1\r\nCookie: ${b}`, undefined, false],
    ['a chunk of control bytes', '\u0000\u0001\u0002', undefined, false],
  ];
  for (const [what, text, parsed, expected] of cases) {
    it(`${expected ? '414' : '431'} for ${what}`, () => {
      assert.equal(isRequestLineOverflow(Buffer.from(text, 'latin1'), parsed), expected);
    });
  }

  it('is false for anything that is not a chunk, and never throws', () => {
    for (const [raw, parsed] of [[undefined, 0], ['GET /x', 3], [Buffer.alloc(0), 0], [Buffer.from('GET /x'), -5], [Buffer.from('GET /x'), 1e9]] as const) {
      assert.doesNotThrow(() => isRequestLineOverflow(raw, parsed));
    }
    assert.equal(isRequestLineOverflow(undefined, 0), false);
    assert.equal(isRequestLineOverflow(Buffer.alloc(0), 0), false);
  });
});

describe('clientErrorStatus', () => {
  it('maps parser errors to 414, 431, 408 and 400', () => {
    const longTarget = Buffer.from(`GET /${'a'.repeat(100)}`);
    const longHeader = Buffer.from(`GET / HTTP/1.1\r\nX-A: ${'b'.repeat(100)}`);
    assert.deepEqual(clientErrorStatus({ code: 'HPE_HEADER_OVERFLOW', rawPacket: longTarget, bytesParsed: longTarget.length }).status, 414);
    assert.deepEqual(clientErrorStatus({ code: 'HPE_HEADER_OVERFLOW', rawPacket: longHeader, bytesParsed: longHeader.length }).status, 431);
    assert.deepEqual(clientErrorStatus({ code: 'HPE_HEADER_OVERFLOW' }).status, 431);
    assert.deepEqual(clientErrorStatus({ code: 'ERR_HTTP_REQUEST_TIMEOUT' }).status, 408);
    assert.deepEqual(clientErrorStatus({ code: 'HPE_INVALID_METHOD' }), { status: 400, message: 'malformed request' });
    assert.deepEqual(clientErrorStatus({}).status, 400);
  });
});

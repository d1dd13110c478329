// The client handshake check: a table of handshakes, and the subprotocol list parser on the cases
// the `ws` server refuses (whatever ws would refuse after a backend was dialled, we refuse first).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkClientHandshake, parseSubprotocols } from '../../../dataplane/forward/websocket-handshake.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const valid = { 'sec-websocket-key': KEY, 'sec-websocket-version': '13' };

describe('checkClientHandshake', () => {
  const cases: Array<[string, { method?: string; headers: Record<string, string | undefined> }, string, string[] | string]> = [
    ['a plain handshake', { method: 'GET', headers: valid }, '/ws', []],
    ['offered subprotocols, in order', { method: 'GET', headers: { ...valid, 'sec-websocket-protocol': 'chat, superchat' } }, '/ws', ['chat', 'superchat']],
    ['a query without a fragment', { method: 'GET', headers: valid }, '/ws?room=1', []],
    ['POST', { method: 'POST', headers: valid }, '/ws', 'WebSocket handshakes use GET'],
    ['a fragment after the query', { method: 'GET', headers: valid }, '/ws?x#y', 'a fragment in the request target'],
    ['no key', { method: 'GET', headers: { ...valid, 'sec-websocket-key': undefined } }, '/ws', 'missing or invalid Sec-WebSocket-Key'],
    ['a key of 15 bytes', { method: 'GET', headers: { ...valid, 'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAA' } }, '/ws', 'missing or invalid Sec-WebSocket-Key'],
    ['version 8', { method: 'GET', headers: { ...valid, 'sec-websocket-version': '8' } }, '/ws', 'unsupported Sec-WebSocket-Version (13 expected)'],
    ['a repeated subprotocol', { method: 'GET', headers: { ...valid, 'sec-websocket-protocol': 'a, a' } }, '/ws', 'invalid Sec-WebSocket-Protocol (a comma-separated list of distinct tokens)'],
  ];
  for (const [name, req, target, expected] of cases) {
    it(`${Array.isArray(expected) ? 'accepts' : 'refuses'} ${name}`, () => {
      const r = checkClientHandshake(req, target);
      if (Array.isArray(expected)) assert.deepEqual(r, { ok: true, protocols: expected });
      else assert.deepEqual(r, { ok: false, message: expected });
    });
  }
});

describe('parseSubprotocols', () => {
  // What ws's server accepts (lib/subprotocol.js), row by row: undefined = it refuses the handshake.
  const cases: Array<[string, string[] | undefined]> = [
    ['chat', ['chat']],
    ['chat,superchat', ['chat', 'superchat']],
    ['chat, superchat', ['chat', 'superchat']],
    ['chat ,superchat', ['chat', 'superchat']],
    ['chat \t, \tsuperchat', ['chat', 'superchat']],
    ["!#$%&'*+-.^_`|~09AZaz", ["!#$%&'*+-.^_`|~09AZaz"]],
    ['', undefined],
    ['chat,', undefined],
    [',chat', undefined],
    ['a,,b', undefined],
    ['a, a', undefined],
    ['a,b,a', undefined],
    ['a b', undefined],
    ['a/b', undefined],
    ['a;b', undefined],
    ['a"b', undefined],
    ['(a)', undefined],
    ['chat,\t', undefined],
    ['\u00e9', undefined],
  ];
  for (const [value, expected] of cases) {
    it(`${expected ? 'accepts' : 'refuses'} ${JSON.stringify(value)}`, () => {
      assert.deepEqual(parseSubprotocols(value), expected);
    });
  }

  it('accepts a long list of distinct names and refuses it with one repeat at the end', () => {
    const names = Array.from({ length: 3000 }, (_, i) => `p${i}`);
    assert.equal(parseSubprotocols(names.join(','))?.length, 3000);
    assert.equal(parseSubprotocols([...names, 'p0'].join(',')), undefined);
  });
});

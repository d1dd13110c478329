import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { hashKeyOf } from '../../../dataplane/persistence/hash-key.js';

const headers: IncomingHttpHeaders = { 'x-user': 'alice', cookie: 'theme=dark; sid=abc123; other=1', 'x-empty': '' };
const req = { path: '/cart', query: '?item=7', headers, clientIp: '198.51.100.4' };

describe('hashKeyOf', () => {
  const table: Array<[string, { source: string; name: string } | null, string]> = [
    ['no spec hashes the path', null, '/cart'],
    ['an empty source hashes the path', { source: '', name: '' }, '/cart'],
    ['path', { source: 'path', name: '' }, '/cart'],
    ['uri adds the query', { source: 'uri', name: '' }, '/cart?item=7'],
    ['a header by name, case-insensitively', { source: 'header', name: 'X-User' }, 'alice'],
    ['a missing header falls back to the client ip', { source: 'header', name: 'x-tenant' }, '198.51.100.4'],
    ['an empty header falls back to the client ip', { source: 'header', name: 'x-empty' }, '198.51.100.4'],
    ['a cookie by name', { source: 'cookie', name: 'sid' }, 'abc123'],
    ['a missing cookie falls back to the client ip', { source: 'cookie', name: 'session' }, '198.51.100.4'],
    ['a cookie name that is only a prefix of another does not match it', { source: 'cookie', name: 'si' }, '198.51.100.4'],
    ['ip', { source: 'ip', name: '' }, '198.51.100.4'],
  ];
  for (const [what, spec, expected] of table) {
    it(`keys on ${what}`, () => {
      assert.equal(hashKeyOf(spec, req), expected);
    });
  }

  it('keys on the path alone for uri when there is no query', () => {
    assert.equal(hashKeyOf({ source: 'uri', name: '' }, { ...req, query: '' }), '/cart');
  });

  it('falls back to the client ip when the request has no Cookie header', () => {
    assert.equal(hashKeyOf({ source: 'cookie', name: 'sid' }, { ...req, headers: {} }), '198.51.100.4');
  });

  it('joins a repeated header into one key', () => {
    const repeated = { 'x-tags': ['a', 'b'] } as unknown as IncomingHttpHeaders;
    assert.equal(hashKeyOf({ source: 'header', name: 'x-tags' }, { ...req, headers: repeated }), 'a, b');
  });
});

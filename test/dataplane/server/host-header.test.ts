import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostAuthority } from '../../../dataplane/server/host-header.js';

describe('parseHostAuthority', () => {
  const valid: Array<[string, string, number | undefined]> = [
    ['api.example.com', 'api.example.com', undefined],
    ['API.Example.COM:8080', 'api.example.com', 8080],
    ['localhost:1', 'localhost', 1],
    ['localhost:65535', 'localhost', 65_535],
    ['example.com.', 'example.com.', undefined],
    ['my_host-1.internal', 'my_host-1.internal', undefined],
    ['127.0.0.1', '127.0.0.1', undefined],
    ['10.0.0.255:80', '10.0.0.255', 80],
    ['[::1]', '[::1]', undefined],
    ['[::1]:8443', '[::1]', 8443],
    ['[2001:DB8::42]', '[2001:db8::42]', undefined],
    ['[::ffff:192.0.2.1]:80', '[::ffff:192.0.2.1]', 80],
    ['[1:2:3:4:5:6:7:8]', '[1:2:3:4:5:6:7:8]', undefined],
  ];
  for (const [value, host, port] of valid) {
    it(`accepts ${JSON.stringify(value)}`, () => {
      assert.deepEqual(parseHostAuthority(value), { host, port });
    });
  }

  const invalid = [
    '',
    'api.example.com:@evil.net',
    'user@api.example.com',
    'api.example.com:8o',
    'api.example.com:99999',
    'api.example.com:0',
    'api.example.com:',
    'api.example.com:80:80',
    'api.example.com:123456',
    'api.example.com:-1',
    'api.example.com:+80',
    'a b.example',
    'a%2eb.example',
    'a,b.example',
    "a'b.example",
    'a;b.example',
    'a/b',
    'a\\b',
    'a?b',
    'a#b',
    '999.1.1.1',
    '1.2.3',
    '01.2.3.4',
    '1.2.3.4.5',
    '[::1',
    '::1',
    '[::1]x',
    '[::1]:',
    '[::1]:99999',
    '[fe80::1%eth0]',
    '[fe80::1%25eth0]',
    '[v1.fe]',
    '[1:2:3:4:5:6:7:8:9]',
    '[1::2::3]',
    '[127.0.0.1]',
    '[]',
    'ex\u00e4mple.com',
    'example.com\u0000',
    'x'.repeat(300),
  ];
  for (const value of invalid) {
    it(`refuses ${JSON.stringify(value.length > 40 ? `${value.slice(0, 20)}…` : value)}`, () => {
      assert.equal(parseHostAuthority(value), undefined);
    });
  }
});

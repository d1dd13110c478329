import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostnameOf, isAllowedHost } from '../../../controlplane/admin/admin-http-guard.js';

describe('hostnameOf', () => {
  const table: Array<[string | undefined, string | undefined]> = [
    ['127.0.0.1:8081', '127.0.0.1'], ['LocalHost', 'localhost'], ['[::1]:8081', '::1'], ['golb-controlplane', 'golb-controlplane'],
    [undefined, undefined], ['', undefined], ['a@b', undefined], ['host:port', undefined], ['[::1', undefined],
  ];
  for (const [host, name] of table) it(`${JSON.stringify(host)} → ${JSON.stringify(name)}`, () => assert.equal(hostnameOf(host), name));
});

describe('isAllowedHost', () => {
  const o = { listenHost: '0.0.0.0', hostNames: ['golb-controlplane'] };
  const table: Array<[string, string | undefined, boolean]> = [
    ['127.0.0.1:8081', '127.0.0.1', true],
    ['localhost:8081', '127.0.0.1', true],
    ['golb-controlplane:8081', '10.1.2.3', true],
    ['10.1.2.3:8081', '10.1.2.3', true],
    ['10.1.2.3:8081', '::ffff:10.1.2.3', true],
    ['10.9.9.9:8081', '10.1.2.3', false],
    ['attacker.example', '127.0.0.1', false],
    ['0.0.0.0:8081', '127.0.0.1', true],
  ];
  for (const [host, local, ok] of table) it(`Host ${host} on ${local} → ${ok}`, () => assert.equal(isAllowedHost(host, local, o), ok));
});

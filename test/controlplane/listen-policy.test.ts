import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkManagementListen, isLoopbackHost } from '../../controlplane/listen-policy.js';

describe('isLoopbackHost', () => {
  const table: Array<[string, boolean]> = [
    ['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['[::1]', true], ['localhost', true], ['LOCALHOST', true],
    ['::ffff:127.0.0.1', true], ['0.0.0.0', false], ['::', false], ['', false], ['10.0.0.5', false],
    ['128.0.0.1', false], ['localhost.example.com', false], ['127.0.0.1.nip.io', false],
  ];
  for (const [host, loopback] of table) it(`${JSON.stringify(host)} → ${loopback}`, () => assert.equal(isLoopbackHost(host), loopback));
});

describe('checkManagementListen', () => {
  const base = { grpcHost: '127.0.0.1', adminHost: '127.0.0.1', mutualTls: false, insecure: false };
  it('lets loopback start with no credentials', () => assert.deepEqual(checkManagementListen(base), { refusals: [], warnings: [] }));
  it('refuses gRPC beyond loopback without both tokens', () => {
    assert.match(checkManagementListen({ ...base, grpcHost: '0.0.0.0' }).refusals[0]!, /operator token .* and a data-plane token/);
    assert.match(checkManagementListen({ ...base, grpcHost: '0.0.0.0', adminToken: 'a' }).refusals[0]!, /without a data-plane token/);
    assert.match(checkManagementListen({ ...base, grpcHost: '0.0.0.0', dataplaneToken: 'd' }).refusals[0]!, /without an operator token/);
  });
  it('lets gRPC beyond loopback start with both tokens, or mutual TLS', () => {
    assert.deepEqual(checkManagementListen({ ...base, grpcHost: '0.0.0.0', adminToken: 'a', dataplaneToken: 'd' }).refusals, []);
    assert.deepEqual(checkManagementListen({ ...base, grpcHost: '10.0.0.1', mutualTls: true }).refusals, []);
  });
  it('refuses admin HTTP beyond loopback without the operator token; mutual TLS does not cover it', () => {
    assert.match(checkManagementListen({ ...base, adminHost: '::', mutualTls: true }).refusals[0]!, /admin HTTP would listen on :: without a token/);
    assert.deepEqual(checkManagementListen({ ...base, adminHost: '::', adminToken: 'a' }).refusals, []);
    assert.deepEqual(checkManagementListen({ ...base, adminHost: undefined }).refusals, []);
  });
  it('turns refusals into warnings with --insecure', () => {
    const v = checkManagementListen({ ...base, grpcHost: '0.0.0.0', adminHost: '0.0.0.0', insecure: true });
    assert.deepEqual(v.refusals, []);
    assert.equal(v.warnings.length, 2);
    assert.ok(v.warnings.every((w) => w.startsWith('WARNING (--insecure): ')));
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TrustedProxies, clientIp } from '../../../dataplane/persistence/client-ip.js';

describe('TrustedProxies', () => {
  it('recognises IPv4 CIDRs and single addresses', () => {
    const t = new TrustedProxies(['10.0.0.0/8', '192.168.1.7']);
    assert.equal(t.has('10.1.2.3'), true);
    assert.equal(t.has('192.168.1.7'), true);
    assert.equal(t.has('192.168.1.8'), false);
    assert.equal(t.has('11.0.0.1'), false);
  });

  it('recognises IPv6 ranges in any spelling', () => {
    const t = new TrustedProxies(['2001:db8::/32', '::1']);
    assert.equal(t.has('2001:db8:1::5'), true);
    assert.equal(t.has('2001:DB8:0:0::5'), true);
    assert.equal(t.has('0:0:0:0:0:0:0:1'), true);
    assert.equal(t.has('2001:db9::1'), false);
  });

  it('treats IPv4-mapped addresses as their IPv4 form, both ways', () => {
    const t = new TrustedProxies(['127.0.0.1', '::ffff:10.0.0.0/104']);
    assert.equal(t.has('::ffff:127.0.0.1'), true);
    assert.equal(t.has('::FFFF:127.0.0.1'), true);
    assert.equal(t.has('10.9.9.9'), true);
    assert.equal(t.has('::ffff:10.9.9.9'), true);
    assert.equal(t.has('::ffff:11.0.0.1'), false);
  });

  it('trusts nothing when empty and never throws on garbage', () => {
    const empty = new TrustedProxies([]);
    assert.equal(empty.has('127.0.0.1'), false);
    const t = new TrustedProxies(['0.0.0.0/0']);
    for (const junk of ['', 'garbage', '999.1.1.1', '1.2.3.4/8', '[::1]']) assert.equal(t.has(junk), false, junk);
  });

  it('rejects an entry that is not an address or CIDR, naming it', () => {
    assert.throws(() => new TrustedProxies(['10.0.0.0/33']), /10\.0\.0\.0\/33/);
    assert.throws(() => new TrustedProxies(['proxy.local']), /proxy\.local/);
    assert.throws(() => new TrustedProxies(['10.0.0.0/x']), /prefix length/);
    assert.throws(() => new TrustedProxies(['::/129']), /prefix length/);
  });
});

describe('clientIp', () => {
  const trusted = new TrustedProxies(['10.0.0.0/8', 'fd00::/8']);

  it('uses the socket address when the peer is not trusted, ignoring a spoofed X-Forwarded-For', () => {
    assert.equal(clientIp('203.0.113.9', '1.1.1.1', trusted), '203.0.113.9');
    assert.equal(clientIp('203.0.113.9', ['1.1.1.1', '10.0.0.1'], trusted), '203.0.113.9');
  });

  it('uses the socket address when there is no X-Forwarded-For', () => {
    assert.equal(clientIp('10.0.0.5', undefined, trusted), '10.0.0.5');
  });

  it('takes the right-most untrusted hop when the peer is trusted', () => {
    assert.equal(clientIp('10.0.0.5', '198.51.100.1', trusted), '198.51.100.1');
    // The client forged "6.6.6.6"; its real address was appended by our proxy chain after it.
    assert.equal(clientIp('10.0.0.5', '6.6.6.6, 198.51.100.1, 10.0.0.9', trusted), '198.51.100.1');
    assert.equal(clientIp('10.0.0.5', ['6.6.6.6', '198.51.100.1,10.0.0.9'], trusted), '198.51.100.1');
  });

  it('returns the left-most hop when every hop is trusted', () => {
    assert.equal(clientIp('10.0.0.5', '10.0.0.7, 10.0.0.9', trusted), '10.0.0.7');
  });

  it('stops at a malformed entry and keeps the last good hop', () => {
    assert.equal(clientIp('10.0.0.5', '198.51.100.1, garbage, 10.0.0.9', trusted), '10.0.0.9');
    assert.equal(clientIp('10.0.0.5', '198.51.100.1, unknown', trusted), '10.0.0.5');
    assert.equal(clientIp('10.0.0.5', '198.51.100.1,,', trusted), '10.0.0.5');
    assert.equal(clientIp('10.0.0.5', '', trusted), '10.0.0.5');
  });

  it('accepts ports and brackets in X-Forwarded-For entries', () => {
    assert.equal(clientIp('10.0.0.5', '198.51.100.1:4711', trusted), '198.51.100.1');
    assert.equal(clientIp('10.0.0.5', '[2001:db8::1]:443', trusted), '2001:db8::1');
    assert.equal(clientIp('10.0.0.5', '[2001:db8::2]', trusted), '2001:db8::2');
  });

  it('normalizes IPv6 and IPv4-mapped addresses', () => {
    assert.equal(clientIp('::ffff:203.0.113.9', undefined, trusted), '203.0.113.9');
    assert.equal(clientIp('::ffff:10.0.0.5', '2001:DB8:0:0::7', trusted), '2001:db8::7');
    assert.equal(clientIp('fd00::1', '::ffff:198.51.100.3', trusted), '198.51.100.3');
    assert.equal(clientIp('fd00::1', '0:0:0:0:0:ffff:c633:6403', trusted), '198.51.100.3');
    assert.equal(clientIp('2001:db8::9', '1.1.1.1', trusted), '2001:db8::9');
  });

  it('survives a missing socket address', () => {
    assert.equal(clientIp(undefined, '1.1.1.1', trusted), '');
  });
});

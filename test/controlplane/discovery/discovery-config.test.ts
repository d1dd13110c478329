import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorsOf, parseOk } from '../config/helpers.js';

describe('discover= and resolver directives', () => {
  it('parses a discovered backend with its interval, and the resolver', () => {
    const c = parseOk('resolver 127.0.0.1:5353 [::1]:53 10.0.0.1 ttl-min=2s nxdomain-grace=30s timeout=500ms\nbackend http://app.internal:8080 discover=dns interval=5s weight=2\n');
    assert.deepEqual(c.pools[0]!.backends[0]!.discover, { mode: 'dns', name: 'app.internal', intervalMs: 5000 });
    assert.deepEqual(c.resolver, { servers: ['127.0.0.1:5353', '[::1]:53', '10.0.0.1:53'], ttlMinMs: 2000, nxdomainGraceMs: 30_000, timeoutMs: 500, line: 1 });
  });

  it('defaults the interval to 10s and leaves the resolver to the system', () => {
    const c = parseOk('backend http://_http._tcp.app.internal discover=srv\n');
    assert.deepEqual(c.pools[0]!.backends[0]!.discover, { mode: 'srv', name: '_http._tcp.app.internal', intervalMs: 10_000 });
    assert.equal(c.resolver, undefined);
  });

  const cases: Array<[string, string, string[]]> = [
    ['discover on an IP literal', 'backend http://10.0.0.1:80 discover=dns\n', ['test.conf:1:28: discover=dns needs a DNS name, not the IP address 10.0.0.1']],
    ['discover on an IPv6 literal', 'backend http://[fd00::1]:80 discover=dns\n', ['test.conf:1:29: discover=dns needs a DNS name, not the IP address [fd00::1]']],
    ['unknown mode', 'backend http://app.test:80 discover=consul\n', ['test.conf:1:37: unknown discover mode "consul" (expected dns or srv)']],
    ['bad interval', 'backend http://app.test:80 discover=dns interval=soon\n', ['test.conf:1:50: bad duration "soon" for interval (expected e.g. 500ms, 2s, 1m, 1h, 1d or seconds)']],
    ['interval too short', 'backend http://app.test:80 discover=dns interval=10ms\n', ['test.conf:1:50: interval must be at least 100ms, got "10ms"']],
    ['interval without discover', 'backend http://app.test:80 interval=1s\n', ['test.conf:1:28: interval= only applies with discover=dns or discover=srv']],
    ['SRV name syntax', 'backend http://app.test discover=srv\n', ['test.conf:1:25: discover=srv needs an SRV name like _http._tcp.app.internal, not "app.test"']],
    ['SRV with a port', 'backend http://_http._tcp.app.test:8080 discover=srv\n', ['test.conf:1:41: discover=srv takes the ports from the SRV records: leave the port out of the URL']],
    ['bad resolver address', 'resolver dns.example:53\nbackend http://127.0.0.1:1\n', ['test.conf:1:10: bad resolver address "dns.example:53": expected an IP address, optionally with :PORT (e.g. 10.0.0.2:53)']],
    ['bad resolver port', 'resolver 127.0.0.1:0\nbackend http://127.0.0.1:1\n', ['test.conf:1:10: bad resolver address "127.0.0.1:0": port must be 1 to 65535']],
    ['bad grace', 'resolver nxdomain-grace=later\nbackend http://127.0.0.1:1\n', ['test.conf:1:25: bad duration "later" for nxdomain-grace (expected e.g. 500ms, 2s, 1m, 1h, 1d or seconds)']],
  ];
  for (const [what, text, expected] of cases) {
    it(`reports ${what} with file:line:col`, () => assert.deepEqual(errorsOf(text), expected));
  }
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { CookieSpec } from '../../../proto/index.js';
import { StickyCookie } from '../../../dataplane/persistence/cookie.js';

const T0 = 1_700_000_000_000;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function settings(overrides: Partial<CookieSpec> = {}): CookieSpec {
  return { name: 'GOLB_SESSION', ttl_s: 3600, secret: 's3cret', secure: false, previous_secrets: [], ...overrides };
}

/** The "NAME=VALUE" part of a Set-Cookie value, as a browser would send it back. */
function pairOf(setCookie: string): string {
  return setCookie.split(';')[0]!;
}

function clock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64url');
}

describe('StickyCookie', () => {
  it('issues a full Set-Cookie value with path, max-age and the safe flags', () => {
    const c = new StickyCookie(settings(), clock().now);
    const value = c.issue('pool-a/backend-1');
    assert.match(value, /^GOLB_SESSION=[A-Za-z0-9_-]{16}\.\d+\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax$/);
    assert.equal(value.split('=')[1]!.split('.')[1], String(T0 / 1000 + 3600));
  });

  it('round-trips the backend id, through a header holding other cookies', () => {
    const c = new StickyCookie(settings(), clock().now);
    for (const id of ['b1', 'api/http://10.0.0.1:8080', 'ünïcode-id', 'a|b|c']) {
      const pair = pairOf(c.issue(id));
      assert.equal(c.read(pair), id);
      assert.equal(c.read(`theme=dark; ${pair}; lang=en`), id);
    }
  });

  it('uses the configured name and TTL, and defaults when they are empty', () => {
    const named = new StickyCookie(settings({ name: 'LB', ttl_s: 60 }), clock().now);
    assert.match(named.issue('x'), /^LB=.*; Max-Age=60;/);
    const defaults = new StickyCookie(settings({ name: '', ttl_s: 0 }), clock().now);
    assert.match(defaults.issue('x'), /^GOLB_SESSION=.*; Max-Age=86400;/);
    assert.equal(named.read(pairOf(defaults.issue('x'))), undefined, 'another name is not ours');
  });

  it('adds Secure when configured, or when the request came over HTTPS', () => {
    const plain = new StickyCookie(settings(), clock().now);
    assert.ok(!plain.issue('x').includes('Secure'));
    assert.ok(plain.issue('x', true).endsWith('; Secure'));
    const always = new StickyCookie(settings({ secure: true }), clock().now);
    assert.ok(always.issue('x', false).endsWith('; Secure'));
  });

  it('rejects a cookie whose id, expiry or MAC was changed', () => {
    const c = new StickyCookie(settings(), clock().now);
    const [name, value] = pairOf(c.issue('backend-1')).split('=') as [string, string];
    const [id, expiry, mac] = value.split('.') as [string, string, string];
    const forged = [
      `${b64('backend-2')}.${expiry}.${mac}`,
      `${id}.${Number(expiry) + 86400}.${mac}`,
      `${id}.${expiry}.${mac.slice(0, -3)}${mac.endsWith('AAA') ? 'BBB' : 'AAA'}`,
      `${id}.${expiry}.${(mac[0] === 'A' ? 'B' : 'A') + mac.slice(1)}`,
      // Same bytes, non-canonical last character: not what we issue.
      `${id}.${expiry}.${mac.slice(0, -1)}${B64URL[B64URL.indexOf(mac[42]!) + 1]}`,
    ];
    for (const v of forged) assert.equal(c.read(`${name}=${v}`), undefined, v);
  });

  it('rejects a cookie signed with another secret, and accepts one signed with a previous secret', () => {
    const old = new StickyCookie(settings({ secret: 'old' }), clock().now);
    const pair = pairOf(old.issue('b1'));
    const other = new StickyCookie(settings({ secret: 'new' }), clock().now);
    other.register(['b1']);
    assert.equal(other.read(pair), undefined);
    const rotated = new StickyCookie(settings({ secret: 'new', previous_secrets: ['old'] }), clock().now);
    rotated.register(['b0', 'b1', 'b2']);
    assert.equal(rotated.read(pair), 'b1');
    assert.match(rotated.issue('b1'), /^GOLB_SESSION=/);
    assert.equal(old.read(pairOf(rotated.issue('b1'))), undefined, 'new cookies are signed with the new secret');
  });

  it('matches an independent computation: a keyed-hash token of the id, then HMAC-SHA256 over "token|expiry"', () => {
    const c = new StickyCookie(settings(), clock().now);
    const value = pairOf(c.issue('pool/127.0.0.1:31301')).slice('GOLB_SESSION='.length);
    const expiry = T0 / 1000 + 3600;
    const token = createHmac('sha256', 's3cret').update('backend\0pool/127.0.0.1:31301').digest().subarray(0, 12).toString('base64url');
    const mac = createHmac('sha256', 's3cret').update(`${token}|${expiry}`).digest('base64url');
    assert.equal(value, `${token}.${expiry}.${mac}`);
  });

  it('says nothing about the backend: no part decodes to its id, pool or address', () => {
    const c = new StickyCookie(settings(), clock().now);
    const value = pairOf(c.issue('pool/127.0.0.1:31301')).slice('GOLB_SESSION='.length);
    for (const part of value.split('.')) {
      const decoded = Buffer.from(part, 'base64url').toString('latin1');
      assert.ok(!/pool|127\.0\.0\.1|31301/.test(decoded) && !/pool|127|31301/.test(part), part);
    }
  });

  it('gives a backend the same token in every snapshot, whatever else the snapshot holds', () => {
    const one = new StickyCookie(settings(), clock().now);
    one.register(['a', 'b', 'c']);
    const two = new StickyCookie(settings(), clock().now);
    two.register(['c', 'x', 'b']);
    const pair = pairOf(one.issue('b'));
    assert.equal(pair.split('=')[1]!.split('.')[0], pairOf(two.issue('b')).split('=')[1]!.split('.')[0]);
    assert.equal(two.read(pair), 'b', 'a cookie from before the reload still pins');
    const three = new StickyCookie(settings(), clock().now);
    three.register(['a', 'c']);
    assert.equal(three.read(pair), undefined, 'a backend that left the config is not resolved');
  });

  it('treats a cookie of the earlier format (base64url of the id) as not ours', () => {
    const c = new StickyCookie(settings(), clock().now);
    c.register(['b1']);
    const expiry = T0 / 1000 + 3600;
    const mac = createHmac('sha256', 's3cret').update(`b1|${expiry}`).digest('base64url');
    assert.equal(c.read(`GOLB_SESSION=${b64('b1')}.${expiry}.${mac}`), undefined);
  });

  it('stops accepting a cookie once it expires', () => {
    const t = clock();
    const c = new StickyCookie(settings({ ttl_s: 60 }), t.now);
    const pair = pairOf(c.issue('b1'));
    t.advance(59_000);
    assert.equal(c.read(pair), 'b1');
    t.advance(1_000);
    assert.equal(c.read(pair), undefined);
  });

  it('uses the first valid one of several same-name cookies', () => {
    const c = new StickyCookie(settings(), clock().now);
    const good = pairOf(c.issue('b2'));
    assert.equal(c.read(`GOLB_SESSION=junk; ${good}`), 'b2');
    assert.equal(c.read(`${good}; ${pairOf(c.issue('b3'))}`), 'b2');
  });

  it('accepts a double-quoted value', () => {
    const c = new StickyCookie(settings(), clock().now);
    const [name, value] = pairOf(c.issue('b1')).split('=') as [string, string];
    assert.equal(c.read(`${name}="${value}"`), 'b1');
  });

  it('reads its cookie anywhere in a Cookie header of any size the head limit admits', () => {
    const c = new StickyCookie(settings(), clock().now);
    const pair = pairOf(c.issue('b1'));
    const pad = Array.from({ length: 400 }, (_, i) => `c${i}=${'x'.repeat(30)}`).join('; ');
    assert.ok(pad.length > 12_000);
    assert.equal(c.read(`${pair}; ${pad}`), 'b1');
    assert.equal(c.read(`${pad}; ${pair}`), 'b1');
    // Two Cookie header lines reach us joined with "; " (Node's rule for Cookie).
    assert.equal(c.read(`${pad}; ${pad}; ${pair}`), 'b1');
    const longId = 'b'.repeat(400);
    assert.equal(c.read(pairOf(c.issue(longId))), longId, 'the value has a fixed size, whatever the id');
    assert.equal(c.read(`GOLB_SESSION=${'A'.repeat(600)}; ${pair}`), 'b1', 'an oversized value is skipped, not fatal');
  });

  it('tries at most four same-name values per header, however long the header is', () => {
    const c = new StickyCookie(settings(), clock().now);
    const pair = pairOf(c.issue('b1'));
    const junk = Array.from({ length: 4 }, (_, i) => `GOLB_SESSION=junk${i}`).join('; ');
    assert.equal(c.read(`${junk}; ${pair}`), undefined);
    assert.equal(c.read(`${junk.split('; ').slice(1).join('; ')}; ${pair}`), 'b1');
  });

  it('never throws on garbage', () => {
    const c = new StickyCookie(settings(), clock().now);
    const junk = [
      undefined, '', ';', '=', ';;;', 'GOLB_SESSION', 'GOLB_SESSION=', 'GOLB_SESSION=%%%not-a-cookie',
      'GOLB_SESSION=a.b.c', 'GOLB_SESSION=a.b', 'GOLB_SESSION=...', 'GOLB_SESSION=.1.', 'GOLB_SESSION="',
      'GOLB_SESSION=ÿÿÿ.1.ÿ', `GOLB_SESSION=${b64('x')}.99999999999999999999.${'A'.repeat(43)}`,
      `GOLB_SESSION=${b64('x')}.9999999999.${'A'.repeat(42)}`, `GOLB_SESSION=${b64('x')}.9999999999.${'A'.repeat(44)}`,
      `GOLB_SESSION=${b64('x')}.9999999999.${'A'.repeat(43)}`, `GOLB_SESSION=${'='.repeat(600)}`,
      'GOLB_SESSION=\u0000\u0001.\u0002.\u0003', 'GOLB_SESSION=a.b.c; GOLB_SESSION=d.e.f; GOLB_SESSION=g.h.i; GOLB_SESSION=j.k.l; GOLB_SESSION=m.n.o',
      `GOLB_SESSION=${'A'.repeat(511)}`, 'x'.repeat(9000),
    ];
    for (const h of junk) assert.equal(c.read(h), undefined, String(h));
  });

  it('refuses an empty secret or an invalid cookie name at construction', () => {
    assert.throws(() => new StickyCookie(settings({ secret: '' })), /secret/);
    assert.throws(() => new StickyCookie(settings({ name: 'bad name;' })), /not a valid token/);
  });
});

describe('StickyCookie verified-value cache', () => {
  it('still honours the expiry of a value it has verified before', () => {
    let now = 1_000_000_000_000;
    const cookie = new StickyCookie({ name: 'S', ttl_s: 60, secret: 'k', secure: false, previous_secrets: [] }, () => now);
    const pair = cookie.issue('pool/10.0.0.1:80').split(';')[0]!;
    assert.equal(cookie.read(pair), 'pool/10.0.0.1:80');
    assert.equal(cookie.read(pair), 'pool/10.0.0.1:80', 'second read (from the cache) agrees');
    now += 61_000;
    assert.equal(cookie.read(pair), undefined, 'expired, cached or not');
  });

  it('does not carry verified values across a secret rotation', () => {
    const old = new StickyCookie({ name: 'S', ttl_s: 60, secret: 'old', secure: false, previous_secrets: [] });
    const pair = old.issue('pool/a:80').split(';')[0]!;
    assert.equal(old.read(pair), 'pool/a:80');
    const rotated = new StickyCookie({ name: 'S', ttl_s: 60, secret: 'new', secure: false, previous_secrets: [] });
    rotated.register(['pool/a:80']);
    assert.equal(rotated.read(pair), undefined);
  });
});

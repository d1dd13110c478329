import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import type { PersistenceSpec } from '../../../proto/index.js';
import type { Balancer, BalancerTarget, PickContext } from '../../../dataplane/balancers/balancer.js';
import { StickyCookie } from '../../../dataplane/persistence/cookie.js';
import { createSelector, type SelectRequest } from '../../../dataplane/persistence/selector.js';
import { pickContext } from '../../kit/balancing.js';

interface Target extends BalancerTarget {
  readonly id: string;
  readonly weight: number;
}

const targets: readonly Target[] = ['a', 'b', 'c', 'd'].map((id) => ({ id, weight: 1 }));

/** Round robin over the available targets: a balancer that would move a client on every request. */
function roundRobin(list: readonly Target[]): Balancer<Target> & { keys: Array<string | undefined> } {
  let next = 0;
  const keys: Array<string | undefined> = [];
  return {
    keys,
    pick(ctx) {
      keys.push(ctx.key);
      for (let i = 0; i < list.length; i++) {
        const t = list[(next + i) % list.length]!;
        if (ctx.isAvailable(t)) {
          next = (next + i + 1) % list.length;
          return t;
        }
      }
      return undefined;
    },
  };
}

/** A stateless hash balancer (FNV-1a over the key, modulo the available targets). */
function hashing(list: readonly Target[]): Balancer<Target> {
  return {
    pick(ctx) {
      const up = list.filter((t) => ctx.isAvailable(t));
      if (up.length === 0) return undefined;
      let h = 0x811c9dc5;
      for (const ch of ctx.key ?? '') h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
      return up[h % up.length];
    },
  };
}

/** The kit's pick context, available by predicate. */
const ctxWith = (available: (t: Target) => boolean = () => true): PickContext<Target> => pickContext<Target>({ available });

function request(headers: IncomingHttpHeaders = {}, extra: Partial<SelectRequest> = {}): SelectRequest {
  return { path: '/', query: '', headers, clientIp: '198.51.100.1', secure: false, ...extra };
}

const cookie = new StickyCookie({ name: 'GOLB_SESSION', ttl_s: 3600, secret: 'k', secure: false, previous_secrets: [] });
const persistence = (type: string, key: PersistenceSpec['key'] = null): PersistenceSpec => ({ type, key });
const everyone = () => true;

function pairOf(setCookie: string | undefined): string {
  assert.ok(setCookie, 'a Set-Cookie value');
  return setCookie.split(';')[0]!;
}

describe('createSelector', () => {
  it('without persistence, returns what the balancer picks and sets no cookie', () => {
    for (const spec of [null, persistence('none'), persistence('')]) {
      const s = createSelector(spec, roundRobin(targets), targets, cookie);
      const picks = Array.from({ length: 5 }, () => s.select(request(), ctxWith(), everyone));
      assert.deepEqual(picks.map((p) => p.target?.id), ['a', 'b', 'c', 'd', 'a']);
      assert.ok(picks.every((p) => p.setCookie === undefined));
    }
  });

  it('returns no target when nothing is available', () => {
    const s = createSelector(persistence('cookie'), roundRobin(targets), targets, cookie);
    const r = s.select(request(), ctxWith(() => false), everyone);
    assert.equal(r.target, undefined);
    assert.equal(r.setCookie, undefined);
  });

  it('refuses an unknown persistence type, and accepts "-" for "_"', () => {
    assert.throws(() => createSelector(persistence('sticky'), roundRobin(targets), targets, cookie), /unknown persistence type "sticky"/);
    const s = createSelector(persistence('ip-hash'), hashing(targets), targets, cookie);
    assert.ok(s.select(request(), ctxWith(), everyone).target);
  });
});

describe('cookie persistence', () => {
  it('pins a new client and keeps it on that target over 100 selects without re-issuing', () => {
    const s = createSelector(persistence('cookie'), roundRobin(targets), targets, cookie);
    s.select(request(), ctxWith(), everyone); // move the cursor so the pin is not simply "a"
    const first = s.select(request(), ctxWith(), everyone);
    assert.equal(first.target?.id, 'b');
    assert.equal(cookie.read(pairOf(first.setCookie)), 'b');
    const headers = { cookie: `x=1; ${pairOf(first.setCookie)}` };
    for (let i = 0; i < 100; i++) {
      const r = s.select(request(headers), ctxWith(), everyone);
      assert.equal(r.target?.id, 'b', `select ${i}`);
      assert.equal(r.setCookie, undefined);
    }
  });

  it('re-pins a client whose cookie was tampered with, issuing a fresh cookie', () => {
    const s = createSelector(persistence('cookie'), roundRobin(targets), targets, cookie);
    const issued = pairOf(cookie.issue('c'));
    const tampered = issued.replace(/^GOLB_SESSION=[^.]+/, `GOLB_SESSION=${Buffer.from('d').toString('base64url')}`);
    const r = s.select(request({ cookie: tampered }), ctxWith(), everyone);
    assert.equal(r.target?.id, 'a', 'the balancer chose, not the forged cookie');
    assert.equal(cookie.read(pairOf(r.setCookie)), 'a');
  });

  it('re-pins a client whose cookie names a backend this pool does not have', () => {
    const s = createSelector(persistence('cookie'), roundRobin(targets), targets, cookie);
    const r = s.select(request({ cookie: pairOf(cookie.issue('elsewhere')) }), ctxWith(), everyone);
    assert.equal(r.target?.id, 'a');
    assert.equal(cookie.read(pairOf(r.setCookie)), 'a');
  });

  it('moves a client whose pinned target cannot keep it, with a cookie for the new target', () => {
    const s = createSelector(persistence('cookie'), roundRobin(targets), targets, cookie);
    const pinnedToA = { cookie: pairOf(cookie.issue('a')) };
    const downA = (t: Target) => t.id !== 'a';
    const r = s.select(request(pinnedToA), ctxWith(downA), downA);
    assert.equal(r.target?.id, 'b');
    assert.equal(cookie.read(pairOf(r.setCookie)), 'b');
  });

  it('keeps a pinned client on a target that takes no new sessions but still accepts sticky ones (draining)', () => {
    const s = createSelector(persistence('cookie'), roundRobin(targets), targets, cookie);
    const notNew = (t: Target) => t.id !== 'c';
    const r = s.select(request({ cookie: pairOf(cookie.issue('c')) }), ctxWith(notNew), everyone);
    assert.equal(r.target?.id, 'c');
    assert.equal(r.setCookie, undefined);
    const fresh = s.select(request(), ctxWith(notNew), everyone);
    assert.notEqual(fresh.target?.id, 'c', 'a new client never lands on it');
  });

  it('marks the cookie Secure for a request over HTTPS', () => {
    const s = createSelector(persistence('cookie'), roundRobin(targets), targets, cookie);
    assert.match(s.select(request({}, { secure: true }), ctxWith(), everyone).setCookie ?? '', /; Secure$/);
    assert.doesNotMatch(s.select(request(), ctxWith(), everyone).setCookie ?? '', /Secure/);
  });
});

describe('hash persistence', () => {
  it('ip_hash hands the balancer the client address as the key', () => {
    const balancer = roundRobin(targets);
    const s = createSelector(persistence('ip_hash'), balancer, targets, cookie);
    const r = s.select(request({ 'x-forwarded-for': '6.6.6.6' }, { clientIp: '203.0.113.5' }), ctxWith(), everyone);
    assert.equal(r.setCookie, undefined);
    assert.deepEqual(balancer.keys, ['203.0.113.5']);
  });

  it('consistent_hash hands the balancer the configured key, the path by default', () => {
    const balancer = roundRobin(targets);
    const byPath = createSelector(persistence('consistent_hash'), balancer, targets, cookie);
    byPath.select(request({}, { path: '/img/1.png', query: '?v=2' }), ctxWith(), everyone);
    const byHeader = createSelector(persistence('consistent_hash', { source: 'header', name: 'x-tenant' }), balancer, targets, cookie);
    byHeader.select(request({ 'x-tenant': 'acme' }), ctxWith(), everyone);
    byHeader.select(request({}, { clientIp: '192.0.2.8' }), ctxWith(), everyone);
    assert.deepEqual(balancer.keys, ['/img/1.png', 'acme', '192.0.2.8']);
  });

  it('makes the same choice for the same key in two selectors built from the same inputs', () => {
    const specs = [persistence('ip_hash'), persistence('consistent_hash', { source: 'cookie', name: 'sid' }), persistence('consistent_hash')];
    for (const spec of specs) {
      const one = createSelector(spec, hashing(targets), targets, cookie);
      const two = createSelector(spec, hashing(targets), targets, cookie);
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const req = request({ cookie: `sid=user-${i}` }, { clientIp: `10.0.${i >> 8}.${i & 255}`, path: `/item/${i}` });
        const a = one.select(req, ctxWith(), everyone).target!;
        // The same client again, on the other data plane, several times.
        for (let k = 0; k < 3; k++) assert.equal(two.select(req, ctxWith(), everyone).target, a, `${spec.type} ${i}`);
        seen.add(a.id);
      }
      assert.equal(seen.size, targets.length, `${spec.type} spreads keys over every target`);
    }
  });
});

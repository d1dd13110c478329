// The sticky cookie under attack: forged, truncated, expired, tampered, replayed after the secret
// rotates, oversized or plain garbage — each is ignored, the client is re-pinned with a fresh
// cookie signed by the current secret, and nothing answers 500.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';

const NAME = 'SID';

/** golb's opaque token for a backend: HMAC-SHA256(secret, "backend\0" + id), first 12 bytes, base64url. */
function tokenOf(secret: string, backendId: string): string {
  return createHmac('sha256', secret).update(`backend\0${backendId}`).digest().subarray(0, 12).toString('base64url');
}

/** A cookie value in golb's format: token.expiry.base64url(HMAC-SHA256(secret, "token|expiry")). */
function sign(secret: string, backendId: string, expiry: number): string {
  const token = tokenOf(secret, backendId);
  const mac = createHmac('sha256', secret).update(`${token}|${expiry}`).digest('base64url');
  return `${token}.${expiry}.${mac}`;
}

/** Which of `candidates` a cookie value names, if `secret` signed it and it has not expired. */
function verify(secret: string, value: string, candidates: readonly string[]): string | undefined {
  const [, expiry] = value.split('.');
  if (!expiry || Number(expiry) * 1000 <= Date.now()) return undefined;
  return candidates.find((id) => sign(secret, id, Number(expiry)) === value);
}

const idOf = (pool: string, b: FakeBackend) => `${pool}/127.0.0.1:${b.port}`;

describe('sticky cookies under attack', () => {
  let a: FakeBackend;
  let b: FakeBackend;
  let c: FakeBackend;
  let cluster: Cluster;
  let port: number;
  const config = (secret: string) => `
method round_robin
health_check off
persistence cookie
cookie name=${NAME} secret=${secret} ttl=1h
backend ${a.url}
backend ${b.url}
backend ${c.url} pool=other
route /other/* backend_pool=other
`;
  before(async () => {
    a = await startFakeBackend({ name: 'a' });
    b = await startFakeBackend({ name: 'b' });
    c = await startFakeBackend({ name: 'c' });
    cluster = await startCluster(config('first-secret'));
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await Promise.all([a, b, c].map((x) => x.close()));
  });

  /** One request with `cookie` as the Cookie header; the status, serving backend and new cookie value. */
  async function visit(cookie: string | undefined, path = '/page') {
    const r = await request(port, path, { headers: cookie === undefined ? {} : { cookie } });
    const set = r.headers['set-cookie']?.find((s) => s.startsWith(`${NAME}=`));
    return { status: r.status, backend: r.headers['x-backend'] as string, issued: set?.slice(NAME.length + 1).split(';')[0] };
  }

  /** The cookie was ignored: answered, re-pinned with a fresh cookie that the current secret signed. */
  async function assertIgnored(cookie: string, secret = 'first-secret') {
    const r = await visit(cookie);
    assert.equal(r.status, 200, `cookie ${JSON.stringify(cookie.slice(0, 80))}`);
    assert.ok(r.issued, `a new cookie is issued for ${JSON.stringify(cookie.slice(0, 80))}`);
    const pinned = verify(secret, r.issued, [idOf('default', a), idOf('default', b), idOf('other', c)]);
    assert.ok(pinned, 'the new cookie is signed with the current secret');
    assert.equal(pinned, r.backend === 'a' ? idOf('default', a) : idOf('default', b), 'and names the backend that served');
  }

  it('issues a cookie, then honours it without re-issuing', async () => {
    const first = await visit(undefined);
    assert.ok(first.issued);
    for (let i = 0; i < 10; i++) {
      const r = await visit(`${NAME}=${first.issued}`);
      assert.deepEqual([r.status, r.backend, r.issued], [200, first.backend, undefined]);
    }
  });

  it('honours a cookie signed with the current secret (the format the attacks below start from)', async () => {
    const value = sign('first-secret', idOf('default', b), Math.floor(Date.now() / 1000) + 600);
    for (let i = 0; i < 5; i++) assert.deepEqual(await visit(`${NAME}=${value}`), { status: 200, backend: 'b', issued: undefined });
  });

  it('ignores and re-issues a forged cookie (signed with another secret, or a MAC one character off)', async () => {
    const expiry = Math.floor(Date.now() / 1000) + 600;
    await assertIgnored(`${NAME}=${sign('guessed-secret', idOf('default', b), expiry)}`);
    const good = sign('first-secret', idOf('default', b), expiry);
    const flipped = good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A');
    await assertIgnored(`${NAME}=${flipped}`);
    // A later expiry with the old MAC: tampering with the expiry breaks the signature.
    const [id, , mac] = good.split('.');
    await assertIgnored(`${NAME}=${id}.${expiry + 86_400 * 365}.${mac}`);
  });

  it('ignores and re-issues truncated cookies', async () => {
    const good = sign('first-secret', idOf('default', b), Math.floor(Date.now() / 1000) + 600);
    for (const n of [0, 1, 5, good.indexOf('.'), good.indexOf('.') + 1, good.lastIndexOf('.'), good.length - 1]) {
      await assertIgnored(`${NAME}=${good.slice(0, n)}`);
    }
  });

  it('ignores and re-issues an expired cookie', async () => {
    await assertIgnored(`${NAME}=${sign('first-secret', idOf('default', b), Math.floor(Date.now() / 1000) - 1)}`);
    await assertIgnored(`${NAME}=${sign('first-secret', idOf('default', b), 0)}`);
  });

  it('ignores and re-issues a correctly signed cookie for another pool or an unknown backend', async () => {
    const expiry = Math.floor(Date.now() / 1000) + 600;
    await assertIgnored(`${NAME}=${sign('first-secret', idOf('other', c), expiry)}`);
    await assertIgnored(`${NAME}=${sign('first-secret', 'default/10.9.9.9:80', expiry)}`);
    await assertIgnored(`${NAME}=${sign('first-secret', `${idOf('default', b)}|${expiry}`, expiry)}`);
  });

  it('ignores and re-issues oversized cookie values', async () => {
    const expiry = Math.floor(Date.now() / 1000) + 600;
    await assertIgnored(`${NAME}=${'A'.repeat(600)}.${expiry}.${'B'.repeat(43)}`);
    await assertIgnored(`${NAME}=${sign('first-secret', `default/${'x'.repeat(400)}`, expiry)}`);
  });

  it('ignores and re-issues malformed cookies, never answering 500', async () => {
    const expiry = Math.floor(Date.now() / 1000) + 600;
    const good = sign('first-secret', idOf('default', b), expiry);
    for (const cookie of [
      `${NAME}=`,
      `${NAME}`,
      `${NAME}==`,
      `${NAME}=..`,
      `${NAME}="`,
      `${NAME}=""`,
      `${NAME}=%00%ff`,
      `${NAME}=a.b.c`,
      `${NAME}=${good}.extra`,
      `${NAME}=.${good}`,
      `${NAME}=${good.replace(/\./g, '..')}`,
      `${NAME}=${Buffer.from(idOf('default', b)).toString('base64')}.${expiry}.${good.split('.')[2]}`,
      `${NAME}=${good.split('.')[0]}.-5.${good.split('.')[2]}`,
      `${NAME}=${good.split('.')[0]}.1e20.${good.split('.')[2]}`,
      Array.from({ length: 50 }, (_, i) => `${NAME}=junk${i}`).join('; '),
      `x=1;;;; ;${NAME}=junk`,
    ]) {
      await assertIgnored(cookie);
    }
  });

  it('survives random cookie headers: every answer is a 200', async () => {
    const alphabet = 'abcXYZ019=;.,"\\-_ \t%!#$&\'()*+/:<>?@[]^`{|}~';
    for (let i = 0; i < 150; i++) {
      const bytes = randomBytes(1 + (i % 120));
      const text = Array.from(bytes, (x) => alphabet[x % alphabet.length]).join('').trim() || 'x';
      const r = await visit(`${NAME}=${text}; ${text}`);
      assert.equal(r.status, 200, `cookie ${JSON.stringify(text)}`);
    }
  });

  it('ignores and re-issues a cookie replayed after the secret rotates', async () => {
    const pinned = sign('first-secret', idOf('default', b), Math.floor(Date.now() / 1000) + 600);
    assert.equal((await visit(`${NAME}=${pinned}`)).issued, undefined, 'honoured before the rotation');
    const reloaded = await cluster.reload(config('second-secret'));
    assert.equal(reloaded.ok, true, JSON.stringify(reloaded.errors));
    await waitFor('the data plane to apply the new secret', () => cluster.dps[0]!.version() === reloaded.version);
    await assertIgnored(`${NAME}=${pinned}`, 'second-secret');
    // A cookie the new secret signs is honoured.
    const fresh = sign('second-secret', idOf('default', a), Math.floor(Date.now() / 1000) + 600);
    assert.deepEqual(await visit(`${NAME}=${fresh}`), { status: 200, backend: 'a', issued: undefined });
  });
});

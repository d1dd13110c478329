// Stickiness holds for every request golb accepts: a Cookie header of any size the head limit
// (max_header_size, 16 KiB by default) admits, split over several Cookie lines or not, still pins the client. (It used to stop being
// read past 8 KiB while heads up to max_header_size were accepted: round robin moved the client.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, startCluster, type Cluster } from '../helpers/cluster.js';
import { parseResponses, rawExchange } from './raw-client.js';

const NAME = 'SID';

/** `bytes` of other cookies, as a site with many of them sends. */
function padding(bytes: number, tag = 'p'): string {
  const pairs: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const pair = `${tag}${i}=${'v'.repeat(90)}`;
    pairs.push(pair);
    size += pair.length + 2;
  }
  return pairs.join('; ');
}

describe('sticky cookies and large Cookie headers', () => {
  let a: FakeBackend;
  let b: FakeBackend;
  let cluster: Cluster;
  let port: number;
  before(async () => {
    a = await startFakeBackend({ name: 'a' });
    b = await startFakeBackend({ name: 'b' });
    cluster = await startCluster(`
method round_robin
health_check off
persistence cookie
cookie name=${NAME} secret=size-test ttl=1h
backend ${a.url}
backend ${b.url}
`);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await Promise.all([a, b].map((x) => x.close()));
  });

  async function pin(): Promise<{ pair: string; backend: string }> {
    const r = await request(port, '/');
    const set = r.headers['set-cookie']?.find((s) => s.startsWith(`${NAME}=`));
    assert.ok(set, 'a cookie is issued');
    return { pair: set.split(';')[0]!, backend: r.headers['x-backend'] as string };
  }

  it('keeps the client on its backend with a Cookie header of 7 KiB up to the 16 KiB head limit, the pin first or last', async () => {
    const { pair, backend } = await pin();
    for (const size of [7 * 1024, 9 * 1024, 12 * 1024, 15 * 1024]) {
      for (const cookie of [`${padding(size)}; ${pair}`, `${pair}; ${padding(size)}`]) {
        // Round robin would alternate between a and b: two in a row on the same backend is the pin.
        for (let i = 0; i < 2; i++) {
          const r = await request(port, '/', { headers: { cookie } });
          assert.equal(r.status, 200, `Cookie header of ${cookie.length} bytes`);
          assert.equal(r.headers['x-backend'], backend, `Cookie header of ${cookie.length} bytes keeps the pin`);
          assert.equal(r.headers['set-cookie'], undefined, `no re-issue with a Cookie header of ${cookie.length} bytes`);
        }
      }
    }
  });

  it('keeps the client on its backend when the cookies come on several Cookie lines', async () => {
    const { pair, backend } = await pin();
    for (let i = 0; i < 2; i++) {
      const head =
        `GET / HTTP/1.1\r\nHost: sticky.example\r\nCookie: ${padding(7 * 1024, 'x')}\r\nCookie: ${padding(7 * 1024, 'y')}\r\n` +
        `Cookie: ${pair}\r\nConnection: close\r\n\r\n`;
      const [res] = parseResponses((await rawExchange(port, head, { responses: 1, timeoutMs: 5000 })).text);
      assert.ok(res, 'a response');
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-backend'], backend);
      assert.equal(res.headers['set-cookie'], undefined);
    }
  });
});

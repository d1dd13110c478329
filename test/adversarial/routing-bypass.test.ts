// Path normalization bypasses: whatever spelling a client uses, the pool that serves a request is
// the pool its normalized path routes to, and the backend receives that same normalized path —
// never a path that would have routed elsewhere. And a regex that could backtrack
// catastrophically never reaches a data plane: the reload is refused, naming its line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { adminClient } from '../helpers/admin-client.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { parseResponses, rawExchange } from './raw-client.js';

/** What the routes below do with a normalized path. */
function poolFor(path: string): string {
  const p = path.split('?')[0]!;
  if (p === '/admin' || p.startsWith('/admin/')) return 'admin';
  if (p === '/api' || p.startsWith('/api/')) return 'api';
  return 'web';
}

/** request-target as sent → [status, pool that serves it, path+query the backend receives]. */
const CASES: Array<[string, number, string?, string?]> = [
  ['/api/../admin/secret', 200, 'admin', '/admin/secret'],
  ['/api/%2e%2e/admin/secret', 200, 'admin', '/admin/secret'],
  ['/api/%2E%2E/admin/secret', 200, 'admin', '/admin/secret'],
  ['/api/.%2e/admin/secret', 200, 'admin', '/admin/secret'],
  ['/api/./../admin/secret', 200, 'admin', '/admin/secret'],
  ['/api/x/../../admin/secret', 200, 'admin', '/admin/secret'],
  ['/../../admin/secret', 200, 'admin', '/admin/secret'],
  ['/API/../admin', 200, 'admin', '/admin'],
  ['/admin/..', 200, 'web', '/'],
  ['//admin/secret', 200, 'admin', '/admin/secret'],
  ['///api//users', 200, 'api', '/api/users'],
  ['/%61dmin/secret', 200, 'admin', '/admin/secret'],
  ['/%61pi/../%61dmin', 200, 'admin', '/admin'],
  ['http://x/api/../admin/secret', 200, 'admin', '/admin/secret'],
  // %2F and %5C are data, not separators: they never split or climb a segment.
  ['/api%2F..%2Fadmin/secret', 200, 'web', '/api%2F..%2Fadmin/secret'],
  ['/api/..%2Fadmin/secret', 200, 'api', '/api/..%2Fadmin/secret'],
  ['/api/%2e%2e%2fadmin', 200, 'api', '/api/..%2Fadmin'],
  ['/admin%2Fsecret', 200, 'web', '/admin%2Fsecret'],
  ['/api/%5c../admin', 200, 'api', '/api/%5C../admin'],
  ['/api/%252e%252e/admin', 200, 'api', '/api/%252e%252e/admin'],
  ['/api/%23/../admin', 200, 'api', '/api/admin'],
  ['/api/x?p=../../admin', 200, 'api', '/api/x?p=../../admin'],
  ['/adminx', 200, 'web', '/adminx'],
  ['/api/%C3%A9', 200, 'api', '/api/%C3%A9'],
  // Refused outright: backslashes, overlong UTF-8, dot segments with parameters, NUL, bad escapes.
  ['/api\\..\\admin', 400],
  ['/admin\\secret', 400],
  ['/api/%c0%ae%c0%ae/admin', 400],
  ['/api/%e0%80%ae/admin', 400],
  ['/api/%c0%af', 400],
  ['/api/%ff', 400],
  ['/api/..;/admin/secret', 400],
  ['/api/%2e%2e;x/admin', 400],
  ['/admin%00/x', 400],
  ['/api/%zz', 400],
  ['/api/x#frag', 400],
  ['*', 400],
  ['api/../admin', 400],
];

describe('path normalization bypasses', () => {
  const b: Record<string, FakeBackend> = {};
  let cluster: Cluster;
  let port: number;
  let config: string;
  before(async () => {
    for (const name of ['web', 'api', 'admin']) b[name] = await startFakeBackend({ name });
    config = [
      'method round_robin',
      'health_check off',
      `backend ${b.web!.url}`,
      `backend ${b.api!.url} pool=api`,
      `backend ${b.admin!.url} pool=admin`,
      'route /admin/* backend_pool=admin',
      'route /api/* backend_pool=api',
      '',
    ].join('\n');
    cluster = await startCluster(config);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await Promise.all(Object.values(b).map((x) => x.close()));
  });

  const total = () => Object.values(b).reduce((n, x) => n + x.requests.length, 0);

  for (const [target, status, pool, path] of CASES) {
    it(`${JSON.stringify(target)} → ${status}${pool ? ` from ${pool} as ${path}` : ', to no backend'}`, async () => {
      const before = Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v.requests.length]));
      const r = await rawExchange(port, Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1'), { responses: 1 });
      const [res] = parseResponses(r.text);
      assert.equal(res?.status, status, r.text.slice(0, 120));
      const got = Object.entries(b).flatMap(([name, x]) => x.requests.slice(before[name]).map((q) => [name, q.url]));
      if (status !== 200) {
        assert.deepEqual(got, [], 'a refused request reaches no backend');
        return;
      }
      assert.deepEqual(got, [[pool, path]]);
      // The invariant behind every row: the serving pool is the one the received path routes to.
      assert.equal(poolFor(path!), pool);
    });
  }

  it('refuses a catastrophic regex at reload, naming each line, and keeps serving the last good config', async () => {
    const version = cluster.dps[0]!.version();
    const bad = `${config}route ~^(a+)+$ backend_pool=api\nroute ~^/x/(\\w|\\d)*z$ backend_pool=api\nroute /ok/* backend_pool=api header=X-T:~^(a|aa)+$\n`;
    const firstBadLine = config.split('\n').length;
    const outcome = await cluster.reload(bad);
    assert.equal(outcome.ok, false);
    const errors = outcome.errors ?? [];
    assert.equal(errors.length, 3, errors.join('\n'));
    assert.match(errors[0]!, new RegExp(`:${firstBadLine}:\\d+: regex "\\^\\(a\\+\\)\\+\\$" can backtrack catastrophically`));
    assert.match(errors[1]!, new RegExp(`:${firstBadLine + 1}:\\d+: regex .* can backtrack catastrophically`));
    assert.match(errors[2]!, new RegExp(`:${firstBadLine + 2}:\\d+: regex "\\^\\(a\\|aa\\)\\+\\$" can backtrack catastrophically`));
    for (const e of errors) assert.match(e, /attack string/);
    // Nothing changed on the data plane, which still routes as before. The refusal is the event:
    // the control plane keeps the old version (nothing new to send) and the data plane has ACKed it.
    const admin = adminClient(cluster.cp.grpcPort);
    try {
      assert.equal((await admin.stats()).version, version, 'the control plane kept the last good version');
      assert.deepEqual((await admin.dataplanes()).dataplanes.map((d) => `${d.version} ${d.ack_state}`), [`${version} ACKED`]);
    } finally {
      admin.close();
    }
    assert.equal(cluster.dps[0]!.version(), version);
    // The attack strings get an answer at all: any of the refused patterns would backtrack 2^40
    // steps on them, far past this deadline, so no wall-clock bound is needed to tell.
    const before = total();
    const r = await rawExchange(port, `GET /${'a'.repeat(40)}! HTTP/1.1\r\nHost: x\r\nX-T: ${'a'.repeat(40)}!\r\n\r\n`, { responses: 1, timeoutMs: 10_000 });
    assert.equal(parseResponses(r.text)[0]?.headers['x-backend'], 'web');
    assert.equal(total(), before + 1);
  });
});

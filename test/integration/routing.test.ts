// Routing through the real proxy: exact, prefix, regex, header conditions, per-route algorithm
// override, default pool, 404, and path tricks that must not reach another pool.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, startCluster, type Cluster } from '../helpers/cluster.js';

describe('routing through the proxy', () => {
  const b: Record<string, FakeBackend> = {};
  let cluster: Cluster;
  let port: number;
  before(async () => {
    for (const name of ['health', 'api', 'admin', 'versioned', 'beta', 'sticky1', 'sticky2', 'fallback']) {
      b[name] = await startFakeBackend({ name });
    }
    cluster = await startCluster(`
method round_robin
health_check off
backend ${b.fallback!.url}
backend ${b.health!.url} pool=health
backend ${b.api!.url} pool=api
backend ${b.admin!.url} pool=admin
backend ${b.versioned!.url} pool=versioned
backend ${b.beta!.url} pool=beta
backend ${b.sticky1!.url} pool=sticky
backend ${b.sticky2!.url} pool=sticky
pool sticky method=round_robin
route /health backend_pool=health
route /beta/* backend_pool=beta header=X-Tenant:beta
route /api/* backend_pool=api
route ~^/v[0-9]+/ backend_pool=versioned
route /admin/* backend_pool=admin
route /pinned/* backend_pool=sticky method=ip_hash
route /rotating/* backend_pool=sticky
`);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await Promise.all(Object.values(b).map((x) => x.close()));
  });

  const servedBy = async (path: string, headers: Record<string, string> = {}) => {
    const r = await request(port, path, { headers });
    return { status: r.status, backend: r.headers['x-backend'], body: r.body };
  };

  it('sends an exact path only to its pool', async () => {
    assert.equal((await servedBy('/health')).backend, 'health');
    assert.equal((await servedBy('/health/x')).backend, 'fallback');
  });

  it('sends a prefix and everything under it to its pool, but not look-alikes', async () => {
    assert.equal((await servedBy('/api')).backend, 'api');
    assert.equal((await servedBy('/api/users?id=3')).backend, 'api');
    assert.equal((await servedBy('/apix')).backend, 'fallback');
  });

  it('matches regex routes', async () => {
    assert.equal((await servedBy('/v2/things')).backend, 'versioned');
    assert.equal((await servedBy('/vx/things')).backend, 'fallback');
  });

  it('applies header conditions', async () => {
    assert.equal((await servedBy('/beta/page', { 'x-tenant': 'beta' })).backend, 'beta');
    assert.equal((await servedBy('/beta/page', { 'x-tenant': 'gamma' })).backend, 'fallback');
  });

  it('uses a route’s own algorithm over the pool’s', async () => {
    const pinned = new Set<string>();
    const rotating = new Set<string>();
    for (let i = 0; i < 8; i++) {
      pinned.add(String((await servedBy('/pinned/x')).backend));
      rotating.add(String((await servedBy('/rotating/x')).backend));
    }
    assert.equal(pinned.size, 1, 'ip_hash route keeps one client on one backend');
    assert.equal(rotating.size, 2, 'the pool’s round robin alternates');
  });

  it('routes dot segments and encoded dots by the normalized path', async () => {
    for (const path of ['/api/../admin', '/api/%2e%2e/admin', '/api/%2E%2E/admin/', '/api/./../admin', '//admin']) {
      const r = await servedBy(path);
      assert.equal(r.backend, 'admin', `${path} goes where /admin goes`);
    }
    const seen = b.admin!.requests.map((x) => x.url);
    assert.ok(seen.every((u) => u === '/admin' || u === '/admin/'), `the backend sees the normalized path: ${seen.join(' ')}`);
  });

  it('never lets an encoded slash act as a separator', async () => {
    const r = await servedBy('/api%2F..%2Fadmin');
    assert.equal(r.backend, 'fallback');
    const viaApi = await servedBy('/api/%2F..%2F..%2Fadmin');
    assert.equal(viaApi.backend, 'api');
  });

  it('refuses malformed paths with 400 and forwards nothing', async () => {
    const before = Object.values(b).reduce((n, x) => n + x.requests.length, 0);
    for (const path of ['/a/%zz', '/a%00b', '/%C0%AE%C0%AE/admin']) {
      assert.equal((await servedBy(path)).status, 400, path);
    }
    assert.equal(Object.values(b).reduce((n, x) => n + x.requests.length, 0), before);
  });
});

describe('a config without a default pool', () => {
  let api: FakeBackend;
  let cluster: Cluster;
  before(async () => {
    api = await startFakeBackend({ name: 'api' });
    cluster = await startCluster(`backend ${api.url} pool=api\nroute /api/* backend_pool=api\n`);
  });
  after(async () => {
    await cluster.close();
    await api.close();
  });

  it('answers 404 with a clear body for unmatched paths', async () => {
    const r = await request(cluster.dps[0]!.port, '/elsewhere');
    assert.equal(r.status, 404);
    assert.match(r.body, /no route for \/elsewhere/);
    assert.equal(api.requests.filter((x) => x.url !== '/').length, 0, 'only health checks reached the backend');
    assert.ok(api.requests.every((x) => x.headers['user-agent'] === 'golb-health-check'));
  });
});

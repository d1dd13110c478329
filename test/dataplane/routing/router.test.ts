import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderMatchSpec, RouteSpec } from '../../../proto/index.js';
import { Router, type RouteEntry, type RouteRequest } from '../../../dataplane/routing/router.js';

type PathMatch = { exact: string } | { prefix: string } | { regex: string } | Record<string, never>;

interface RouteOptions {
  host?: string;
  headers?: HeaderMatchSpec[];
  methods?: string[];
  line?: number;
}

let order = 0;
function route(path: PathMatch, pool: string, options: RouteOptions = {}): RouteEntry<string> {
  const kind = Object.keys(path)[0] as 'exact' | 'prefix' | 'regex' | undefined;
  const spec: RouteSpec = {
    order: order++,
    match: {
      ...path,
      ...(kind ? { path: kind } : {}),
      host: options.host ?? '',
      headers: options.headers ?? [],
      methods: options.methods ?? [],
    },
    pool,
    algorithm: '',
    persistence: null,
    line: options.line ?? order,
    display: kind ? String((path as Record<string, string>)[kind]) : '*',
  };
  return { spec, target: pool };
}

function req(path: string, extra: Partial<RouteRequest> = {}): RouteRequest {
  return { method: 'GET', host: 'example.com', path, headers: {} as IncomingHttpHeaders, ...extra };
}

function targetOf(router: Router<string>, r: RouteRequest): string | undefined {
  return router.match(r)?.target;
}

describe('Router', () => {
  it('matches an exact path and nothing else', () => {
    const router = new Router([route({ exact: '/health' }, 'h')], undefined);
    assert.equal(targetOf(router, req('/health')), 'h');
    assert.equal(targetOf(router, req('/health/')), undefined);
    assert.equal(targetOf(router, req('/healthz')), undefined);
    assert.equal(targetOf(router, req('/')), undefined);
  });

  it('matches a prefix on segment boundaries only', () => {
    const router = new Router([route({ prefix: '/api' }, 'api')], undefined);
    for (const p of ['/api', '/api/', '/api/x', '/api/x/y']) assert.equal(targetOf(router, req(p)), 'api', p);
    for (const p of ['/apix', '/ap', '/', '/v1/api']) assert.equal(targetOf(router, req(p)), undefined, p);
  });

  it('treats a prefix written with a trailing slash as the same subtree', () => {
    const router = new Router([route({ prefix: '/api/' }, 'api')], undefined);
    assert.equal(targetOf(router, req('/api/x')), 'api');
    assert.equal(targetOf(router, req('/api')), 'api');
    assert.equal(targetOf(router, req('/apix')), undefined);
  });

  it('lets an empty or "/" prefix match every path', () => {
    for (const prefix of ['', '/']) {
      const router = new Router([route({ prefix }, 'all')], undefined);
      for (const p of ['/', '/x', '/a/b/c']) assert.equal(targetOf(router, req(p)), 'all', `${prefix} ${p}`);
    }
  });

  it('matches a regex against the path', () => {
    const router = new Router([route({ regex: '^/v[0-9]+/' }, 'versioned')], undefined);
    assert.equal(targetOf(router, req('/v1/users')), 'versioned');
    assert.equal(targetOf(router, req('/v22/')), 'versioned');
    assert.equal(targetOf(router, req('/v/users')), undefined);
    assert.equal(targetOf(router, req('/api/v1/')), undefined);
  });

  it('gives the same answer for a regex route on every call (no lastIndex state)', () => {
    const router = new Router([route({ regex: 'x' }, 'x')], undefined);
    for (let i = 0; i < 5; i++) assert.equal(targetOf(router, req('/x')), 'x');
  });

  it('matches an exact host case-insensitively and ignores a trailing dot', () => {
    const router = new Router([route({ prefix: '/' }, 'site', { host: 'Example.COM' })], undefined);
    assert.equal(targetOf(router, req('/', { host: 'example.com' })), 'site');
    assert.equal(targetOf(router, req('/', { host: 'example.com.' })), 'site');
    assert.equal(targetOf(router, req('/', { host: 'www.example.com' })), undefined);
    assert.equal(targetOf(router, req('/', { host: 'example.co' })), undefined);
    assert.equal(targetOf(router, req('/', { host: '' })), undefined);
  });

  it('matches a wildcard host against subdomains only', () => {
    const router = new Router([route({ prefix: '/' }, 'sub', { host: '*.example.com' })], undefined);
    assert.equal(targetOf(router, req('/', { host: 'a.example.com' })), 'sub');
    assert.equal(targetOf(router, req('/', { host: 'a.b.example.com' })), 'sub');
    assert.equal(targetOf(router, req('/', { host: 'a.example.com.' })), 'sub');
    assert.equal(targetOf(router, req('/', { host: 'example.com' })), undefined);
    assert.equal(targetOf(router, req('/', { host: 'badexample.com' })), undefined);
    assert.equal(targetOf(router, req('/', { host: '.example.com' })), undefined);
  });

  it('matches a header by exact value', () => {
    const router = new Router([route({ prefix: '/' }, 'beta', { headers: [{ name: 'X-Env', value: 'exact', exact: 'beta' }] })], undefined);
    assert.equal(targetOf(router, req('/', { headers: { 'x-env': 'beta' } })), 'beta');
    assert.equal(targetOf(router, req('/', { headers: { 'x-env': 'Beta' } })), undefined);
    assert.equal(targetOf(router, req('/', { headers: { 'x-env': 'beta2' } })), undefined);
    assert.equal(targetOf(router, req('/', { headers: {} })), undefined);
  });

  it('matches a header by regex, including any value of a repeated header', () => {
    const router = new Router([route({}, 'mobile', { headers: [{ name: 'user-agent', value: 'regex', regex: 'Mobile|Android' }] })], undefined);
    assert.equal(targetOf(router, req('/x', { headers: { 'user-agent': 'Foo Android 14' } })), 'mobile');
    assert.equal(targetOf(router, req('/x', { headers: { 'user-agent': 'curl/8' } })), undefined);
    const repeated = { 'set-cookie': ['a=1', 'b=2'] } as IncomingHttpHeaders;
    const cookieRouter = new Router([route({}, 'b', { headers: [{ name: 'set-cookie', value: 'regex', regex: '^b=' }] })], undefined);
    assert.equal(targetOf(cookieRouter, req('/', { headers: repeated })), 'b');
  });

  it('matches a header by presence, and by absence when present is false', () => {
    const router = new Router(
      [
        route({}, 'has-token', { headers: [{ name: 'x-token', value: 'present', present: true }] }),
        route({}, 'anonymous', { headers: [{ name: 'x-token', value: 'present', present: false }] }),
      ],
      undefined,
    );
    assert.equal(targetOf(router, req('/', { headers: { 'x-token': '' } })), 'has-token');
    assert.equal(targetOf(router, req('/', { headers: {} })), 'anonymous');
  });

  it('requires every header condition to hold', () => {
    const router = new Router(
      [route({}, 'both', { headers: [{ name: 'a', value: 'exact', exact: '1' }, { name: 'b', value: 'present', present: true }] })],
      'default',
    );
    assert.equal(targetOf(router, req('/', { headers: { a: '1', b: 'x' } })), 'both');
    assert.equal(targetOf(router, req('/', { headers: { a: '1' } })), 'default');
    assert.equal(targetOf(router, req('/', { headers: { b: 'x' } })), 'default');
  });

  it('matches methods when listed and any method when not', () => {
    const router = new Router([route({ prefix: '/api' }, 'writes', { methods: ['POST', 'PUT'] }), route({ prefix: '/api' }, 'reads')], undefined);
    assert.equal(targetOf(router, req('/api/x', { method: 'POST' })), 'writes');
    assert.equal(targetOf(router, req('/api/x', { method: 'PUT' })), 'writes');
    assert.equal(targetOf(router, req('/api/x', { method: 'GET' })), 'reads');
    assert.equal(targetOf(router, req('/api/x', { method: 'DELETE' })), 'reads');
  });

  it('takes the first matching route in order and reports its index', () => {
    const router = new Router(
      [route({ exact: '/api/special' }, 'special'), route({ prefix: '/api' }, 'api'), route({ regex: '^/api/special' }, 'never')],
      'default',
    );
    assert.deepEqual(router.match(req('/api/special')), { target: 'special', index: 0 });
    assert.deepEqual(router.match(req('/api/other')), { target: 'api', index: 1 });
    const reversed = new Router([route({ prefix: '/api' }, 'api'), route({ exact: '/api/special' }, 'special')], undefined);
    assert.deepEqual(reversed.match(req('/api/special')), { target: 'api', index: 0 });
  });

  it('falls back to the default target with index -1, or undefined (404) when there is none', () => {
    const withDefault = new Router([route({ prefix: '/api' }, 'api')], 'web');
    assert.deepEqual(withDefault.match(req('/index.html')), { target: 'web', index: -1 });
    const without = new Router([route({ prefix: '/api' }, 'api')], undefined);
    assert.equal(without.match(req('/index.html')), undefined);
    assert.equal(new Router<string>([], undefined).match(req('/')), undefined);
    assert.deepEqual(new Router<string>([], 'only').match(req('/')), { target: 'only', index: -1 });
  });

  it('treats a route without a path condition as matching every path', () => {
    const router = new Router([route({}, 'host-only', { host: 'api.example.com' })], 'default');
    assert.equal(targetOf(router, req('/anything', { host: 'api.example.com' })), 'host-only');
    assert.equal(targetOf(router, req('/anything')), 'default');
  });

  it('refuses a regex that does not compile, naming the route line', () => {
    assert.throws(() => new Router([route({ regex: '^/v(' }, 'bad', { line: 17 })], undefined), /line 17.*does not compile/);
    assert.throws(
      () => new Router([route({}, 'bad', { line: 9, headers: [{ name: 'x', value: 'regex', regex: '[' }] })], undefined),
      /line 9.*header x regex/,
    );
  });
});

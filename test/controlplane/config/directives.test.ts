import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../controlplane/config/load-config.js';
import { DEFAULT_HEALTH_CHECK, DEFAULT_LIMITS, DEFAULT_TIMEOUTS } from '../../../controlplane/config/model.js';
import { ONE_BACKEND, parseOk } from './helpers.js';

const poolOf = (text: string, name: string) => {
  const pool = parseOk(text).pools.find((p) => p.name === name);
  assert.ok(pool, `pool ${name} missing`);
  return pool;
};

describe('config language: syntax', () => {
  it('ignores comments and blank lines, accepts a trailing ";" and quoted values', () => {
    const c = parseOk(
      [
        '# a comment line',
        '',
        'backend http://127.0.0.1:8001 weight=5;   # trailing comment',
        '   backend   http://127.0.0.1:8002\tweight=2 ;',
        'cookie name=SID secret="two words # not a comment"',
      ].join('\n'),
    );
    assert.deepEqual(
      c.pools[0]!.backends.map((b) => [b.url, b.weight]),
      [
        ['http://127.0.0.1:8001', 5],
        ['http://127.0.0.1:8002', 2],
      ],
    );
    assert.equal(c.cookie.secret, 'two words # not a comment');
  });

  it('accepts CRLF line endings and a byte order mark', () => {
    const c = parseOk('\ufeffmethod random\r\nbackend http://127.0.0.1:8001 weight=3\r\n');
    assert.equal(c.algorithm, 'random');
    assert.equal(c.pools[0]!.backends[0]!.weight, 3);
  });

  it('reads durations in ms, s, m, h, d and bare seconds', () => {
    const c = parseOk(
      ONE_BACKEND +
        'timeout connect 500ms\ntimeout server 2s\ntimeout idle 1m\ntimeout tunnel 1h\ntimeout shutdown 1d\ntimeout drain 7\n',
    );
    const t = c.pools[0]!.timeouts;
    assert.deepEqual([t.connectMs, t.responseMs, t.idleMs, t.websocketIdleMs], [500, 2000, 60_000, 3_600_000]);
    assert.equal(c.limits.shutdownTimeoutMs, 86_400_000);
    assert.equal(c.limits.drainTimeoutMs, 7000);
  });

  it('reads sizes with k, m, g suffixes (powers of 1024) or plain bytes', () => {
    assert.equal(parseOk(ONE_BACKEND + 'max_header_size 16k').limits.maxHeaderBytes, 16384);
    assert.equal(parseOk(ONE_BACKEND + 'max_header_size 1m').limits.maxHeaderBytes, 1048576);
    assert.equal(parseOk(ONE_BACKEND + 'client_max_body_size 1g').limits.maxBodyBytes, 1073741824);
    assert.equal(parseOk(ONE_BACKEND + 'client_max_body_size 1234').limits.maxBodyBytes, 1234);
  });

  it('reads booleans as on/off, true/false, yes/no', () => {
    for (const [word, value] of [['on', true], ['yes', true], ['true', true], ['off', false], ['no', false], ['false', false]] as const) {
      assert.equal(parseOk(ONE_BACKEND + `cookie secure=${word}`).cookie.secure, value, word);
    }
  });
});

describe('config language: flat form', () => {
  it('parses the original flat example exactly', () => {
    const c = parseOk(
      [
        'method weighted_round_robin',
        'persistence cookie',
        'backend http://localhost:8001 weight=5',
        'backend http://api1:8080 pool=api_servers weight=2 max_conn=100 backup',
        'route /api/* backend_pool=api_servers',
        'pool api_servers method=least_connections',
        'pool auth_servers method=ip_hash persistence=cookie',
      ].join('\n'),
    );
    assert.equal(c.algorithm, 'weighted_round_robin');
    assert.equal(c.persistence, 'cookie');
    assert.deepEqual(
      c.pools.map((p) => [p.name, p.algorithm, p.persistence, p.backends.length]),
      [
        ['default', null, null, 1],
        ['api_servers', 'least_connections', null, 1],
        ['auth_servers', 'ip_hash', 'cookie', 0],
      ],
    );
    const api = c.pools[1]!.backends[0]!;
    assert.deepEqual(
      { url: api.url, weight: api.weight, max: api.maxConnections, backup: api.backup },
      { url: 'http://api1:8080', weight: 2, max: 100, backup: true },
    );
    assert.deepEqual(c.routes.map((r) => [r.display, r.pool]), [['/api/*', 'api_servers']]);
    assert.equal(c.defaultPool, 'default');
  });

  it('defaults: round_robin, no persistence, weight 1, unlimited connections', () => {
    const c = parseOk(ONE_BACKEND);
    assert.equal(c.algorithm, 'round_robin');
    assert.equal(c.persistence, 'none');
    const b = c.pools[0]!.backends[0]!;
    assert.deepEqual([b.weight, b.maxConnections, b.backup, b.down], [1, 0, false, false]);
  });

  it('accepts algorithm names in any case, with - or _, and the short forms', () => {
    const cases: Array<[string, string]> = [
      ['Weighted-Round-Robin', 'weighted_round_robin'],
      ['least_conn', 'least_connections'],
      ['weighted', 'weighted_round_robin'],
      ['rr', 'round_robin'],
      ['wrr', 'weighted_round_robin'],
      ['p2c', 'power_of_two'],
      ['power-of-two', 'power_of_two'],
      ['IP_HASH', 'ip_hash'],
      ['consistent-hash', 'consistent_hash'],
      ['random', 'random'],
    ];
    for (const [written, canonical] of cases) assert.equal(parseOk(`method ${written}\n${ONE_BACKEND}`).algorithm, canonical, written);
    assert.equal(parseOk(`algorithm least-connections\n${ONE_BACKEND}`).algorithm, 'least_connections');
  });

  it('accepts persistence names with the same rules, and sticky = cookie', () => {
    for (const [written, canonical] of [['sticky', 'cookie'], ['IP-Hash', 'ip_hash'], ['consistent-hash', 'consistent_hash'], ['none', 'none']]) {
      assert.equal(parseOk(`persistence ${written}\n${ONE_BACKEND}`).persistence, canonical, written);
    }
  });

  it('lets backend pool= and pool NAME come in either order', () => {
    const before = poolOf('pool api method=random\nbackend http://127.0.0.1:9001 pool=api\n', 'api');
    const after = poolOf('backend http://127.0.0.1:9001 pool=api\npool api method=random\n', 'api');
    assert.equal(before.algorithm, 'random');
    assert.equal(after.algorithm, 'random');
    assert.equal(after.backends.length, 1);
  });

  it('pool accepts algorithm= as a synonym of method=, and hash settings', () => {
    const p = poolOf(
      'backend http://127.0.0.1:9001 pool=api\npool api algorithm=consistent_hash persistence=consistent_hash hash_key=header:X-User hash_balance_factor=1.25\n',
      'api',
    );
    assert.equal(p.algorithm, 'consistent_hash');
    assert.equal(p.persistence, 'consistent_hash');
    assert.deepEqual(p.hashKey, { source: 'header', name: 'X-User' });
    assert.equal(p.hashBalanceFactor, 1.25);
  });

  it('backend: max_connections= synonym, down, https default port, IPv6', () => {
    const c = parseOk(
      [
        'backend http://127.0.0.1:8001 max_connections=7 down',
        'backend https://example.com',
        'backend http://[::1]:8080',
        'backend http://Example.COM',
      ].join('\n'),
    );
    const [a, b, v6, plain] = c.pools[0]!.backends;
    assert.deepEqual([a!.maxConnections, a!.down], [7, true]);
    assert.deepEqual([b!.url, b!.scheme, b!.host, b!.port], ['https://example.com', 'https', 'example.com', 443]);
    assert.deepEqual([v6!.url, v6!.host, v6!.port], ['http://[::1]:8080', '[::1]', 8080]);
    assert.deepEqual([plain!.url, plain!.port], ['http://example.com', 80]);
  });

  it('accepts a trailing "/" on a backend URL', () => {
    assert.equal(parseOk('backend http://127.0.0.1:8001/').pools[0]!.backends[0]!.url, 'http://127.0.0.1:8001');
  });

  it('global hash_key and hash_balance_factor are every pool\'s default', () => {
    const c = parseOk('hash_key cookie:sid\nhash_balance_factor 2\n' + ONE_BACKEND + 'backend http://127.0.0.1:9001 pool=b\npool b hash_key=ip\n');
    assert.deepEqual(c.pools.map((p) => [p.name, p.hashKey, p.hashBalanceFactor]), [
      ['default', { source: 'cookie', name: 'sid' }, 2],
      ['b', { source: 'ip', name: '' }, 2],
    ]);
    for (const k of ['path', 'uri', 'ip']) assert.deepEqual(parseOk(`hash_key ${k}\n${ONE_BACKEND}`).pools[0]!.hashKey, { source: k, name: '' });
    assert.equal(parseOk(`hash_balance_factor 0\n${ONE_BACKEND}`).pools[0]!.hashBalanceFactor, 0);
  });
});

describe('config language: routes', () => {
  const base = ONE_BACKEND + 'backend http://127.0.0.1:9001 pool=api\n';
  const routes = (text: string) => parseOk(base + text).routes;

  it('reads exact, prefix and regex patterns in file order', () => {
    const r = routes('route /health backend_pool=default\nroute /api/* backend_pool=api\nroute ~^/v[0-9]+/ pool=api\nroute /* api\n');
    assert.deepEqual(
      r.map((x) => [x.path, x.pool, x.display, x.line]),
      [
        [{ kind: 'exact', value: '/health' }, 'default', '/health', 3],
        [{ kind: 'prefix', value: '/api' }, 'api', '/api/*', 4],
        [{ kind: 'regex', value: '^/v[0-9]+/' }, 'api', '~^/v[0-9]+/', 5],
        [{ kind: 'prefix', value: '/' }, 'api', '/*', 6],
      ],
    );
  });

  it('reads host, header and methods conditions and per-route overrides', () => {
    const [r] = routes(
      'route /api/* backend_pool=api host=API.Example.com header=X-Tenant:beta header=X-Debug header=X-Ver:~^2 methods=get,Post method=least_conn persistence=ip_hash\n',
    );
    assert.equal(r!.host, 'api.example.com');
    assert.deepEqual(r!.headers, [
      { name: 'X-Tenant', kind: 'exact', value: 'beta' },
      { name: 'X-Debug', kind: 'present', value: '' },
      { name: 'X-Ver', kind: 'regex', value: '^2' },
    ]);
    assert.deepEqual(r!.methods, ['GET', 'POST']);
    assert.equal(r!.algorithm, 'least_connections');
    assert.equal(r!.persistence, 'ip_hash');
    assert.equal(r!.display, '/api/* host=api.example.com header X-Tenant=beta header X-Debug header X-Ver~^2 methods=GET,POST');
  });

  it('accepts a wildcard host', () => {
    assert.equal(routes('route /x/* backend_pool=api host=*.example.com\n')[0]!.host, '*.example.com');
  });

  it('reads the block-form route path / regex / header statements', () => {
    const r = routes('route path /api/* api;\nroute path /exact api;\nroute regex ^/v[0-9]+/ api;\nroute header X-Tenant beta api;\n');
    assert.deepEqual(
      r.map((x) => [x.path, x.headers, x.display]),
      [
        [{ kind: 'prefix', value: '/api' }, [], '/api/*'],
        [{ kind: 'exact', value: '/exact' }, [], '/exact'],
        [{ kind: 'regex', value: '^/v[0-9]+/' }, [], '~^/v[0-9]+/'],
        [{ kind: 'any' }, [{ name: 'X-Tenant', kind: 'exact', value: 'beta' }], 'header X-Tenant=beta'],
      ],
    );
  });

  it('default pool: default_backend, else "default" when it has backends, else none', () => {
    assert.equal(parseOk(base + 'default_backend api\n').defaultPool, 'api');
    assert.equal(parseOk(base).defaultPool, 'default');
    assert.equal(parseOk('backend http://127.0.0.1:9001 pool=api\n').defaultPool, '');
    assert.equal(parseOk(base + 'default_pool api\n').defaultPool, 'api');
  });
});

describe('config language: upstream blocks', () => {
  it('reads every pool directive inside a block', () => {
    const c = parseOk(
      [
        'upstream api {',
        '    method least_conn;',
        '    persistence cookie;',
        '    server http://127.0.0.1:9001 weight=3 max_conn=100;',
        '    backend http://127.0.0.1:9002 backup;',
        '    hash_key header:X-User;',
        '    hash_balance_factor 1.5;',
        '    health_check path=/healthz interval=2s;',
        '    passive_health max_fails=2;',
        '    timeout connect 1s;',
        '    retries 4;',
        '}',
      ].join('\n'),
    );
    const p = c.pools[0]!;
    assert.equal(p.name, 'api');
    assert.equal(p.line, 1);
    assert.equal(p.algorithm, 'least_connections');
    assert.equal(p.persistence, 'cookie');
    assert.deepEqual(p.backends.map((b) => [b.url, b.weight, b.maxConnections, b.backup]), [
      ['http://127.0.0.1:9001', 3, 100, false],
      ['http://127.0.0.1:9002', 1, 0, true],
    ]);
    assert.deepEqual(p.hashKey, { source: 'header', name: 'X-User' });
    assert.equal(p.hashBalanceFactor, 1.5);
    assert.equal(p.healthCheck.path, '/healthz');
    assert.equal(p.healthCheck.intervalMs, 2000);
    assert.equal(p.passiveHealth.maxFailures, 2);
    assert.equal(p.timeouts.connectMs, 1000);
    assert.equal(p.timeouts.retries, 4);
    assert.equal(c.defaultPool, '');
  });

  it('accepts "{" on the next line, glued to the name, and a one-line block', () => {
    for (const text of [
      'upstream api\n{\n  server http://127.0.0.1:9001\n}\n',
      'upstream api{\n  server http://127.0.0.1:9001\n}\n',
      'upstream api { server http://127.0.0.1:9001; }\n',
    ]) {
      const c = parseOk(text);
      assert.deepEqual(c.pools.map((p) => [p.name, p.backends.length]), [['api', 1]], text);
    }
  });

  it('mixes flat and block forms in one file', () => {
    const c = parseOk('upstream api {\n  server http://127.0.0.1:9001;\n}\nbackend http://127.0.0.1:9002 pool=api\npool api method=random\n');
    assert.deepEqual(c.pools[0]!.backends.map((b) => b.port), [9001, 9002]);
    assert.equal(c.pools[0]!.algorithm, 'random');
  });
});

describe('config language: health, timeouts, limits, cookie, proxies', () => {
  it('health_check defaults, every attribute, synonyms, and off', () => {
    assert.deepEqual(parseOk(ONE_BACKEND).pools[0]!.healthCheck, DEFAULT_HEALTH_CHECK);
    const hc = parseOk(
      ONE_BACKEND + 'health_check on type=tcp path=/hc interval=3s timeout=500ms rise=4 fall=6 status=200-299 host=check.local\n',
    ).pools[0]!.healthCheck;
    assert.deepEqual(hc, {
      enabled: true,
      type: 'tcp',
      path: '/hc',
      intervalMs: 3000,
      timeoutMs: 500,
      healthyThreshold: 4,
      unhealthyThreshold: 6,
      statusMin: 200,
      statusMax: 299,
      host: 'check.local',
    });
    const syn = parseOk(ONE_BACKEND + 'health_check healthy_threshold=5 unhealthy_threshold=7 status=204\n').pools[0]!.healthCheck;
    assert.deepEqual([syn.healthyThreshold, syn.unhealthyThreshold, syn.statusMin, syn.statusMax], [5, 7, 204, 204]);
    assert.equal(parseOk(ONE_BACKEND + 'health_check off\n').pools[0]!.healthCheck.enabled, false);
  });

  it('a pool\'s health_check overrides the global one attribute by attribute, in any order', () => {
    const c = parseOk(
      ONE_BACKEND +
        'health_check pool=api path=/ready\nbackend http://127.0.0.1:9001 pool=api\nhealth_check interval=9s path=/global\n',
    );
    const [def, api] = c.pools;
    assert.deepEqual([def!.healthCheck.path, def!.healthCheck.intervalMs], ['/global', 9000]);
    assert.deepEqual([api!.healthCheck.path, api!.healthCheck.intervalMs], ['/ready', 9000]);
  });

  it('passive_health defaults, attributes, off and per pool', () => {
    assert.deepEqual(parseOk(ONE_BACKEND).pools[0]!.passiveHealth, {
      enabled: true,
      maxFailures: 5,
      ejectionMs: 10_000,
      maxEjectionMs: 300_000,
      errors: 'gateway',
      maxEjectionPercent: 50,
    });
    assert.deepEqual(
      parseOk(ONE_BACKEND + 'passive_health max_fails=3 fail_timeout=30s max_ejection=10m max_ejection_percent=34% errors=5xx\n').pools[0]!.passiveHealth,
      { enabled: true, maxFailures: 3, ejectionMs: 30_000, maxEjectionMs: 600_000, errors: '5xx', maxEjectionPercent: 34 },
    );
    const c = parseOk(ONE_BACKEND + 'backend http://127.0.0.1:9001 pool=api\npassive_health off pool=api\n');
    assert.deepEqual(c.pools.map((p) => p.passiveHealth.enabled), [true, false]);
  });

  it('panic_threshold: off by default, global, per pool (directive, pool attribute, block)', () => {
    assert.equal(parseOk(ONE_BACKEND).pools[0]!.panicThresholdPercent, 0);
    const c = parseOk(
      ONE_BACKEND +
        'panic_threshold 30%\n' +
        'backend http://127.0.0.1:9001 pool=api\npanic_threshold 50 pool=api\n' +
        'pool web panic_threshold=70%\nbackend http://127.0.0.1:9002 pool=web\n' +
        'upstream blk {\n  server http://127.0.0.1:9003;\n  panic_threshold 100%;\n}\n',
    );
    assert.deepEqual(c.pools.map((p) => [p.name, p.panicThresholdPercent]), [['default', 30], ['api', 50], ['web', 70], ['blk', 100]]);
  });

  it('timeout: pool kinds per pool or global, global-only kinds in limits, with defaults', () => {
    const c = parseOk(
      ONE_BACKEND +
        'backend http://127.0.0.1:9001 pool=api\n' +
        'timeout connect 1s\ntimeout server 2s pool=api\ntimeout http-request 3s\ntimeout client 4s\ntimeout http-keep-alive 6s\ntimeout shutdown 7s\ntimeout drain 8s\n',
    );
    const [def, api] = c.pools;
    assert.deepEqual(def!.timeouts, { ...DEFAULT_TIMEOUTS, connectMs: 1000 });
    assert.deepEqual(api!.timeouts, { ...DEFAULT_TIMEOUTS, connectMs: 1000, responseMs: 2000 });
    assert.deepEqual(c.limits, {
      ...DEFAULT_LIMITS,
      headerTimeoutMs: 3000,
      requestTimeoutMs: 4000,
      keepaliveTimeoutMs: 6000,
      shutdownTimeoutMs: 7000,
      drainTimeoutMs: 8000,
    });
    assert.deepEqual(DEFAULT_TIMEOUTS, { connectMs: 5000, responseMs: 60_000, idleMs: 60_000, websocketIdleMs: 0, retries: 2 });
  });

  it('retries globally and per pool (default 2)', () => {
    const c = parseOk(ONE_BACKEND + 'backend http://127.0.0.1:9001 pool=api\nretries 0 pool=api\n');
    assert.deepEqual(c.pools.map((p) => p.timeouts.retries), [2, 0]);
    assert.equal(parseOk(ONE_BACKEND + 'retries 5\n').pools[0]!.timeouts.retries, 5);
  });

  it('cookie: defaults, name, ttl, secret, env: secret, secure', () => {
    assert.deepEqual(parseOk(ONE_BACKEND).cookie, { name: 'GOLB_SESSION', ttlS: 86400, secret: null, secure: false });
    assert.deepEqual(parseOk(ONE_BACKEND + 'cookie name=SID ttl=2h secret=s3cret secure=on\n').cookie, {
      name: 'SID',
      ttlS: 7200,
      secret: 's3cret',
      secure: true,
    });
    assert.equal(parseOk(ONE_BACKEND + 'cookie secret=env:MY_SECRET\n', { MY_SECRET: 'from-env' }).cookie.secret, 'from-env');
  });

  it('trusted_proxies takes IPv4/IPv6 addresses and CIDRs', () => {
    assert.deepEqual(parseOk(ONE_BACKEND + 'trusted_proxies 127.0.0.1 10.0.0.0/8 ::1 fd00::/8\n').trustedProxies, [
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
    ]);
  });

  it('max_header_size, max_headers, client_max_body_size with defaults', () => {
    const d = parseOk(ONE_BACKEND).limits;
    assert.deepEqual([d.maxHeaderBytes, d.maxHeaders, d.maxBodyBytes], [16384, 100, 0]);
    const l = parseOk(ONE_BACKEND + 'max_header_size 32k\nmax_headers 50\nclient_max_body_size 10m\n').limits;
    assert.deepEqual([l.maxHeaderBytes, l.maxHeaders, l.maxBodyBytes], [32768, 50, 10 * 1024 * 1024]);
  });

  it('max_connections, max_websockets, websocket_max_message with defaults', () => {
    const d = parseOk(ONE_BACKEND).limits;
    assert.deepEqual([d.maxConnections, d.maxWebSockets, d.websocketMaxMessageBytes], [10_000, 10_000, 16 * 1024 * 1024]);
    const l = parseOk(ONE_BACKEND + 'max_connections 2000\nmax_websockets 300\nwebsocket_max_message 64k\n').limits;
    assert.deepEqual([l.maxConnections, l.maxWebSockets, l.websocketMaxMessageBytes], [2000, 300, 65536]);
  });

  it('underscores_in_headers and allow_trace are off by default and take on/off', () => {
    const d = parseOk(ONE_BACKEND).limits;
    assert.deepEqual([d.underscoresInHeaders, d.allowTrace], [false, false]);
    const l = parseOk(ONE_BACKEND + 'underscores_in_headers on\nallow_trace yes\n').limits;
    assert.deepEqual([l.underscoresInHeaders, l.allowTrace], [true, true]);
    const r = parseConfig(ONE_BACKEND + 'allow_trace maybe\n', 't.conf');
    assert.ok(!r.ok && r.errors.some((e) => /allow_trace/.test(e.message)));
  });

  it('returns the file name as the config source', () => {
    const r = parseConfig(ONE_BACKEND, 'conf/x.conf');
    assert.ok(r.ok);
    assert.equal(r.config.source, 'conf/x.conf');
  });
});

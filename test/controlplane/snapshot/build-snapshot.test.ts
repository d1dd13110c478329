import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '../../../proto/index.js';
import { parseConfig } from '../../../controlplane/config/load-config.js';
import { buildSnapshot, checkOverrides, computeVersion, type BuildOptions } from '../../../controlplane/snapshot/build-snapshot.js';

function snap(text: string, options: Partial<BuildOptions> = {}): Snapshot {
  const r = parseConfig(text, 'test.conf', { env: {} });
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return buildSnapshot(r.config, { cookieSecret: 'generated-secret', ...options });
}

/** The snapshot with everything that only says where things were written set to zero. */
function withoutPlaces(s: Snapshot): Snapshot {
  return {
    ...s,
    source: '',
    pools: s.pools.map((p) => ({ ...p, line: 0 })),
    routes: s.routes.map((r) => ({ ...r, line: 0 })),
  };
}

const confFile = (name: string) => readFileSync(fileURLToPath(new URL(`../../../conf/examples/${name}`, import.meta.url)), 'utf8');

describe('buildSnapshot', () => {
  it('builds a complete snapshot with every field set', () => {
    const s = snap('method wrr\nbackend http://127.0.0.1:8002 weight=2\nbackend http://127.0.0.1:8001 weight=5 max_conn=10\nroute /api/* backend_pool=default\n');
    assert.match(s.version, /^[0-9a-f]{16}$/);
    assert.deepEqual(s, {
      version: s.version,
      pools: [
        {
          name: 'default',
          algorithm: 'weighted_round_robin',
          persistence: { type: 'none', key: { source: 'path', name: '' } },
          health_check: {
            enabled: true,
            type: 'http',
            path: '/',
            interval_ms: 5000,
            timeout_ms: 2000,
            healthy_threshold: 2,
            unhealthy_threshold: 3,
            expected_status_min: 200,
            expected_status_max: 399,
            host: '',
          },
          passive_health: { enabled: true, max_failures: 5, ejection_ms: 10000, max_ejection_ms: 300000, errors: 'gateway', max_ejection_percent: 50 },
          timeouts: { connect_ms: 5000, response_ms: 60000, idle_ms: 60000, websocket_idle_ms: 0, retries: 2 },
          backends: [
            {
              id: 'default/127.0.0.1:8001',
              url: 'http://127.0.0.1:8001',
              weight: 5,
              max_connections: 10,
              admin_state: 'READY',
              drain_deadline_unix_ms: '0',
              backup: false,
              discovered_from: '',
            },
            {
              id: 'default/127.0.0.1:8002',
              url: 'http://127.0.0.1:8002',
              weight: 2,
              max_connections: 0,
              admin_state: 'READY',
              drain_deadline_unix_ms: '0',
              backup: false,
              discovered_from: '',
            },
          ],
          hash_balance_factor: 0,
          line: 2,
          panic_threshold_percent: 0,
        },
      ],
      routes: [
        {
          order: 0,
          match: { prefix: '/api', path: 'prefix', host: '', headers: [], methods: [] },
          pool: 'default',
          algorithm: '',
          persistence: null,
          line: 4,
          display: '/api/*',
        },
      ],
      default_pool: 'default',
      cookie: { name: 'GOLB_SESSION', ttl_s: 86400, secret: 'generated-secret', secure: false, previous_secrets: [] },
      trusted_proxies: [],
      limits: {
        max_header_bytes: 16384,
        max_headers: 100,
        header_timeout_ms: 10000,
        request_timeout_ms: 60000,
        keepalive_timeout_ms: 5000,
        shutdown_timeout_ms: 30000,
        drain_timeout_ms: 30000,
        max_body_bytes: '0',
        max_connections: 10000,
        max_websockets: 10000,
        websocket_max_message_bytes: String(16 * 1024 * 1024),
        underscores_in_headers: false,
        allow_trace: false,
      },
      source: 'test.conf',
      generation: '0',
    });
  });

  it('names backends pool/host:port with default ports, https:// for HTTPS, and down = maintenance', () => {
    const s = snap('backend http://a.example pool=p\nbackend https://b.example pool=p down\nbackend https://c.example:8443 pool=p backup\n');
    assert.deepEqual(
      s.pools[0]!.backends.map((b) => [b.id, b.url, b.admin_state, b.backup]),
      [
        ['p/a.example:80', 'http://a.example', 'READY', false],
        ['p/https://b.example:443', 'https://b.example', 'MAINTENANCE', false],
        ['p/https://c.example:8443', 'https://c.example:8443', 'READY', true],
      ],
    );
  });

  it('sorts pools by name and keeps routes in file order', () => {
    const s = snap(
      'backend http://127.0.0.1:1 pool=zeta\nbackend http://127.0.0.1:2 pool=alpha\nroute /z/* backend_pool=zeta\nroute /a/* backend_pool=alpha\n',
    );
    assert.deepEqual(s.pools.map((p) => p.name), ['alpha', 'zeta']);
    assert.deepEqual(s.routes.map((r) => [r.order, r.display]), [[0, '/z/*'], [1, '/a/*']]);
    assert.equal(s.default_pool, '');
  });

  it('writes route matches as oneofs with lower-case header names and overrides', () => {
    const s = snap(
      'backend http://127.0.0.1:1 pool=api\npool api hash_key=header:X-User\n' +
        'route /health api\n' +
        'route ~^/v[0-9]+/ api method=random persistence=consistent_hash\n' +
        'route header X-Tenant beta api\n' +
        'route /x/* api header=X-Flag header=X-Ver:~^2 host=a.example methods=GET hash_key=cookie:sid\n',
    );
    const [exact, regex, header, prefix] = s.routes;
    assert.deepEqual(exact!.match, { exact: '/health', path: 'exact', host: '', headers: [], methods: [] });
    assert.deepEqual([regex!.match!.regex, regex!.match!.path, regex!.algorithm], ['^/v[0-9]+/', 'regex', 'random']);
    assert.deepEqual(regex!.persistence, { type: 'consistent_hash', key: { source: 'header', name: 'X-User' } });
    assert.deepEqual(header!.match, { host: '', headers: [{ name: 'x-tenant', exact: 'beta', value: 'exact' }], methods: [] });
    assert.equal(header!.display, 'header X-Tenant=beta');
    assert.deepEqual(prefix!.match, {
      prefix: '/x',
      path: 'prefix',
      host: 'a.example',
      headers: [
        { name: 'x-flag', present: true, value: 'present' },
        { name: 'x-ver', regex: '^2', value: 'regex' },
      ],
      methods: ['GET'],
    });
    assert.deepEqual(prefix!.persistence, { type: 'none', key: { source: 'cookie', name: 'sid' } });
  });

  it('uses the config\'s cookie secret over the one it is given, and carries the other settings', () => {
    const s = snap(
      'backend http://127.0.0.1:1\ncookie name=SID ttl=1h secret=mine secure=on\ntrusted_proxies 10.0.0.0/8\nclient_max_body_size 1g\ntimeout tunnel 30s\nhash_balance_factor 1.25\n' +
        'max_connections 500\nmax_websockets 40\nwebsocket_max_message 1m\n',
    );
    assert.deepEqual(s.cookie, { name: 'SID', ttl_s: 3600, secret: 'mine', secure: true, previous_secrets: [] });
    assert.deepEqual(s.trusted_proxies, ['10.0.0.0/8']);
    assert.equal(s.limits!.max_body_bytes, String(1024 ** 3));
    assert.deepEqual([s.limits!.max_connections, s.limits!.max_websockets, s.limits!.websocket_max_message_bytes], [500, 40, String(1024 ** 2)]);
    assert.equal(s.pools[0]!.timeouts!.websocket_idle_ms, 30000);
    assert.equal(s.pools[0]!.hash_balance_factor, 1.25);
  });

  it('block-form.conf and flat-form.conf give the same snapshot apart from lines and source', () => {
    const block = snap(confFile('block-form.conf'));
    const flat = snap(confFile('flat-form.conf'));
    assert.deepEqual(withoutPlaces(block), withoutPlaces(flat));
    assert.equal(block.version, flat.version);
    assert.ok(block.pools.length === 2 && block.routes.length === 2);
  });
});

describe('snapshot version', () => {
  const base = [
    'method weighted_round_robin',
    'backend http://127.0.0.1:8001 weight=5',
    'backend http://127.0.0.1:8002 weight=3',
    'backend http://127.0.0.1:9001 pool=api',
    'backend http://127.0.0.1:9002 pool=api',
    'route /api/* backend_pool=api',
    'route /health backend_pool=default',
  ];
  const v = (lines: string[], options: Partial<BuildOptions> = {}) => snap(lines.join('\n'), options).version;

  it('is the same for the same config, and equals computeVersion of the snapshot', () => {
    assert.equal(v(base), v(base));
    const s = snap(base.join('\n'));
    assert.equal(computeVersion(s), s.version);
    assert.equal(computeVersion({ ...s, version: 'ignored' }), s.version);
  });

  it('does not change when backends are reordered or unrelated lines move', () => {
    const reordered = [base[0]!, base[4]!, base[2]!, base[3]!, base[1]!, base[5]!, base[6]!];
    assert.equal(v(reordered), v(base));
    const noisy = ['# a new comment', '', ...base.slice(0, 3), '', '   # more', ...base.slice(3), 'pool api'];
    assert.equal(v(noisy), v(base));
    const s = snap(base.join('\n'));
    assert.equal(computeVersion({ ...s, source: 'elsewhere.conf', pools: [...s.pools].reverse() }), s.version);
  });

  it('changes with any weight, backend, route or setting change', () => {
    const seen = new Set([v(base)]);
    const variants: string[][] = [
      base.map((l) => l.replace('weight=3', 'weight=4')),
      [...base, 'backend http://127.0.0.1:8003'],
      base.filter((l) => !l.includes('8002')),
      base.map((l) => l.replace('/api/*', '/apis/*')),
      [base[0]!, ...base.slice(1, 5), base[6]!, base[5]!],
      [...base, 'route /x backend_pool=api'],
      base.map((l) => l.replace('route /health backend_pool=default', 'route /health backend_pool=api')),
      [...base, 'health_check interval=3s'],
      [...base, 'pool api method=random'],
      [...base, 'cookie ttl=1h'],
      [...base, 'backend http://127.0.0.1:9003 pool=api backup'],
    ];
    for (const lines of variants) {
      const version = v(lines);
      assert.ok(!seen.has(version), `version did not change for:\n${lines.join('\n')}`);
      seen.add(version);
    }
    assert.notEqual(v(base, { cookieSecret: 'other' }), v(base));
  });

  it('changes when an operator drains a backend', () => {
    const s = snap(base.join('\n'));
    const drained: Snapshot = {
      ...s,
      pools: s.pools.map((p) => ({ ...p, backends: p.backends.map((b, i) => (i === 0 ? { ...b, admin_state: 'DRAINING' as const, drain_deadline_unix_ms: '1700000000000' } : b)) })),
    };
    assert.notEqual(computeVersion(drained), s.version);
  });
});

describe('buildSnapshot overrides', () => {
  const text = [
    'method weighted_round_robin',
    'persistence cookie',
    'backend http://127.0.0.1:8001 weight=5',
    'backend http://127.0.0.1:9001 pool=api',
    'backend http://127.0.0.1:9101 pool=auth',
    'pool auth method=ip_hash persistence=none',
    'route /api/* backend_pool=api',
    'route /auth/* backend_pool=auth',
  ].join('\n');
  const byName = (s: Snapshot) => Object.fromEntries(s.pools.map((p) => [p.name, [p.algorithm, p.persistence!.type]]));

  it('without overrides, pools take the global defaults unless they set their own', () => {
    assert.deepEqual(byName(snap(text)), {
      default: ['weighted_round_robin', 'cookie'],
      api: ['weighted_round_robin', 'cookie'],
      auth: ['ip_hash', 'none'],
    });
  });

  it('algorithm and persistence replace the global defaults (any accepted spelling)', () => {
    assert.deepEqual(byName(snap(text, { algorithm: 'least-conn', persistence: 'ip_hash' })), {
      default: ['least_connections', 'ip_hash'],
      api: ['least_connections', 'ip_hash'],
      auth: ['ip_hash', 'none'],
    });
  });

  it('the default pool takes the overrides even when it sets its own', () => {
    const s = snap('backend http://127.0.0.1:1\npool default method=random persistence=cookie\n', { algorithm: 'round_robin', persistence: 'none' });
    assert.deepEqual(byName(s), { default: ['round_robin', 'none'] });
  });

  it('pathRouting false drops every route; the default pool, else the first pool, takes everything', () => {
    const s = snap(text, { pathRouting: false });
    assert.deepEqual(s.routes, []);
    assert.equal(s.default_pool, 'default');
    const noDefault = snap('backend http://127.0.0.1:9001 pool=web\nbackend http://127.0.0.1:9002 pool=api\nroute /api/* api\n', { pathRouting: false });
    assert.deepEqual([noDefault.routes.length, noDefault.default_pool], [0, 'web']);
    assert.equal(snap(text, { pathRouting: true }).routes.length, 2);
  });

  it('checkOverrides names unknown algorithms and persistence types; buildSnapshot refuses them', () => {
    assert.deepEqual(checkOverrides({ algorithm: 'p2c', persistence: 'sticky' }), []);
    assert.deepEqual(checkOverrides({}), []);
    assert.deepEqual(checkOverrides({ algorithm: 'fastest', persistence: 'glue' }), [
      'unknown algorithm "fastest" (expected one of: round_robin, weighted_round_robin, least_connections, ip_hash, consistent_hash, random, power_of_two)',
      'unknown persistence "glue" (expected one of: none, cookie, ip_hash, consistent_hash)',
    ]);
    assert.throws(() => snap(text, { algorithm: 'fastest' }), /unknown algorithm "fastest"/);
  });

  it('source defaults to the config file and can be given', () => {
    assert.equal(snap(text).source, 'test.conf');
    assert.equal(snap(text, { source: '/etc/golb.conf' }).source, '/etc/golb.conf');
  });
});

describe('computeVersion and the generation', () => {
  it('leaves the generation out of the version: the same config under a new generation keeps its version', () => {
    const s = snap('backend http://127.0.0.1:9\n');
    assert.equal(computeVersion({ ...s, generation: '1796180304077' }), s.version);
  });
});

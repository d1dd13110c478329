import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatConfigError } from '../../../controlplane/config/errors.js';
import { loadConfigFile, parseConfig } from '../../../controlplane/config/load-config.js';
import { errorsOf, ONE_BACKEND, warningsOf } from './helpers.js';

const B = ONE_BACKEND;
const ALGS = 'round_robin, weighted_round_robin, least_connections, ip_hash, consistent_hash, random, power_of_two';

describe('formatConfigError', () => {
  it('prints file:line:col: message, and marks warnings', () => {
    assert.equal(formatConfigError({ file: 'a.conf', line: 3, col: 7, message: 'boom', severity: 'error' }), 'a.conf:3:7: boom');
    assert.equal(formatConfigError({ file: 'a.conf', line: 3, col: 7, message: 'hmm', severity: 'warning' }), 'a.conf:3:7: warning: hmm');
  });
});

describe('config errors: each class with its message and position', () => {
  const cases: Array<[string, string, string[]]> = [
    ['unknown directive with a suggestion', B + 'bakend http://127.0.0.1:8002\n', ['test.conf:2:1: unknown directive "bakend"; did you mean "backend"?']],
    ['unknown directive without a close match', B + 'frobnicate yes\n', ['test.conf:2:1: unknown directive "frobnicate"']],
    ['suggestion within two edits', B + 'helth_chek path=/\n', ['test.conf:2:1: unknown directive "helth_chek"; did you mean "health_check"?']],
    [
      'unknown attribute',
      'backend http://127.0.0.1:8001 wieght=5\n',
      ['test.conf:1:31: unknown attribute "wieght" for backend; did you mean "weight"?'],
    ],
    ['attribute written without =', 'backend http://127.0.0.1:8001 weight 5\n', ['test.conf:1:31: "weight" needs a value: write weight=VALUE']],
    ['missing argument', 'backend\n' + B, ['test.conf:1:8: missing URL after "backend"']],
    ['missing algorithm', B + 'method\n', ['test.conf:2:7: missing an algorithm name after "method"']],
    ['unknown algorithm', B + 'method fastest\n', [`test.conf:2:8: unknown algorithm "fastest" (expected one of: ${ALGS})`]],
    ['unknown algorithm in a pool attribute', B + 'pool default method=fastest\n', [`test.conf:2:21: unknown algorithm "fastest" (expected one of: ${ALGS})`]],
    [
      'unknown persistence',
      B + 'persistence sticky-ish\n',
      ['test.conf:2:13: unknown persistence "sticky-ish" (expected one of: none, cookie, ip_hash, consistent_hash)'],
    ],
    ['URL with another scheme', 'backend ftp://127.0.0.1:8001\n' + B, ['test.conf:1:9: bad backend URL "ftp://127.0.0.1:8001": scheme must be http or https, not ftp']],
    ['URL with a path', 'backend http://127.0.0.1:8001/app\n' + B.replace('8001', '8002'), ['test.conf:1:9: bad backend URL "http://127.0.0.1:8001/app": a backend has no path (found "/app")']],
    ['URL without scheme', 'backend 127.0.0.1:8001\n' + B, ['test.conf:1:9: bad backend URL "127.0.0.1:8001": expected http://HOST[:PORT] or https://HOST[:PORT]']],
    [
      'weight not a positive integer',
      'backend http://127.0.0.1:8001 weight=0\nbackend http://127.0.0.1:8002 weight=1.5\n',
      [
        'test.conf:1:38: weight must be a positive integer (1 to 1000000), got "0"',
        'test.conf:2:38: weight must be a positive integer (1 to 1000000), got "1.5"',
      ],
    ],
    [
      'bad duration',
      B + 'health_check interval=5x\n',
      ['test.conf:2:23: bad duration "5x" for health_check interval (expected e.g. 500ms, 2s, 1m, 1h, 1d or seconds)'],
    ],
    ['bad size', B + 'max_header_size 16q\n', ['test.conf:2:17: bad size "16q" for max_header_size (expected e.g. 16k, 1m, 1g or bytes)']],
    ['bad number', B + 'max_headers lots\n', ['test.conf:2:13: bad number "lots" for max_headers (expected a whole number >= 1)']],
    ['max_connections of 0', B + 'max_connections 0\n', ['test.conf:2:17: max_connections must be between 1 and 10000000, got 0']],
    ['max_websockets not a number', B + 'max_websockets many\n', ['test.conf:2:16: bad number "many" for max_websockets (expected a whole number >= 1)']],
    ['websocket_max_message of 0', B + 'websocket_max_message 0\n', ['test.conf:2:23: websocket_max_message must be more than 0']],
    ['websocket_max_message over 1g', B + 'websocket_max_message 2g\n', ['test.conf:2:23: size "2g" for websocket_max_message is too large']],
    ['route to an undefined pool', B + 'route /api/* backend_pool=api\n', ['test.conf:2:27: route to undefined pool "api"']],
    [
      'duplicate backend in a pool',
      B + 'backend http://127.0.0.1:8001 weight=2\n',
      ['test.conf:2:9: duplicate backend "http://127.0.0.1:8001" in pool "default" (first on line 1)'],
    ],
    ['route to a pool with no backends', B + 'pool api method=round_robin\nroute /api/* backend_pool=api\n', ['test.conf:3:27: route to pool "api", which has no backends']],
    ['default_backend to a pool with no backends', B + 'pool api\ndefault_backend api\n', ['test.conf:3:17: default_backend "api" has no backends']],
    ['regex that does not compile', B + 'route ~^/(a backend_pool=default\n', ['test.conf:2:7: bad regex "^/(a": Unterminated group']],
    [
      'regex that backtracks catastrophically',
      B + 'route ~^/(a+)+$ backend_pool=default\n',
      [`test.conf:2:7: regex "^/(a+)+$" can backtrack catastrophically (exponential complexity, attack string '/a' + 'a'.repeat(31) + '/')`],
    ],
    ['unexpected "}"', B + '}\n', ['test.conf:2:1: unexpected "}": no block is open']],
    ['unclosed "{"', 'upstream api {\n  server http://127.0.0.1:8001\n', ['test.conf:1:14: unclosed "{" of upstream "api": add "}"']],
    ['upstream without "{"', B + 'upstream api;\n', ['test.conf:2:13: expected "{" after "upstream api"']],
    ['directive not allowed in a block', 'upstream api {\n  server http://127.0.0.1:8001;\n  route /x api;\n}\n', ['test.conf:3:3: "route" is not allowed inside an upstream block']],
    ['pool= inside a block', 'upstream api {\n  server http://127.0.0.1:8001 pool=x;\n}\n', ['test.conf:2:32: "pool=" is not allowed inside an upstream block (the block names the pool)']],
    ['no backends at all', 'method round_robin\n', ['test.conf:1:1: no backends defined (add e.g. "backend http://127.0.0.1:8001")']],
    ['default_backend naming an unknown pool', B + 'default_backend nope\n', ['test.conf:2:17: default_backend names unknown pool "nope"']],
    ['global-only timeout with pool=', B + 'timeout client 5s pool=default\n', ['test.conf:2:19: timeout "client" is global only; it cannot be set per pool']],
    [
      'unknown timeout kind',
      B + 'timeout conect 5s\n',
      ['test.conf:2:9: unknown timeout "conect"; did you mean "connect"? (expected one of: connect, server, idle, tunnel, http-request, client, http-keep-alive, shutdown, drain)'],
    ],
    [
      'invalid trusted proxies, each at its column',
      B + 'trusted_proxies 10.0.0.0/8 10.0.0.0/33 nope\n',
      [
        'test.conf:2:28: bad trusted proxy "10.0.0.0/33" (expected an IPv4/IPv6 address or CIDR like 10.0.0.0/8)',
        'test.conf:2:40: bad trusted proxy "nope" (expected an IPv4/IPv6 address or CIDR like 10.0.0.0/8)',
      ],
    ],
    ['unterminated quote', B + 'cookie secret="abc\n', ['test.conf:2:15: unterminated quote: missing closing "']],
    ['bad route pattern', B + 'route api/* backend_pool=default\n', ['test.conf:2:7: bad route pattern "api/*" (expected /exact, /prefix/* or ~regex)']],
    ['"*" inside a pattern', B + 'route /a/*/b backend_pool=default\n', ['test.conf:2:7: bad route pattern "/a/*/b": "*" is only allowed at the end, as in /api/*']],
    ['route without a pool', B + 'route /x\n', ['test.conf:2:9: route needs a pool: add backend_pool=NAME']],
    ['bad hash_key', B + 'hash_key header:\n', ['test.conf:2:10: bad hash_key "header:" (expected path, uri, ip, header:NAME or cookie:NAME)']],
    ['bad hash_balance_factor', B + 'hash_balance_factor 0.5\n', ['test.conf:2:21: hash_balance_factor must be 0 (off) or between 1.0 and 100, got 0.5']],
    ['bad boolean', B + 'cookie secure=maybe\n', ['test.conf:2:15: bad value "maybe" for cookie secure (expected on, off, true, false, yes or no)']],
    ['unset secret variable', B + 'cookie secret=env:GOLB_TEST_UNSET\n', ['test.conf:2:15: environment variable GOLB_TEST_UNSET (cookie secret) is not set']],
    ['settings for an unknown pool', B + 'health_check pool=nope path=/x\n', ['test.conf:2:19: health_check for unknown pool "nope"']],
    ['attribute given twice', 'backend http://127.0.0.1:8001 weight=1 weight=2\n', ['test.conf:1:40: attribute "weight" given twice']],
    ['bad status range', B + 'health_check status=500-200\n', ['test.conf:2:21: bad health_check status "500-200" (expected a code or a range like 200-399)']],
    ['bad panic_threshold', B + 'panic_threshold 150%\n', ['test.conf:2:17: bad percentage "150%" for panic_threshold (expected 0% to 100%)']],
    ['bad max_ejection_percent', B + 'passive_health max_ejection_percent=half\n', ['test.conf:2:37: bad percentage "half" for max_ejection_percent (expected 0% to 100%)']],
    ['bad passive_health errors', B + 'passive_health errors=500\n', ['test.conf:2:23: bad passive_health errors "500" (expected gateway or 5xx)']],
    ['bad pool name', 'backend http://127.0.0.1:8001 pool=a/b\n' + B, ['test.conf:1:36: bad pool name "a/b" (use letters, digits, "_", "-" and ".")']],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => assert.deepEqual(errorsOf(text), expected));
  }
});

describe('config errors: reporting', () => {
  it('reports five different errors at once, sorted by position', () => {
    const text = [
      'bakend http://127.0.0.1:8000', // 1: unknown directive
      'backend http://127.0.0.1:8001 weight=-1', // 2: bad weight
      'method fastest', // 3: unknown algorithm
      'health_check interval=soon', // 4: bad duration
      'route /api/* backend_pool=api', // 5: undefined pool
    ].join('\n');
    assert.deepEqual(errorsOf(text), [
      'test.conf:1:1: unknown directive "bakend"; did you mean "backend"?',
      'test.conf:2:38: weight must be a positive integer (1 to 1000000), got "-1"',
      `test.conf:3:8: unknown algorithm "fastest" (expected one of: ${ALGS})`,
      'test.conf:4:23: bad duration "soon" for health_check interval (expected e.g. 500ms, 2s, 1m, 1h, 1d or seconds)',
      'test.conf:5:27: route to undefined pool "api"',
    ]);
  });

  it('returns no config when there is any error', () => {
    const r = parseConfig(B + 'method fastest\n', 'x.conf');
    assert.equal(r.ok, false);
    assert.equal('config' in r, false);
  });

  it('a missing "}" ends the block at the first directive that cannot be in it, without a cascade', () => {
    const text = 'upstream api {\n  server http://127.0.0.1:9001\nroute /api/* backend_pool=api\ndefault_backend api\n';
    assert.deepEqual(errorsOf(text), ['test.conf:1:14: unclosed "{" of upstream "api": add "}" before line 3']);
  });

  it('warns about a pool without backends that nothing uses, and still loads', () => {
    const r = parseConfig(B + 'pool spare method=random\n', 'test.conf');
    assert.ok(r.ok);
    assert.deepEqual(r.warnings.map(formatConfigError), ['test.conf:2:6: warning: pool "spare" has no backends']);
  });

  it('warns about a duplicate route pattern', () => {
    assert.deepEqual(warningsOf(B + 'route /a/* backend_pool=default\nroute /a/* backend_pool=default\n'), [
      'test.conf:3:1: warning: duplicate route "/a/*": the route on line 2 matches the same requests, so this one is never used',
    ]);
    // Same path with other conditions is not a duplicate.
    assert.deepEqual(warningsOf(B + 'route /a/* backend_pool=default methods=POST\nroute /a/* backend_pool=default\n'), []);
  });

  it('warns when the same setting is given twice', () => {
    assert.deepEqual(warningsOf(B + 'method rr\nmethod random\n'), [
      'test.conf:3:8: warning: algorithm for all pools already set on line 2; this one wins',
    ]);
  });

  it('a file that cannot be read is one error at line 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'golb-conf-'));
    try {
      const missing = join(dir, 'missing.conf');
      const r = await loadConfigFile(missing);
      assert.equal(r.ok, false);
      assert.equal(r.ok ? '' : formatConfigError(r.errors[0]!), `${missing}:0:0: cannot read file: ENOENT: no such file or directory, open '${missing}'`);
      const r2 = await loadConfigFile(dir);
      assert.equal(r2.ok, false);
      assert.match(r2.ok ? '' : formatConfigError(r2.errors[0]!), /:0:0: cannot read file: EISDIR/);
      const good = join(dir, 'good.conf');
      writeFileSync(good, B);
      const r3 = await loadConfigFile(good);
      assert.ok(r3.ok);
      assert.equal(r3.config.source, good);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never throws, whatever the input', () => {
    const pieces = ['upstream', '{', '}', ';', 'backend', 'route', '~(', '"', "'", 'pool=', '=', 'x=y', '#', 'http://', '\n', ' ', 'timeout', 'health_check', '/*', 'weight=', 'header=:'];
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (let n = 0; n < 300; n++) {
      let text = '';
      for (let k = 0; k < 30; k++) text += pieces[next() % pieces.length] + (next() % 3 === 0 ? ' ' : '');
      const r = parseConfig(text, 'fuzz.conf');
      const internal = r.ok ? [] : r.errors.filter((e) => e.message.startsWith('internal error'));
      assert.deepEqual(internal, [], text);
    }
  });
});

describe('quadratic regexes', () => {
  it('load with a warning that names the attack string, not an error', () => {
    const text = B + 'route ~^/api/(.*)/(.*)$ backend_pool=default\n';
    const warnings = warningsOf(text);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^test\.conf:2:7: warning: regex "\^\/api\/\(\.\*\)\/\(\.\*\)\$" backtracks quadratically on long paths \(attack string .+\); anchor it or use a prefix route if you can$/);
    assert.equal(parseConfig(text, 'test.conf').ok, true);
  });
});

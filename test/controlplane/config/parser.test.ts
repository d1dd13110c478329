import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../controlplane/config/load-config.js';
import { DIRECTIVE_NAMES } from '../../../controlplane/config/parser.js';

const firstError = (text: string): string | undefined => {
  const r = parseConfig(text, 'test.conf', { env: {} });
  return r.ok ? undefined : r.errors[0]!.message;
};

describe('parser directive table', () => {
  it('knows every directive once, from all families, with upstream last', () => {
    assert.equal(new Set(DIRECTIVE_NAMES).size, DIRECTIVE_NAMES.length);
    assert.equal(DIRECTIVE_NAMES.at(-1), 'upstream');
    assert.deepEqual([...DIRECTIVE_NAMES].sort(), [
      'algorithm',
      'allow_trace',
      'backend',
      'client_max_body_size',
      'cookie',
      'default_backend',
      'default_pool',
      'hash_balance_factor',
      'hash_key',
      'health_check',
      'max_connections',
      'max_header_size',
      'max_headers',
      'max_websockets',
      'method',
      'panic_threshold',
      'passive_health',
      'persistence',
      'pool',
      'resolver',
      'retries',
      'route',
      'server',
      'timeout',
      'trusted_proxies',
      'underscores_in_headers',
      'upstream',
      'websocket_max_message',
    ]);
  });

  it('suggests the same name as before the split when a typo is equally close to two directives', () => {
    const cases: Array<[string, string]> = [
      ['root', 'pool'], // as close to route
      ['cook', 'pool'], // as close to cookie
      ['coote', 'route'], // as close to cookie
      ['series', 'server'], // as close to retries
      ['reserver', 'server'], // as close to resolver
      ['max_headersze', 'max_header_size'], // as close to max_headers
    ];
    for (const [typo, suggested] of cases) {
      assert.equal(firstError(`${typo} x\n`), `unknown directive "${typo}"; did you mean "${suggested}"?`, typo);
    }
  });
});

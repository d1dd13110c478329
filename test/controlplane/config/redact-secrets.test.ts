import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redactConfigText } from '../../../controlplane/config/redact-secrets.js';
import { parseConfig } from '../../../controlplane/config/load-config.js';
import { formatConfigError } from '../../../controlplane/config/errors.js';

describe('redactConfigText', () => {
  const table: Array<[string, string, string]> = [
    ['a literal secret', 'cookie secret=s3cr3t\n', 'cookie secret=<redacted>\n'],
    ['an env: reference', 'cookie name=sid secret=env:LB_SECRET ttl=1h\n', 'cookie name=sid secret=<redacted> ttl=1h\n'],
    ['a quoted secret with spaces', 'cookie secret="a b c" secure=true\n', 'cookie secret=<redacted> secure=true\n'],
    ['a statement-ending ;', 'cookie secret=abc; # comment\n', 'cookie secret=<redacted>; # comment\n'],
    ['a ; inside the value', 'cookie secret=a;b\n', 'cookie secret=<redacted>\n'],
    ['two on one line', 'cookie secret=a; cookie secret=b\n', 'cookie secret=<redacted>; cookie secret=<redacted>\n'],
    ['nothing secret', 'backend http://127.0.0.1:1 weight=2\n# secret=not-an-attribute\n', 'backend http://127.0.0.1:1 weight=2\n# secret=not-an-attribute\n'],
  ];
  for (const [name, input, expected] of table) {
    it(`redacts ${name}, keeping the rest byte for byte`, () => assert.equal(redactConfigText(input), expected));
  }
});

describe('config from the Admin API (env: null)', () => {
  const text = (secret: string) => `backend http://127.0.0.1:1\ncookie secret=${secret}\n`;
  const errors = (t: string, env: Record<string, string> | null) => {
    const r = parseConfig(t, 'sent.conf', { env });
    return r.ok ? [] : r.errors.map(formatConfigError);
  };

  it('refuses env: and file: references with file:line:col', () => {
    assert.match(errors(text('env:HOME'), null)[0]!, /^sent\.conf:2:15: "env:" references are resolved only from the control plane's own config file/);
    assert.match(errors(text('file:/etc/passwd'), null)[0]!, /^sent\.conf:2:15: "file:" references/);
  });

  it('still resolves env: in the control plane own file', () => {
    assert.deepEqual(errors(text('env:X'), { X: 'v' }), []);
  });

  it('refuses the <redacted> placeholder anywhere', () => {
    assert.match(errors(text('<redacted>'), {})[0]!, /placeholder of `golbctl config`/);
  });
});

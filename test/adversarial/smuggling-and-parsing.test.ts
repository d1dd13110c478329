// Request smuggling and parsing, modelled on HAProxy's and nginx's regression tests: exact bytes
// go in over a raw socket, the exact status comes back, the connection closes where the framing
// can no longer be trusted — and the backend, which records everything, never sees the request.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { insecureParserFlag } from '../../dataplane/data-plane.js';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { parseResponses, rawExchange } from './raw-client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';

/** name → exact request bytes; every one must get exactly `status` and never reach a backend. */
const REFUSED: Array<[string, string, number]> = [
  ['CL.TE: Content-Length and Transfer-Encoding together', `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`, 400],
  ['TE.CL: Transfer-Encoding then Content-Length', `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n`, 400],
  ['duplicate Content-Length, same value', `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc`, 400],
  ['duplicate Content-Length, different values', `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: ${SMUGGLED.length + 3}\r\n\r\nabc${SMUGGLED}`, 400],
  ['Content-Length list', `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc`, 400],
  ['Content-Length with a sign', `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc`, 400],
  ['negative Content-Length', `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\nabc`, 400],
  ['hexadecimal Content-Length', `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc`, 400],
  ['obfuscated TE: xchunked', `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, 400],
  ['obfuscated TE: chunked, identity (chunked not last)', `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`, 400],
  ['obfuscated TE: identity alone', `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n`, 400],
  ['obfuscated TE: two Transfer-Encoding fields', `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n`, 400],
  ['obfuscated TE: quoted', `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n`, 400],
  ['obfuscated TE: vertical tab before the value', `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n`, 400],
  ['obfuscated TE: leading space on the name', `POST /a HTTP/1.1\r\nHost: x\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['obfuscated TE: folded onto the next line', `POST /a HTTP/1.1\r\nHost: x\r\nX: y\r\nTransfer-Encoding\r\n : chunked\r\n\r\n0\r\n\r\n`, 400],
  ['space before colon', `GET /a HTTP/1.1\r\nHost: x\r\nX-Foo : bar\r\n\r\n`, 400],
  ['space before colon on Transfer-Encoding', `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n`, 400],
  ['obs-fold (space)', `GET /a HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n b\r\n\r\n`, 400],
  ['obs-fold (tab)', `GET /a HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n\tb\r\n\r\n`, 400],
  ['bare LF line endings', `GET /a HTTP/1.1\nHost: x\n\n`, 400],
  ['bare LF inside the head', `GET /a HTTP/1.1\r\nHost: x\nX: y\r\n\r\n`, 400],
  ['bare CR between fields', `GET /a HTTP/1.1\r\nHost: x\rX: y\r\n\r\n`, 400],
  ['bare CR inside a value', `GET /a HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n`, 400],
  ['\\r\\n\\rX: CR after a field line', `GET /a HTTP/1.1\r\nHost: x\r\nX: y\r\n\rX: z\r\n\r\n`, 400],
  ['NUL inside a value', `GET /a HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n`, 400],
  ['bad chunk size (overflow)', `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\nabc\r\n0\r\n\r\n`, 400],
  ['chunk lines ended by bare LF', `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n`, 400],
  ['control byte in a chunk extension', `POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;\x00\r\nabc\r\n0\r\n\r\n`, 400],
  ['Transfer-Encoding in HTTP/1.0', `POST /a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, 400],
  ['HTTP/1.1 without Host', `GET /a HTTP/1.1\r\n\r\n`, 400],
  ['control byte in the method', `G\x01T /a HTTP/1.1\r\nHost: x\r\n\r\n`, 400],
  ['unknown HTTP version', `GET /a HTTP/1.2\r\nHost: x\r\n\r\n`, 400],
  ['HTTP/0.9 simple request', `GET /a\r\n\r\n`, 505],
  ['CONNECT tunnel', `CONNECT internal:22 HTTP/1.1\r\nHost: internal:22\r\n\r\n`, 405],
];

describe('request smuggling and parsing', () => {
  let backend: FakeBackend;
  let other: FakeBackend;
  let cluster: Cluster;
  let port: number;
  before(async () => {
    backend = await startFakeBackend({ name: 'main' });
    other = await startFakeBackend({ name: 'other' });
    cluster = await startCluster(`
method round_robin
health_check off
backend ${backend.url}
backend ${other.url} pool=other
route /* backend_pool=other host=other.example
`);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await backend.close();
    await other.close();
  });

  const seen = () => [...backend.requests, ...other.requests];
  const mark = () => ({ main: backend.requests.length, other: other.requests.length });
  const since = (m: { main: number; other: number }) => [...backend.requests.slice(m.main), ...other.requests.slice(m.other)];

  for (const [name, bytes, status] of REFUSED) {
    it(`refuses ${name} with ${status}, closes, and no backend sees it`, async () => {
      const before = seen().length;
      const r = await rawExchange(port, bytes, { timeoutMs: 3000 });
      const responses = parseResponses(r.text);
      assert.deepEqual(responses.map((x) => x.status), [status], `exactly one ${status}, got ${JSON.stringify(r.text.slice(0, 80))}`);
      assert.equal(r.closed, true, 'the connection is closed: its framing can no longer be trusted');
      assert.equal(seen().length, before, 'no backend received anything');
      assert.ok(!seen().some((x) => x.url.includes('smuggled')), 'the smuggled request never reached a backend');
    });
  }

  it('keeps serving on fresh connections after every refusal', async () => {
    const r = await rawExchange(port, 'GET /still-here HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1 });
    const [res] = parseResponses(r.text);
    assert.equal(res?.status, 200);
    assert.equal(res?.headers['x-backend'], 'main');
    assert.deepEqual(seen().map((x) => x.url), ['/still-here']);
  });

  it('answers an earlier pipelined request, then closes without answering a malformed one after it', async () => {
    const before = backend.requests.length;
    const r = await rawExchange(port, `GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\nX-Foo : bar\r\n\r\n`, { timeoutMs: 3000 });
    const responses = parseResponses(r.text);
    // The 200 belongs to /first; a 400 written in its place would tell the client /first was refused.
    assert.deepEqual(responses.map((x) => [x.status, x.body.trim()]), [[200, 'main GET /first']]);
    assert.equal(r.closed, true);
    assert.deepEqual(backend.requests.slice(before).map((x) => x.url), ['/first']);
  });

  it('never lets Connection remove Content-Length: the body stays one framed body', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const before = backend.requests.length;
      const r = await rawExchange(port, `${method} /framed HTTP/1.1\r\nHost: x\r\nConnection: Content-Length\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`, { responses: 1 });
      assert.equal(parseResponses(r.text)[0]?.status, 200, method);
      // Give a smuggled second request time to show up, were there one.
      await new Promise((res) => setTimeout(res, 100));
      const got = backend.requests.slice(before);
      assert.deepEqual(got.map((x) => [x.method, x.url, x.body]), [[method, '/framed', SMUGGLED]], method);
      assert.equal(got[0]!.headers['content-length'], String(SMUGGLED.length));
    }
  });

  it('forwards a valid chunked body re-framed, with the same bytes', async () => {
    const before = backend.requests.length;
    const r = await rawExchange(port, `POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`, { responses: 1 });
    assert.equal(parseResponses(r.text)[0]?.status, 200);
    assert.deepEqual(backend.requests.slice(before).map((x) => x.body), ['hello world']);
  });

  it('refuses two different Host headers with 400, and two equal ones too', async () => {
    for (const hosts of [['a.example', 'other.example'], ['other.example', 'other.example']]) {
      const before = seen().length;
      const r = await rawExchange(port, `GET /h HTTP/1.1\r\nHost: ${hosts[0]}\r\nHost: ${hosts[1]}\r\n\r\n`, { responses: 1 });
      const [res] = parseResponses(r.text);
      assert.equal(res?.status, 400);
      assert.match(res!.body, /more than one Host header/);
      assert.equal(seen().length, before);
    }
  });

  it('refuses an absolute-form target whose host differs from Host with 400', async () => {
    const before = seen().length;
    const r = await rawExchange(port, `GET http://other.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n`, { responses: 1 });
    const [res] = parseResponses(r.text);
    assert.equal(res?.status, 400);
    assert.match(res!.body, /differs from Host/);
    assert.equal(seen().length, before);
  });

  it('routes an absolute-form target on its own authority, and sends that one Host upstream', async () => {
    for (const [target, host, pool] of [
      ['http://other.example/abs', 'other.example', 'other'],
      ['http://a.example/abs', 'a.example', 'main'],
      ['http://other.example/abs', 'OTHER.example', 'other'],
    ] as const) {
      const m = mark();
      const r = await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`, { responses: 1 });
      const [res] = parseResponses(r.text);
      assert.equal(res?.status, 200);
      assert.equal(res?.headers['x-backend'], pool);
      const got = since(m);
      assert.equal(got.length, 1);
      assert.equal(got[0]!.url, '/abs');
      assert.equal(got[0]!.headers.host, new URL(target).host);
    }
  });
});

describe('the lenient HTTP parser', () => {
  it('is detected on the command line and in NODE_OPTIONS', () => {
    assert.equal(insecureParserFlag([], ''), undefined);
    assert.equal(insecureParserFlag(['--import', 'tsx'], '--max-old-space-size=100'), undefined);
    assert.match(insecureParserFlag(['--insecure-http-parser'], '')!, /command line/);
    assert.match(insecureParserFlag([], '--trace-warnings --insecure-http-parser')!, /NODE_OPTIONS/);
  });

  /** Runs the golb launcher as a data plane; resolves with its exit code and output (killed if it starts). */
  function runGolb(execArgv: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; started: boolean }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [...execArgv, '--import', 'tsx', 'cli/golb/entry.ts', 'dataplane', '--control-plane', '127.0.0.1:1', '--host', '127.0.0.1', '--port', '0'], {
        cwd: ROOT,
        env: { ...process.env, NODE_OPTIONS: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let started = false;
      const onData = (d: Buffer) => {
        out += d.toString();
        if (!started && out.includes('traffic on port')) {
          started = true;
          child.kill('SIGKILL');
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out, started });
      });
    });
  }

  it('makes golb refuse to start, with a clear message, from NODE_OPTIONS or the command line', async () => {
    const [viaEnv, viaArgv, control] = await Promise.all([
      runGolb([], { NODE_OPTIONS: '--insecure-http-parser' }),
      runGolb(['--insecure-http-parser'], {}),
      runGolb([], {}),
    ]);
    for (const r of [viaEnv, viaArgv]) {
      assert.equal(r.started, false, r.out);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /golb: refusing to start: --insecure-http-parser .*smuggled/);
    }
    assert.match(viaEnv.out, /NODE_OPTIONS/);
    assert.match(viaArgv.out, /command line/);
    // Without the flag the same command starts: the refusal is the flag's doing.
    assert.equal(control.started, true, control.out);
  });
});

// Informational (1xx) responses from a backend: `timeout server` bounds the wait for the FINAL
// response however many 1xx arrive, and a 1xx nobody asked for (a stray 100 Continue, 102, 103)
// is ignored: the final response is relayed, the request is not counted as a failure nor retried.
// Both engines behave alike.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { parseResponses, rawExchange } from './raw-client.js';
import { okResponse, startScriptedBackend, type ScriptedBackend } from './scripted-backend.js';

const INTERIM_EVERY_MS = 300;

describe('informational responses from a backend', () => {
  let interim: ScriptedBackend;
  let other: ScriptedBackend;
  let cluster: Cluster;
  let port: number;
  const timers = new Set<NodeJS.Timeout>();
  before(async () => {
    // What it does depends on the path: /forever sends 102 for ever, /late/N sends N 102s and
    // then the 200, /stray/CODE sends one CODE and then the 200 at once.
    interim = await startScriptedBackend('interim', (req, conn) => {
      const s = conn.socket;
      const stray = /\/stray\/(\d{3})$/.exec(req.url);
      if (stray) {
        s.write(`HTTP/1.1 ${stray[1]} Interim\r\n${stray[1] === '103' ? 'Link: </a.css>; rel=preload\r\n' : ''}\r\n`);
        s.write(okResponse('interim', req));
        return;
      }
      if (req.url === '/split') {
        // A 100 whose head arrives in pieces, the last piece together with the 200.
        s.write('HTTP/1.1 10');
        const t = setTimeout(() => {
          timers.delete(t);
          s.write('0 Con');
          s.write(`tinue\r\n\r\n${okResponse('interim', req)}`);
        }, 100);
        timers.add(t);
        return;
      }
      const late = /\/late\/(\d+)$/.exec(req.url);
      let left = late ? Number(late[1]) : Infinity;
      const timer = setInterval(() => {
        if (s.destroyed) {
          clearInterval(timer);
          timers.delete(timer);
          return;
        }
        if (left-- > 0) {
          s.write('HTTP/1.1 102 Processing\r\n\r\n');
          return;
        }
        clearInterval(timer);
        timers.delete(timer);
        s.write(okResponse('interim', req));
      }, INTERIM_EVERY_MS);
      timers.add(timer);
    });
    other = await startScriptedBackend('other');
    cluster = await startCluster(`
method round_robin
health_check off
passive_health off
timeout server 1s
retries 2
backend ${interim.url}
backend ${interim.url} pool=pair
backend ${other.url} pool=pair
route /pair/* backend_pool=pair
`);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    for (const t of timers) clearTimeout(t);
    await cluster.close();
    await interim.close();
    await other.close();
  });

  it('answers 504 once `timeout server` passes without a final response, however many 102s came', async () => {
    const r = await rawExchange(port, `GET /forever HTTP/1.1\r\nHost: x\r\n\r\n`, { responses: 1, timeoutMs: 10_000 });
    const responses = parseResponses(r.text);
    assert.equal(responses.length, 1, `one answer within 10 s, got ${JSON.stringify(r.text.slice(0, 120))}`);
    assert.equal(responses[0]!.status, 504);
  });

  it('relays a final response that follows 102s within `timeout server`', async () => {
    const r = await rawExchange(port, `GET /late/2 HTTP/1.1\r\nHost: x\r\n\r\n`, { responses: 1, timeoutMs: 10_000 });
    const responses = parseResponses(r.text);
    // Interim responses are the backend's business with golb: the client sees the 200 alone.
    assert.deepEqual(responses.map((x) => [x.status, x.body.trim()]), [[200, 'interim GET /late/2']]);
  });

  it('ignores a stray 100 that arrives in pieces', async () => {
    const r = await rawExchange(port, `GET /split HTTP/1.1\r\nHost: x\r\n\r\n`, { responses: 1, timeoutMs: 10_000 });
    assert.deepEqual(parseResponses(r.text).map((x) => [x.status, x.body.trim()]), [[200, 'interim GET /split']]);
  });

  for (const code of ['100', '102', '103']) {
    it(`ignores a stray ${code} and relays the 200 behind it, without a retry elsewhere`, async () => {
      const before = { interim: interim.requests.length, other: other.requests.length };
      // The default pool has the one backend; in `pair`, round robin sends one of two to each.
      const answeredBy: string[] = [];
      for (const path of [`/stray/${code}`, `/pair/stray/${code}`, `/pair/stray/${code}`]) {
        const r = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, { responses: 1, timeoutMs: 10_000 });
        const responses = parseResponses(r.text);
        assert.equal(responses.length, 1, r.text.slice(0, 200));
        assert.equal(responses[0]!.status, 200, r.text.slice(0, 200));
        assert.match(responses[0]!.body, new RegExp(`^(interim|other) GET ${path}\n$`));
        answeredBy.push(responses[0]!.headers['x-backend']!);
      }
      assert.equal(answeredBy[0], 'interim');
      assert.ok(answeredBy.includes('other') && answeredBy.filter((b) => b === 'interim').length === 2, answeredBy.join());
      // Each request reached exactly one backend: the one that answered it.
      assert.equal(interim.requests.length - before.interim, 2);
      assert.equal(other.requests.length - before.other, 1);
    });
  }
});

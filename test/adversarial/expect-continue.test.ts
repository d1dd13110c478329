// `Expect: 100-continue`: golb decides route, body limit and backend availability before it says
// `100 Continue`. A refusal is the final answer, without a 100 (the client never uploads), and it
// closes the connection; an acceptable request still gets its 100, and only then its body is read.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { closedWithin, connect, parseResponses } from './raw-client.js';
import { startScriptedBackend, type ScriptedBackend } from './scripted-backend.js';
import { sleep } from './support.js';

/** A raw connection that collects what the proxy sends. */
async function open(port: number): Promise<{ socket: net.Socket; text: () => string; waitFor(pred: (t: string) => boolean, ms?: number): Promise<boolean> }> {
  const socket = await connect(port);
  socket.on('error', () => {});
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  return {
    socket,
    text: () => text,
    async waitFor(pred, ms = 5000) {
      const deadline = Date.now() + ms;
      while (!pred(text)) {
        if (Date.now() > deadline || socket.destroyed) return pred(text);
        await sleep(20);
      }
      return true;
    },
  };
}

describe('Expect: 100-continue', () => {
  let backend: ScriptedBackend;
  let cluster: Cluster;
  let port: number;
  before(async () => {
    backend = await startScriptedBackend('api');
    cluster = await startCluster(`
method round_robin
health_check off
passive_health off
client_max_body_size 1k
backend ${backend.url} pool=api
backend ${backend.url} pool=closed down
route /api/* backend_pool=api
route /closed/* backend_pool=closed
`);
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await backend.close();
  });

  const refusals: Array<[string, string, number]> = [
    ['a Content-Length over client_max_body_size', `PUT /api/upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10485760\r\n\r\n`, 413],
    ['a path no route serves', `PUT /nowhere HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n`, 404],
    ['a pool without an available backend', `PUT /closed/x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n`, 503],
    ['a chunked body to a pool without an available backend', `POST /closed/x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n`, 503],
  ];
  for (const [name, head, status] of refusals) {
    it(`answers ${name} with ${status} and no 100 Continue, then closes`, async () => {
      const before = backend.requests.length;
      const c = await open(port);
      // The client waits for the 100 before it sends the body: it sends the head alone.
      c.socket.write(head);
      assert.ok(await c.waitFor((t) => parseResponses(t).length >= 1), `an answer without the body: ${JSON.stringify(c.text())}`);
      assert.ok(!c.text().startsWith('HTTP/1.1 100'), c.text());
      const [res] = parseResponses(c.text());
      assert.equal(res!.status, status);
      assert.equal(res!.headers.connection, 'close');
      assert.ok(await closedWithin(c.socket, 5000), 'the connection closes: the announced body may or may not follow');
      assert.equal(backend.requests.length, before);
      c.socket.destroy();
    });
  }

  it('sends 100 Continue for an acceptable request, then forwards the body once', async () => {
    const before = backend.requests.length;
    const c = await open(port);
    c.socket.write(`PUT /api/upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n`);
    assert.ok(await c.waitFor((t) => t.includes('\r\n\r\n')), 'the client gets an interim answer before it sends the body');
    assert.match(c.text(), /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    c.socket.write('hello');
    assert.ok(await c.waitFor((t) => parseResponses(t.slice(t.indexOf('\r\n\r\n') + 4)).length >= 1), c.text());
    const [res] = parseResponses(c.text().slice(c.text().indexOf('\r\n\r\n') + 4));
    assert.equal(res!.status, 200);
    assert.equal(res!.body.trim(), 'api PUT /api/upload');
    const got = backend.requests.slice(before);
    assert.deepEqual(got.map((x) => [x.method, x.url, x.body]), [['PUT', '/api/upload', 'hello']]);
    assert.equal(got[0]!.headers.expect, undefined, 'the expectation is golb\'s business with its client');
    c.socket.destroy();
  });

  it('sends 100 Continue for an acceptable chunked upload', async () => {
    const before = backend.requests.length;
    const c = await open(port);
    c.socket.write(`POST /api/chunks HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n`);
    assert.ok(await c.waitFor((t) => t.includes('\r\n\r\n')));
    assert.match(c.text(), /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    c.socket.write('5\r\nhello\r\n0\r\n\r\n');
    assert.ok(await c.waitFor((t) => parseResponses(t.slice(t.indexOf('\r\n\r\n') + 4)).length >= 1), c.text());
    assert.deepEqual(backend.requests.slice(before).map((x) => x.body), ['hello']);
    c.socket.destroy();
  });
});

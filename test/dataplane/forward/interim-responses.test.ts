import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { dropInterimResponses } from '../../../dataplane/forward/interim-responses.js';

const HEAD = 'GET /x HTTP/1.1\r\nhost: b\r\n\r\n';
const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';

/**
 * A filtered client socket on loopback: writes `clientWrite` (if any), then the server sends each
 * of `serverChunks` (a few ms apart) and closes; resolves with every byte the client could read.
 */
async function through(clientWrite: string | Buffer | undefined, serverChunks: string[]): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.on('error', () => {});
  dropInterimResponses(client);
  const peer = await accepted;
  peer.on('error', () => {});
  peer.resume();
  let got = '';
  client.on('data', (c: Buffer) => (got += c.toString('latin1')));
  const ended = new Promise<void>((r) => client.once('end', r));
  if (clientWrite !== undefined) client.write(clientWrite);
  await new Promise((r) => setTimeout(r, 20));
  for (const chunk of serverChunks) {
    peer.write(chunk);
    await new Promise((r) => setTimeout(r, 5));
  }
  peer.end();
  await ended;
  client.destroy();
  server.close();
  return got;
}

describe('dropInterimResponses', () => {
  const cases: Array<[string, string | Buffer | undefined, string[], string]> = [
    ['drops a 100 Continue before the final response', HEAD, [`HTTP/1.1 100 Continue\r\n\r\n${OK}`], OK],
    ['drops 102s arriving one by one', HEAD, ['HTTP/1.1 102 Processing\r\n\r\n', 'HTTP/1.1 102 Processing\r\n\r\n', OK], OK],
    ['drops a 103 with fields', HEAD, [`HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n${OK}`], OK],
    ['drops a 100 split in pieces', HEAD, ['HTTP/1.1 10', '0 Cont', `inue\r\n\r\nHTTP/1.1 2`, '00 OK\r\ncontent-length: 2\r\n\r\nok'], OK],
    ['keeps a 101 (undici reports it as the protocol error it is)', HEAD, ['HTTP/1.1 101 Switching Protocols\r\n\r\n'], 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
    ['leaves a body that looks like a 100 alone', HEAD, ['HTTP/1.1 200 OK\r\ncontent-length: 25\r\n\r\n', 'HTTP/1.1 100 Continue\r\n\r\n'], 'HTTP/1.1 200 OK\r\ncontent-length: 25\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n'],
    ['leaves bytes alone when no request head was written', undefined, ['HTTP/1.1 100 Continue\r\n\r\n'], 'HTTP/1.1 100 Continue\r\n\r\n'],
    ['leaves bytes alone after a body write (a Buffer is never a head)', Buffer.from(HEAD), ['HTTP/1.1 100 Continue\r\n\r\n'], 'HTTP/1.1 100 Continue\r\n\r\n'],
    ['passes what is not a status line', HEAD, ['garbage\r\n\r\n'], 'garbage\r\n\r\n'],
    ['delivers a held partial head when the backend closes', HEAD, ['HTTP/1.1 20'], 'HTTP/1.1 20'],
  ];
  for (const [name, write, chunks, expected] of cases) {
    it(name, async () => {
      assert.equal(await through(write, chunks), expected);
    });
  }
});

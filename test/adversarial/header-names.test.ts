// Header names with underscores: CGI, PHP and WSGI map '_' and '-' to the same variable, so a
// client's `X_Forwarded_For` next to golb's own X-Forwarded-For would reach the application as the
// client address. Dropped by default (nginx: underscores_in_headers off); the directive turns
// forwarding back on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { headerNames } from '../kit/raw-head.js';
import { parseResponses, rawExchange } from './raw-client.js';
import { okResponse, startScriptedBackend, type ScriptedBackend, type ScriptedRequest } from './scripted-backend.js';

const CONFIG = (url: string, extra = '') => `
method round_robin
health_check off
backend ${url}
${extra}`;

describe('header names with underscores', () => {
  let backend: ScriptedBackend;
  let cluster: Cluster;
  let port: number;
  before(async () => {
    backend = await startScriptedBackend('b', (req, conn) => conn.socket.write(okResponse('b', req)));
    cluster = await startCluster(CONFIG(backend.url));
    port = cluster.dps[0]!.port;
  });
  after(async () => {
    await cluster.close();
    await backend.close();
  });

  async function forwarded(): Promise<ScriptedRequest> {
    const n = backend.requests.length;
    const head =
      'GET /u HTTP/1.1\r\nHost: app.example\r\nX_Forwarded_For: 6.6.6.6\r\nX_Real_IP: 6.6.6.6\r\n' +
      'Client_IP: 6.6.6.6\r\nX-Kept: yes\r\nConnection: close\r\n\r\n';
    const [res] = parseResponses((await rawExchange(port, head, { responses: 1 })).text);
    assert.equal(res?.status, 200);
    const got = backend.requests[n];
    assert.ok(got, 'the request reached the backend');
    return got;
  }

  it('drops them by default, so only golb\'s own X-Forwarded-For reaches the backend', async () => {
    const got = await forwarded();
    const sent = headerNames(got.rawHead);
    assert.deepEqual(sent.filter((n) => n.includes('_')), [], `sent ${sent.join(', ')}`);
    assert.equal(got.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(got.headers['x-kept'], 'yes');
  });

  it('forwards them with underscores_in_headers on (golb\'s own X-Forwarded-For still set)', async () => {
    const reloaded = await cluster.reload(CONFIG(backend.url, 'underscores_in_headers on'));
    assert.equal(reloaded.ok, true, JSON.stringify(reloaded.errors));
    await waitFor('the data plane to apply it', () => cluster.dps[0]!.version() === reloaded.version);
    const got = await forwarded();
    assert.equal(got.headers['x_forwarded_for'], '6.6.6.6');
    assert.equal(got.headers['client_ip'], '6.6.6.6');
    assert.equal(got.headers['x-forwarded-for'], '127.0.0.1');
  });
});

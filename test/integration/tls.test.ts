// gRPC over TLS between the control plane and data planes, with mutual TLS when a CA is given.
// Certificates are made for the test with openssl (a throwaway CA, a server and a client cert).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startControlPlane, type ControlPlane } from '../../controlplane/control-plane.js';
import { startDataPlane } from '../../dataplane/data-plane.js';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request } from '../helpers/cluster.js';
import { waitFor } from '../kit/wait.js';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A CA plus a server cert for 127.0.0.1/localhost and a client cert, all signed by the CA. */
function makeCerts(dir: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=golb test CA']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const [name, ext] of [['server', ['-extfile', 'server.ext']], ['client', []]] as const) {
    openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=golb ${name}`]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...ext]);
  }
}

describe('sync stream over mutual TLS', () => {
  let dir: string;
  let backend: FakeBackend;
  let cp: ControlPlane;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golb-tls-'));
    makeCerts(dir);
    backend = await startFakeBackend({ name: 'secure' });
    writeFileSync(join(dir, 'lb.conf'), `health_check off\nbackend ${backend.url}\n`);
    cp = await startControlPlane({
      configPath: join(dir, 'lb.conf'),
      grpcPort: 0,
      adminPort: -1,
      tls: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.crt') },
      log: () => {},
    });
  });
  after(async () => {
    await cp.close();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a data plane that presents a client certificate signed by the CA', async () => {
    const read = (f: string) => readFileSync(join(dir, f));
    const dp = await startDataPlane({
      controlPlane: `127.0.0.1:${cp.grpcPort}`,
      host: '127.0.0.1',
      port: 0,
      credentials: grpc.credentials.createSsl(read('ca.crt'), read('client.key'), read('client.crt')),
      log: () => {},
    });
    try {
      await dp.ready;
      assert.equal((await request(dp.port, '/over-tls', { agent: false })).status, 200);
    } finally {
      await dp.shutdown();
    }
  });

  it('gives nothing to a plaintext data plane or one without a client certificate', async () => {
    // Each logs "lost control plane" when its stream is refused (and then retries): that is the
    // event to wait for, instead of sleeping and checking that no snapshot arrived.
    const lost = { plain: 0, anonymous: 0 };
    const plain = await startDataPlane({ controlPlane: `127.0.0.1:${cp.grpcPort}`, host: '127.0.0.1', port: 0, log: (l) => void (l.includes('lost control plane') && lost.plain++) });
    const anonymous = await startDataPlane({
      controlPlane: `127.0.0.1:${cp.grpcPort}`,
      host: '127.0.0.1',
      port: 0,
      credentials: grpc.credentials.createSsl(readFileSync(join(dir, 'ca.crt'))),
      log: (l) => void (l.includes('lost control plane') && lost.anonymous++),
    });
    try {
      await waitFor('both streams to be refused', () => lost.plain > 0 && lost.anonymous > 0, 15_000);
      assert.equal(plain.version(), undefined);
      assert.equal(anonymous.version(), undefined);
      assert.equal((await request(plain.port, '/x', { agent: false })).status, 503);
    } finally {
      await plain.shutdown();
      await anonymous.shutdown();
    }
  });
});

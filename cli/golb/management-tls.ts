// Client credentials for a data plane's sync stream over TLS: trust a CA (or a self-signed
// certificate), optionally present a client certificate (mutual TLS), and optionally check the
// server's certificate against a name other than the address dialled (the all-in-one dials
// 127.0.0.1 while its certificate names, say, lb.example.com).
import { readFileSync } from 'node:fs';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

export interface SyncTlsFiles {
  /** PEM the server's certificate must chain to (a CA, or the server's own self-signed cert). */
  caFile: string;
  /** Client certificate and key for mutual TLS (both or neither). */
  certFile?: string;
  keyFile?: string;
  /** Name the server's certificate must carry; default: the host dialled. */
  serverName?: string;
}

export function syncChannelCredentials(f: SyncTlsFiles): grpc.ChannelCredentials {
  const read = (file: string | undefined) => (file ? readFileSync(file) : null);
  const serverName = f.serverName;
  return grpc.credentials.createSsl(
    readFileSync(f.caFile),
    read(f.keyFile),
    read(f.certFile),
    serverName ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(serverName, cert) } : {},
  );
}

/** A name the certificate is valid for: its first DNS or IP subject alternative name, else its CN. */
export function certificateName(certFile: string): string | undefined {
  const cert = new X509Certificate(readFileSync(certFile));
  for (const entry of (cert.subjectAltName ?? '').split(/,\s*/)) {
    const m = /^(DNS|IP Address):(.+)$/.exec(entry);
    if (m) return m[2];
  }
  return /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
}

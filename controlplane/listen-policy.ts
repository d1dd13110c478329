// Who may listen where: a management port (gRPC, admin HTTP) beyond loopback needs credentials,
// because whoever reaches gRPC can reload the fleet's config and whoever opens a Sync stream gets
// the snapshot (cookie secret included). `--insecure` is the explicit, logged way around it.
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 (and its IPv4-mapped forms) and `localhost`; anything else is reachable from outside. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

export interface ManagementListen {
  grpcHost: string;
  /** undefined: no admin HTTP. */
  adminHost?: string;
  adminToken?: string;
  dataplaneToken?: string;
  /** Mutual TLS on gRPC (--tls-ca): every client presents a certificate signed by the CA. */
  mutualTls: boolean;
  insecure: boolean;
}

export interface ListenVerdict {
  /** Reasons to refuse to start (empty: fine). */
  refusals: string[];
  /** What --insecure let through, to be logged. */
  warnings: string[];
}

export function checkManagementListen(l: ManagementListen): ListenVerdict {
  const problems: string[] = [];
  if (!isLoopbackHost(l.grpcHost) && !l.mutualTls) {
    const missing = [!l.adminToken && 'an operator token (--admin-token)', !l.dataplaneToken && 'a data-plane token (--dataplane-token)'].filter(Boolean);
    if (missing.length > 0) {
      problems.push(
        `gRPC would listen on ${l.grpcHost} without ${missing.join(' and ')}: anyone who reaches it could reload the config or read the snapshot. ` +
          'Set --token (or GOLB_TOKEN; --admin-token / --dataplane-token to tell them apart), or mutual TLS (--tls-cert, --tls-key, --tls-ca)',
      );
    }
  }
  if (l.adminHost !== undefined && !isLoopbackHost(l.adminHost) && !l.adminToken) {
    problems.push(`admin HTTP would listen on ${l.adminHost} without a token: set --admin-token (or --token / GOLB_TOKEN)`);
  }
  if (problems.length === 0) return { refusals: [], warnings: [] };
  if (l.insecure) return { refusals: [], warnings: problems.map((p) => `WARNING (--insecure): ${p}`) };
  return { refusals: [...problems, 'Or pass --insecure to start anyway (not for a network you do not trust).'], warnings: [] };
}

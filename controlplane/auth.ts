// Bearer-token checks. Two kinds of credentials: the data-plane token opens the Sync stream and
// nothing else; the operator (admin) token opens the Admin service. `--token` sets both.
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

/** The bearer token a call carries, or undefined. */
function bearerOf(metadata: grpc.Metadata): string | undefined {
  const given = metadata.get('authorization')[0];
  return typeof given === 'string' && given.startsWith('Bearer ') ? given.slice(7) : undefined;
}

/** Constant-time equality: digests first, so neither length nor content leaks through timing. */
export function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** True when no token is configured, or the call carries `authorization: Bearer <token>`. */
export function authorized(metadata: grpc.Metadata, token: string | undefined): boolean {
  if (!token) return true;
  const given = bearerOf(metadata);
  return given !== undefined && sameToken(given, token);
}

export const UNAUTHENTICATED: Partial<grpc.StatusObject> = {
  code: grpc.status.UNAUTHENTICATED,
  details: 'missing or wrong token (pass --token or set GOLB_TOKEN)',
};

export const ADMIN_UNAUTHENTICATED: Partial<grpc.StatusObject> = {
  code: grpc.status.UNAUTHENTICATED,
  details: 'missing or wrong operator token (golbctl --token or GOLB_TOKEN, matching the control plane --admin-token)',
};

export const DATAPLANE_TOKEN_ON_ADMIN: Partial<grpc.StatusObject> = {
  code: grpc.status.PERMISSION_DENIED,
  details: 'a data-plane token opens the sync stream only; Admin RPCs need the operator token (--admin-token)',
};

/**
 * Decides an Admin call: undefined when allowed, else the status to answer with. A call that
 * carries the data-plane token (when it differs from the admin token) gets PERMISSION_DENIED, so
 * an operator who mixed the two up is told which one they used.
 */
export function checkAdminCall(metadata: grpc.Metadata, adminToken: string | undefined, dataplaneToken: string | undefined): Partial<grpc.StatusObject> | undefined {
  if (!adminToken) return undefined;
  const given = bearerOf(metadata);
  if (given !== undefined && sameToken(given, adminToken)) return undefined;
  if (given !== undefined && dataplaneToken && sameToken(given, dataplaneToken)) return DATAPLANE_TOKEN_ON_ADMIN;
  return ADMIN_UNAUTHENTICATED;
}

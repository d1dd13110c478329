// Bearer-token check shared by the sync stream and the Admin service.
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

/** True when no token is configured, or the call carries `authorization: Bearer <token>`. */
export function authorized(metadata: grpc.Metadata, token: string | undefined): boolean {
  if (!token) return true;
  const given = metadata.get('authorization')[0];
  if (typeof given !== 'string' || !given.startsWith('Bearer ')) return false;
  // Compare digests so neither length nor content leaks through timing.
  const a = createHash('sha256').update(given.slice(7)).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

export const UNAUTHENTICATED: Partial<grpc.StatusObject> = {
  code: grpc.status.UNAUTHENTICATED,
  details: 'missing or wrong token (pass --token or set GOLB_TOKEN)',
};

// The answer to a request Node's parser refused (the server's 'clientError'): status and reason.
import { isRequestLineOverflow } from './request-line-overflow.js';

export interface ClientErrorAnswer {
  status: 400 | 408 | 414 | 431;
  message: string;
}

/** 414 / 431 for an overflowing head (see request-line-overflow.ts), 408 for a timeout, else 400. */
export function clientErrorStatus(err: { code?: string; rawPacket?: unknown; bytesParsed?: unknown }): ClientErrorAnswer {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return isRequestLineOverflow(err.rawPacket, err.bytesParsed)
      ? { status: 414, message: 'request line too long' }
      : { status: 431, message: 'request head too large' };
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, message: 'request timed out' };
  return { status: 400, message: 'malformed request' };
}

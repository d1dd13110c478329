// The forwarding contract: one attempt to carry a request (or a WebSocket upgrade) to one backend.
// Outcomes are values: server/retry-policy.ts decides retries and the client's status from them,
// the proxy handler feeds them to passive health; an engine never throws for a network fault.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** What an engine needs to know about a backend. */
export interface ForwardTarget {
  readonly id: string;
  /** http(s)://host:port of the backend. */
  readonly url: URL;
}

export interface ForwardRequest {
  req: IncomingMessage;
  res: ServerResponse;
  target: ForwardTarget;
  /** Normalized path plus the raw query, as sent upstream. */
  path: string;
  /** Complete upstream request headers (hop-by-hop already removed, X-Forwarded-* set). */
  headers: OutgoingHttpHeaders;
  timeouts: { connectMs: number; responseMs: number; idleMs: number };
  responseHeaders: {
    /** A Set-Cookie value to add (persistence). */
    setCookie?: string;
    /** Ask the client to close its connection after this response (draining backend, shutdown). */
    connectionClose: boolean;
  };
}

export type FailureClass = 'timeout' | 'reset' | 'protocol' | 'connect-timeout';

export type ForwardResult =
  /** The backend's response reached the client completely. */
  | { outcome: 'responded'; status: number; bytesIn: number; bytesOut: number }
  /** Nothing reached the backend (retry-policy.ts retries any method elsewhere). */
  | { outcome: 'connect-failed'; error: string }
  /**
   * The exchange broke. `requestSent`: the backend may have seen the request. `responseStarted`:
   * the client already got the status line; the engine has broken the client connection.
   */
  | { outcome: 'failed'; errorClass: FailureClass; error: string; requestSent: boolean; responseStarted: boolean }
  /** The client went away first; says nothing about the backend. */
  | { outcome: 'client-aborted' };

export interface UpgradeRequest {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  target: ForwardTarget;
  path: string;
  headers: OutgoingHttpHeaders;
  timeouts: { connectMs: number; idleMs: number };
  /** Largest WebSocket message either side may send; a bigger one closes the tunnel with 1009 toward its sender. */
  maxMessageBytes: number;
  setCookie?: string;
  /** Called once when a connected tunnel ends (either side). */
  onClose(): void;
}

/** An open WebSocket between a client and a backend. */
export interface Tunnel {
  /** Resolves when both sides are closed. */
  readonly closed: Promise<void>;
  /** Closes both sides; the client gets `code` (e.g. 1001 going away). */
  close(code: number, reason: string): void;
}

export type UpgradeResult =
  | { outcome: 'connected'; tunnel: Tunnel }
  /** The backend could not be reached or did not complete the handshake (retry-policy.ts: try another). */
  | { outcome: 'connect-failed'; error: string }
  /** The backend answered the handshake with a non-101 status; relayed to the client. */
  | { outcome: 'rejected'; status: number }
  | { outcome: 'client-gone' };

export interface ForwardEngine {
  readonly name: string;
  forward(r: ForwardRequest): Promise<ForwardResult>;
  upgrade(r: UpgradeRequest): Promise<UpgradeResult>;
  /**
   * Called with every applied snapshot: `origins` are the `url.origin` of every backend in it.
   * Upstream pools of other origins are closed gracefully (requests in flight on them finish) and
   * forgotten, so backend churn does not grow the engine without bound.
   */
  retain(origins: ReadonlySet<string>): void;
  /** Upstream pools (undici Pools, http Agents) held now; for tests and diagnostics. */
  upstreamPools(): number;
  /** Releases pooled upstream connections. */
  close(): void;
}

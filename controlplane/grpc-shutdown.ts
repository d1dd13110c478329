// Stopping a gRPC server in bounded time: grpc-js's tryShutdown waits for every call to finish,
// and a client can keep one open for ever (a sync stream that never half-closes, a Reload waiting
// minutes for ACKs). Calls get `graceMs` to finish; whatever is left is cancelled.
import type * as grpc from '@grpc/grpc-js';

/** How long calls may take to finish on shutdown before they are cancelled. */
export const DEFAULT_GRPC_SHUTDOWN_GRACE_MS = 2_000;

/** Resolves once the server is stopped: gracefully if every call ends within `graceMs`, else forced. */
export function shutdownGrpcServer(server: grpc.Server, graceMs: number = DEFAULT_GRPC_SHUTDOWN_GRACE_MS): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Cancels the calls still open and closes every connection (a no-op after a clean stop).
      server.forceShutdown();
      resolve();
    };
    const timer = setTimeout(finish, Math.max(0, graceMs));
    server.tryShutdown(() => finish());
  });
}

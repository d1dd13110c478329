// The cap on client connections one data plane holds open (`max_connections`). It is Node's own
// net.Server maxConnections: a connection over the cap is closed as it is accepted, before a socket
// object or an HTTP parser exists for it — the cheapest refusal there is, and the one that still
// works when the process is flooded. Each refusal is counted.
import type { Server } from 'node:net';

export interface ConnectionCap {
  /** Applies a new cap (from a snapshot); connections already open stay open. */
  set(max: number): void;
}

export function capConnections(server: Server, initialMax: number, onRefused: () => void): ConnectionCap {
  server.maxConnections = initialMax;
  server.on('drop', onRefused);
  return {
    set(max: number): void {
      server.maxConnections = max;
    },
  };
}

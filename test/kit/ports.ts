// Loopback ports for tests: one that nothing listens on, for "dead backend", "no control plane yet"
// and fixed-port cases. Port 0 stays the rule for anything that listens.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** A loopback port that was free a moment ago (bound, read, closed): nothing listens on it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

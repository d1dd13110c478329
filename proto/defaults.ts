// Defaults both ends of a gRPC call must agree on, so they are written once, beside the contract.

/** How long a reload waits for the data planes' ACK/NACK when the request names no timeout. */
export const RELOAD_WAIT_DEFAULT_MS = 10_000;

/** A drain's grace before the backend goes to maintenance when the config sets no `timeout drain`. */
export const DRAIN_TIMEOUT_DEFAULT_MS = 30_000;

// The data plane's defaults, in one place: what an absent snapshot section, or a field a control
// plane that predates it leaves at 0, means; and what the listener does before the first snapshot.
// The control plane's own defaults (controlplane/config/model.ts) are what a config file gets;
// these only cover snapshots that do not carry a value.
import type { HealthCheckSpec, LimitsSpec, TimeoutsSpec } from '../../proto/index.js';
import { DRAIN_TIMEOUT_DEFAULT_MS } from '../../proto/defaults.js';

/** A pool with no `timeouts` section (runtime.ts spreads the pool's over these). */
export const DEFAULT_TIMEOUTS: Readonly<TimeoutsSpec> = { connect_ms: 5000, response_ms: 60000, idle_ms: 60000, websocket_idle_ms: 0, retries: 2 };

/**
 * A snapshot with no `limits` section; and for `max_connections`, `max_websockets` and
 * `websocket_max_message_bytes`, what 0 means. The listener starts with these until the first
 * snapshot arrives.
 */
export const DEFAULT_LIMITS: Readonly<LimitsSpec> = {
  max_header_bytes: 16384, max_headers: 100, header_timeout_ms: 10000, request_timeout_ms: 60000,
  keepalive_timeout_ms: 5000, shutdown_timeout_ms: 30000, drain_timeout_ms: DRAIN_TIMEOUT_DEFAULT_MS, max_body_bytes: '0',
  max_connections: 10000, max_websockets: 10000, websocket_max_message_bytes: String(16 * 1024 * 1024),
  underscores_in_headers: false, allow_trace: false,
};

/** A pool with no `health_check` section: the active checker leaves it alone. */
export const DEFAULT_HEALTH_CHECK: Readonly<HealthCheckSpec> = {
  enabled: false, type: 'http', path: '/', interval_ms: 5000, timeout_ms: 2000, healthy_threshold: 2,
  unhealthy_threshold: 3, expected_status_min: 200, expected_status_max: 399, host: '',
};

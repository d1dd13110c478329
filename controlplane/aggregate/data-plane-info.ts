// One data plane as the Admin API and the fleet aggregate show it (DataPlaneInfo), from the sync
// server's session record.
import type { DataPlaneInfo__Output as DataPlaneInfo } from '../../proto/gen/golb/v1/DataPlaneInfo.js';
import type { DataPlaneSession } from '../sync/sync-server.js';

export function dataPlaneInfo(s: DataPlaneSession): DataPlaneInfo {
  return {
    id: s.id,
    hostname: s.hello.hostname,
    address: s.address,
    traffic_address: s.hello.traffic_address,
    connected: s.connected,
    connected_since_unix_ms: String(s.connectedSince),
    version: s.ackedVersion,
    last_sent_version: s.lastSentVersion,
    ack_state: s.ackState,
    cached_since_unix_ms: String(s.cachedSince),
    nack_error: s.nackErrors.join('; '),
    last_report_unix_ms: String(s.lastReportAt),
    software_version: s.hello.software_version,
    total_requests: s.stats?.total_requests ?? '0',
    ready: s.stats?.ready ?? false,
  };
}

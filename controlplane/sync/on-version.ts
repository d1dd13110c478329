// "This data plane runs the current version": it ACKed exactly that version. The one definition
// every control-plane count uses (health, metrics, drain progress, reload progress).

/** What the control plane last heard from a data plane about the snapshots it was sent. */
export interface AckView {
  ackState: string;
  /** The last version it ACKed ('' before any). */
  ackedVersion: string;
}

/** True when the data plane ACKed `version` (undefined: no config yet, so nobody is on it). */
export function isOnVersion(d: AckView, version: string | undefined): boolean {
  return version !== undefined && d.ackState === 'ACKED' && d.ackedVersion === version;
}

/** True when the data plane rejected the last snapshot it was sent. */
export function isNacked(d: AckView): boolean {
  return d.ackState === 'NACKED';
}

/** The same facts as the Admin API sends them (DataPlaneInfo, where `version` is the ACKed one). */
export function ackViewOf(d: { ack_state: string; version: string }): AckView {
  return { ackState: d.ack_state, ackedVersion: d.version };
}

// The addresses one discovered name stands for, over time: what DNS answered now merged with
// what it answered before, so that an address DNS drops drains (for the drain timeout) instead of
// vanishing, and one that comes back is simply ready again. Pure: the clock is an argument.

/** One address:port a name resolved to, with what the records (or the config) say about it. */
export interface Endpoint {
  /** IPv4 dotted, or IPv6 without brackets. */
  address: string;
  port: number;
  weight: number;
  /** SRV records of a higher priority number than the lowest are backups. */
  backup: boolean;
}

export interface Member extends Endpoint {
  /** When DNS stopped returning it (unix ms); null while it is returned. */
  goneAtMs: number | null;
}

/** "10.0.0.1:80", "[fd00::1]:80": the key of an endpoint within one name. */
export function endpointKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * The members after an answer. `answer` null = no usable answer (error, or NXDOMAIN within its
 * grace): nothing is added or starts draining, only drains that ended are dropped.
 * Example, drainMs 30 000, now 100 000: before {a, b(gone at 60 000), c(gone at 90 000)},
 * answer [a, c, d] → {a, c(ready again), d}; b's drain ended at 90 000 so it is gone; had the
 * answer been [a], c would stay as gone-at-90 000 and d never appear.
 */
export function reconcile(
  before: ReadonlyMap<string, Member>,
  answer: readonly Endpoint[] | null,
  nowMs: number,
  drainMs: number,
): Map<string, Member> {
  const after = new Map<string, Member>();
  const answered = new Map<string, Endpoint>();
  for (const e of answer ?? []) {
    const key = endpointKey(e.address, e.port);
    if (!answered.has(key)) answered.set(key, e);
  }
  for (const [key, m] of before) {
    const now = answered.get(key);
    if (now !== undefined) after.set(key, { ...now, goneAtMs: null });
    else if (answer === null && m.goneAtMs === null) after.set(key, m);
    else {
      const goneAtMs = m.goneAtMs ?? nowMs;
      if (nowMs < goneAtMs + drainMs) after.set(key, { ...m, goneAtMs });
    }
  }
  for (const [key, e] of answered) if (!after.has(key)) after.set(key, { ...e, goneAtMs: null });
  return after;
}

/** A stable text for "did anything change": members in key order. */
export function fingerprint(members: ReadonlyMap<string, Member>): string {
  return JSON.stringify([...members.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * When to resolve again: the records' TTL, no sooner than the floor and no later than the
 * ceiling (the backend's interval=). A floor above the ceiling yields the ceiling.
 * Example: floor 1 000, ceiling 10 000: TTL 0 s → 1 000 ms; TTL 5 s → 5 000; TTL 300 s → 10 000;
 * no TTL known (SRV) → 10 000.
 */
export function nextResolveDelayMs(ttlS: number | null, floorMs: number, ceilingMs: number): number {
  if (ttlS === null) return ceilingMs;
  return Math.min(ceilingMs, Math.max(floorMs, ttlS * 1000));
}

export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** Largest backend weight the config accepts (values.ts parseWeight). */
const MAX_WEIGHT = 1_000_000;

/**
 * Endpoints of SRV records once their targets resolved (`addresses` by target name).
 * Weights: a record's weight becomes the backend weight; 0 (RFC 2782: "very small chance")
 * becomes 1, the smallest golb has. Priorities: the lowest number present is the primary set,
 * every higher one is backup (golb has one level of backup).
 * Example: [{a, 8080, prio 10, w 60}, {b, 8081, prio 10, w 0}, {c, 8080, prio 20, w 5}] with a →
 * 10.0.0.1, b → 10.0.0.2, c → 10.0.0.3 gives 10.0.0.1:8080 w60, 10.0.0.2:8081 w1, and
 * 10.0.0.3:8080 w5 backup.
 */
export function srvEndpoints(records: readonly SrvRecord[], addresses: ReadonlyMap<string, readonly string[]>): Endpoint[] {
  if (records.length === 0) return [];
  const primary = Math.min(...records.map((r) => r.priority));
  const out: Endpoint[] = [];
  for (const r of records) {
    for (const address of addresses.get(r.name.toLowerCase()) ?? []) {
      out.push({ address, port: r.port, weight: Math.min(MAX_WEIGHT, Math.max(1, r.weight)), backup: r.priority !== primary });
    }
  }
  return out;
}

// The panic threshold (Envoy's healthy_panic_threshold): when too few of a pool's primaries are
// healthy, health checks are more likely wrong, or the survivors about to be overrun, than the
// backends all down; balancing over every ready primary then serves more than answering 503.
import type { Backend } from './backend.js';

/**
 * True when a request to this pool should ignore health: fewer than `thresholdPercent` % of its
 * ready primaries are healthy, and no ready backup is healthy (a backup is the operator's own
 * answer to "the primaries are down", so it wins over panic). Admin state is never ignored:
 * draining and maintenance backends count nowhere and take nothing in panic either.
 * `thresholdPercent` 0 turns panic off. Worked example, threshold 50 %, three ready primaries:
 * 2 healthy → 2·100 = 200 ≥ 3·50 = 150, no panic (the two healthy ones serve);
 * 1 healthy → 100 < 150, panic: all three take traffic. A pool with no ready primary never panics.
 */
export function isInPanic(primaries: readonly Backend[], backups: readonly Backend[], thresholdPercent: number, now: number): boolean {
  if (thresholdPercent <= 0) return false;
  let ready = 0;
  let healthy = 0;
  for (const b of primaries) {
    if (b.adminState !== 'READY') continue;
    ready++;
    if (b.state.isHealthy(now)) healthy++;
  }
  if (ready === 0 || healthy * 100 >= ready * thresholdPercent) return false;
  return !backups.some((b) => b.adminState === 'READY' && b.state.isHealthy(now));
}

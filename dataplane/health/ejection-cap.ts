// The ejection cap: passive health may take out at most max_ejection_percent of a pool at once, and
// always at least one backend (Envoy's outlier detection, `max_ejection_percent`). It keeps a burst
// of failing requests, which an outside client can cause at will, from emptying a pool.
import type { BackendState } from '../pools/backend-state.js';

/**
 * May passive health eject one more backend of a pool whose members are `members` at `now`?
 * Only passive ejections count against the cap (a backend failing its active checks is out for
 * its own reason). Worked example, max_ejection_percent=50:
 *   2 backends, none ejected: (0+1)/2 = 50 % ≤ 50 %   → eject;
 *   2 backends, one ejected:  (1+1)/2 = 100 % > 50 %  → refuse: the other keeps serving;
 *   5 backends, one ejected:  (1+1)/5 = 40 %          → eject; a third would be 60 % → refuse;
 *   1 backend, none ejected:  (0+1)/1 = 100 % > 50 %, but nothing is ejected yet → eject
 *     (as Envoy does: the cap never forbids the first ejection, so a lone backend that refuses
 *     connections is still taken out and its clients get a quick 503 instead of waiting on it).
 */
export function mayEject(members: readonly { readonly state: BackendState }[], maxPercent: number, now: number): boolean {
  let ejected = 0;
  for (const m of members) if (m.state.ejectedUntil > now) ejected++;
  if (ejected === 0) return true;
  return (ejected + 1) * 100 <= members.length * maxPercent;
}

// One word for a backend's state as the fleet sees it — the word golbctl, the dashboard and
// /api/stats all show. Admin state and health come from different producers (the operator, the
// data planes' checks); this is the one place that ranks them.
//
//   maintenance  taken out by the operator (or a drain that reached its deadline)
//   down         every data plane that reports on it says unhealthy
//   draining     no new sessions; sticky clients and in-flight requests finish
//   degraded     healthy on some data planes, unhealthy on others
//   up           healthy everywhere it is reported (or nobody reports yet)
//
// A draining backend that is also down shows "down": the more urgent fact wins.

export type BackendStatus = 'up' | 'degraded' | 'down' | 'draining' | 'maintenance';

export const BACKEND_STATUSES: readonly BackendStatus[] = ['up', 'degraded', 'down', 'draining', 'maintenance'];

export function backendStatus(adminState: 'ready' | 'draining' | 'maintenance', healthyOn: number, reporting: number): BackendStatus {
  if (adminState === 'maintenance') return 'maintenance';
  if (reporting > 0 && healthyOn === 0) return 'down';
  if (adminState === 'draining') return 'draining';
  if (reporting > 0 && healthyOn < reporting) return 'degraded';
  return 'up';
}

import type { RouteSpec } from '../../http/types';

/** Collection alerts (lib/alerts/): open and recent ones per customer. */
export const ALERTS_ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/api/v1/alerts', name: 'alerts-list', auth: 'key' },
];

import type { RouteSpec } from '../../http/types';

const BASE = '/api/v2/recommendations/{customer_id}';

/** The recommendations agent's routes (/api/v2/recommendations/...). Item routes first: `item` is not a provider. */
export const RECOMMENDATIONS_ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: `${BASE}/item/{id}`, name: 'recommendations-item', auth: 'key' },
  { method: 'POST', path: `${BASE}/item/{id}/dismiss`, name: 'recommendations-dismiss', auth: 'key' },
  { method: 'GET', path: `${BASE}/{provider}`, name: 'recommendations-list', auth: 'key' },
  { method: 'GET', path: `${BASE}/{provider}/summary`, name: 'recommendations-summary', auth: 'key' },
  {
    method: 'POST',
    path: '/api/v2/recommendations/trigger-evaluation',
    name: 'recommendations-trigger',
    auth: 'key',
    timeoutSeconds: 29,
    memoryMb: 1024,
  },
  {
    method: 'GET',
    path: '/api/v2/recommendations/evaluation-status/{task_id}',
    name: 'recommendations-status',
    auth: 'key',
  },
];

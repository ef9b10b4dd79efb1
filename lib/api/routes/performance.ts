import type { RouteSpec } from '../../http/types';

const BASE = '/api/v2/performance/{customer_id}/{provider}';

/** The performance agent's routes (/api/v2/performance/...). */
export const PERFORMANCE_ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: `${BASE}/metrics`, name: 'performance-metrics', auth: 'key', memoryMb: 1024 },
  { method: 'GET', path: `${BASE}/latest`, name: 'performance-latest', auth: 'key' },
  { method: 'GET', path: `${BASE}/trends`, name: 'performance-trends', auth: 'key' },
  { method: 'GET', path: `${BASE}/by-resource`, name: 'performance-by-resource', auth: 'key' },
  { method: 'GET', path: `${BASE}/average`, name: 'performance-average', auth: 'key' },
  { method: 'GET', path: `${BASE}/resource/{resource_id}`, name: 'performance-resource', auth: 'key' },
  { method: 'GET', path: `${BASE}/summary`, name: 'performance-summary', auth: 'key' },
  {
    method: 'POST',
    path: '/api/v2/performance/trigger-collection',
    name: 'performance-trigger',
    auth: 'key',
    timeoutSeconds: 29,
    memoryMb: 1024,
  },
];

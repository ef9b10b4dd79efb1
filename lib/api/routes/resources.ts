import type { RouteSpec } from '../../http/types';

const BASE = '/api/v2/resources/{customer_id}/{provider}';

/** The resources agent's routes (/api/v2/resources/...). `list` is the older name of `inventory`. */
export const RESOURCES_ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: `${BASE}/inventory`, name: 'resources-inventory', auth: 'key' },
  { method: 'GET', path: `${BASE}/list`, name: 'resources-list', auth: 'key' },
  { method: 'GET', path: `${BASE}/resource/{resource_id}`, name: 'resources-resource', auth: 'key' },
  { method: 'GET', path: `${BASE}/by-type`, name: 'resources-by-type', auth: 'key' },
  { method: 'GET', path: `${BASE}/changes`, name: 'resources-changes', auth: 'key' },
  { method: 'GET', path: `${BASE}/summary`, name: 'resources-summary', auth: 'key' },
  {
    method: 'POST',
    path: '/api/v2/resources/trigger-collection',
    name: 'resources-trigger',
    auth: 'key',
    timeoutSeconds: 29,
    memoryMb: 1024,
  },
];

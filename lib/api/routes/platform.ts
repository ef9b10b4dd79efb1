import type { RouteSpec } from '../../http/types';

/** Collector, key management and health routes (the foundation). */
export const PLATFORM_ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/health', name: 'health', auth: 'none' },
  {
    method: 'POST',
    path: '/api/v1/collect/trigger',
    name: 'collect-trigger',
    auth: 'key',
    timeoutSeconds: 29,
    memoryMb: 1024,
  },
  { method: 'GET', path: '/api/v1/collect/status/{task_id}', name: 'collect-status', auth: 'key' },
  { method: 'GET', path: '/api/v1/collect/history/{customer_id}', name: 'collect-history', auth: 'key' },
  { method: 'GET', path: '/api/v1/collectors', name: 'collectors-list', auth: 'key' },
  { method: 'POST', path: '/api/v1/keys', name: 'keys-create', auth: 'key' },
  { method: 'DELETE', path: '/api/v1/keys/{key_id}', name: 'keys-revoke', auth: 'key' },
];

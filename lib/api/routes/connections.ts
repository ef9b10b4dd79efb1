import type { RouteSpec } from '../../http/types';

/** Provider catalog and connections: customers connect, test, change and disconnect providers. */
export const CONNECTIONS_ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/api/v1/providers', name: 'providers-catalog', auth: 'key' },
  { method: 'GET', path: '/api/v1/connections', name: 'connections-list', auth: 'key' },
  {
    method: 'POST',
    path: '/api/v1/connections',
    name: 'connections-create',
    auth: 'key',
    timeoutSeconds: 29,
  },
  { method: 'GET', path: '/api/v1/connections/{connection_id}', name: 'connections-get', auth: 'key' },
  { method: 'PATCH', path: '/api/v1/connections/{connection_id}', name: 'connections-update', auth: 'key' },
  { method: 'DELETE', path: '/api/v1/connections/{connection_id}', name: 'connections-delete', auth: 'key' },
  {
    method: 'POST',
    path: '/api/v1/connections/{connection_id}/test',
    name: 'connections-test',
    auth: 'key',
    timeoutSeconds: 29,
  },
  {
    method: 'GET',
    path: '/api/v1/connections/{connection_id}/events',
    name: 'connections-events',
    auth: 'key',
  },
];

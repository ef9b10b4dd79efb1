import type { RouteSpec } from '../../http/types';

const read = (suffix: string, name: string): RouteSpec => ({
  method: 'GET',
  path: `/api/v2/costs/{customer_id}/{provider}/${suffix}`,
  name,
  auth: 'key',
  timeoutSeconds: 29,
  memoryMb: 1024,
});

/**
 * The costs agent's routes (/api/v2/costs/...). `{provider}` may be `all`. Reads take
 * `days` (1-731) or `start`/`end`, and `service`, `account`, `resource` filters; every
 * response states its period and currency. The collector's trigger/status/history are
 * repeated here restricted to cost, plus what collecting cost in provider API requests.
 */
export const COSTS_ROUTES: readonly RouteSpec[] = [
  read('metrics', 'costs-metrics'),
  read('latest', 'costs-latest'),
  read('trends', 'costs-trends'),
  read('by-resource', 'costs-by-resource'),
  read('by-type', 'costs-by-type'),
  read('total', 'costs-total'),
  // FOCUS 1.2 as CSV or Parquet: streamed by `npm start`; in AWS a Lambda response holds at most 4 MiB of it.
  read('export', 'costs-export'),
  {
    method: 'POST',
    path: '/api/v2/costs/trigger-collection',
    name: 'costs-trigger-collection',
    auth: 'key',
    timeoutSeconds: 29,
    memoryMb: 1024,
  },
  {
    method: 'GET',
    path: '/api/v2/costs/collection-status/{task_id}',
    name: 'costs-collection-status',
    auth: 'key',
  },
  {
    method: 'GET',
    path: '/api/v2/costs/{customer_id}/collection-history',
    name: 'costs-collection-history',
    auth: 'key',
  },
  {
    method: 'GET',
    path: '/api/v2/costs/{customer_id}/collection-spend',
    name: 'costs-collection-spend',
    auth: 'key',
  },
];

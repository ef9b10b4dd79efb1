import { z } from 'zod';
import type { RouteSpec } from '../../http/types';
import { AlertsQuery } from '../handlers/alerts';

/** Collection alerts (lib/alerts/): open and recent ones per customer. */
export const ALERTS_ROUTES: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/v1/alerts',
    name: 'alerts-list',
    auth: 'key',
    tag: 'platform',
    summary: 'Open alerts first, then recent ones (failing connections, budget skips, judge, DLQ)',
    query: AlertsQuery,
    responses: {
      200: z.looseObject({
        customer_id: z.string(),
        open: z.number(),
        count: z.number(),
        alerts: z.array(z.looseObject({})),
      }),
    },
  },
];

import { z } from 'zod';
import { listAlerts } from '../../alerts/repo';
import { CustomerIdSchema } from '../../config/schema';
import type { RouteHandler } from '../../http/handler';
import type { Runtime } from '../../runtime';

export const AlertsQuery = z.strictObject({
  customer_id: CustomerIdSchema,
  status: z.enum(['open', 'resolved']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** GET /api/v1/alerts?customer_id=&status=open|resolved&limit= — open alerts first, then recent ones. */
export const alertsList: RouteHandler<Runtime> = async (req) => {
  const q = req.query(AlertsQuery);
  req.requireCustomer(q.customer_id);
  const alerts = await listAlerts(req.runtime.store, q.customer_id, { status: q.status, limit: q.limit });
  return {
    body: {
      customer_id: q.customer_id,
      open: alerts.filter((a) => a.status === 'open').length,
      count: alerts.length,
      alerts,
    },
  };
};

export const ALERTS_HANDLERS = { 'alerts-list': alertsList };

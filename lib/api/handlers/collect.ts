import { z } from 'zod';
import { getRun, listRuns } from '../../clickhouse/repos/runs';
import { assertProviderAvailable } from '../../collector/trigger';
import { DATA_TYPES } from '../../collector/types';
import { CustomerIdSchema } from '../../config/schema';
import { NotFoundError } from '../../errors';
import type { RouteHandler } from '../../http/handler';
import type { Runtime } from '../../runtime';
import { triggerWindowOf } from '../period';
import { CustomerPathSchema, HistoryQuerySchema, TaskIdSchema, TriggerBodySchema } from '../schemas';
import { triggerAndRespond } from './trigger';

/** POST /api/v1/collect/trigger — queue (202) or run (200) a collection. */
export const collectTrigger: RouteHandler<Runtime> = async (req) => {
  const body = req.body(TriggerBodySchema);
  req.requireCustomer(body.customer_id);
  const providers =
    body.provider === 'all' ? 'all' : Array.isArray(body.provider) ? body.provider : [body.provider];
  return triggerAndRespond(req, {
    customerId: body.customer_id,
    providers,
    dataTypes: body.data_types,
    asyncMode: body.async_mode,
    window: triggerWindowOf(body),
  });
};

/** GET /api/v1/collect/status/{task_id} */
export const collectStatus: RouteHandler<Runtime> = async (req) => {
  const { task_id } = req.path(z.object({ task_id: TaskIdSchema }));
  const auth = req.requireAuth();
  const run = await getRun(req.runtime.store, task_id);
  // A task of another customer is reported as missing, not forbidden: ids are not an oracle.
  if (!run || (!auth.is_admin && run.customer_id !== auth.customer_id)) {
    throw new NotFoundError(`No collection task ${task_id}.`);
  }
  return { body: run };
};

/** GET /api/v1/collect/history/{customer_id}?provider=&status=&data_type=&limit= */
export const collectHistory: RouteHandler<Runtime> = async (req) => {
  const { customer_id } = req.path(CustomerPathSchema);
  req.requireCustomer(customer_id);
  const q = req.query(HistoryQuerySchema);
  if (q.provider && q.provider !== 'all') assertProviderAvailable(req.runtime.registry, q.provider);
  const runs = await listRuns(req.runtime.store, customer_id, {
    provider: q.provider === 'all' ? undefined : q.provider,
    status: q.status,
    dataType: q.data_type,
    limit: q.limit,
  });
  return { body: { customer_id, count: runs.length, runs } };
};

/** GET /api/v1/collectors — what this deployment can collect, and what the caller has configured. */
export const collectorsList: RouteHandler<Runtime> = async (req) => {
  const q = req.query(z.strictObject({ customer_id: CustomerIdSchema.optional() }));
  const auth = req.requireAuth();
  if (q.customer_id) req.requireCustomer(q.customer_id);
  const customerId = q.customer_id ?? (auth.is_admin ? undefined : auth.customer_id);
  const connections = customerId ? await req.runtime.connections.list({ customerId }) : [];
  return {
    body: {
      customer_id: customerId ?? null,
      data_types: DATA_TYPES,
      providers: req.runtime.registry.list().map((p) => {
        const mine = connections.filter((c) => c.provider === p.id);
        return {
          id: p.id,
          display_name: p.displayName,
          category: p.category,
          data_types: Object.keys(p.collectors),
          configured: mine.some((c) => c.enabled),
          connections: mine.map((c) => ({ id: c.id, enabled: c.enabled, source: c.source })),
        };
      }),
    },
  };
};

import { z } from 'zod';
import { type TriggerRequest, triggerCollection } from '../../collector/trigger';
import type { DataType } from '../../collector/types';
import { CustomerIdSchema } from '../../config/schema';
import type { HandlerResult, RouteHandler } from '../../http/handler';
import type { ApiRequest } from '../../http/request';
import type { Runtime } from '../../runtime';
import { checkTriggerWindow, TriggerWindowShape, triggerWindowOf } from '../period';
import { ProviderParamSchema } from '../schemas';

/**
 * Body of the agents' `POST .../trigger-collection`: the data type is the agent's own, so
 * only who and where. `provider` defaults to every enabled connection of the customer.
 */
export const AgentTriggerBodySchema = z
  .strictObject({
    customer_id: CustomerIdSchema,
    provider: z.union([ProviderParamSchema, z.array(ProviderParamSchema).min(1).max(50)]).default('all'),
    async_mode: z.boolean().default(true),
    ...TriggerWindowShape,
  })
  .superRefine((q, ctx) => checkTriggerWindow(q, ctx));

/**
 * Runs a manual collection for an already authorised request and shapes the answer every
 * trigger route gives: 202 with the queued task ids (async), or 200 with the finished
 * run(s) (sync). Shared by POST /api/v1/collect/trigger and the agents'
 * `.../trigger-collection` routes, which only differ in how they pick data types.
 */
export async function triggerAndRespond(
  req: ApiRequest<Runtime>,
  request: TriggerRequest,
  statusPath = '/api/v1/collect/status/{task_id}',
): Promise<HandlerResult> {
  const rt = req.runtime;
  const result = await triggerCollection(request, {
    store: rt.store,
    writer: rt.writer,
    registry: rt.registry,
    connections: rt.connections,
    queue: rt.queue,
    runDeps: rt.runDeps,
    concurrency: rt.config.collection.concurrency,
    syncWaitMs: rt.config.collection.syncWaitMs,
  });
  const tasks = result.jobs.map((j) => ({
    task_id: j.taskId,
    provider: j.provider,
    data_types: j.dataTypes,
  }));
  const first = result.jobs[0];
  if (result.asyncMode) {
    return {
      status: 202,
      body: {
        task_id: first?.taskId,
        status: 'queued',
        message: `Collection queued for ${tasks.map((t) => t.provider).join(', ')}; follow it at ${statusPath}.`,
        started_at: first?.queuedAt,
        async_mode: true,
        tasks,
      },
    };
  }
  if (result.stillRunning) {
    // Past the wait bound: the runs go on; never a 5xx for a run that is still going.
    return {
      status: 202,
      body: {
        task_id: first?.taskId,
        status: result.runs.length === 1 ? (result.runs[0]?.status ?? 'running') : 'running',
        message: `Collection still running after ${Math.round(rt.config.collection.syncWaitMs / 1000)} s; follow it at ${statusPath}.`,
        status_url: statusPath.replace('{task_id}', first?.taskId ?? ''),
        started_at: first?.queuedAt,
        async_mode: false,
        tasks,
        runs: result.runs,
      },
    };
  }
  if (result.runs.length === 1) return { status: 200, body: { ...result.runs[0], async_mode: false } };
  return { status: 200, body: { task_id: first?.taskId, async_mode: false, runs: result.runs } };
}

/**
 * The `POST /api/v2/<agent>/trigger-collection` handler of an agent: the agent's own data
 * type, for one provider, several or `all` (default), queued (202) or run (200).
 */
export function agentTrigger(dataType: DataType, statusPath?: string): RouteHandler<Runtime> {
  return async (req) => {
    const body = req.body(AgentTriggerBodySchema);
    req.requireCustomer(body.customer_id);
    return triggerAndRespond(
      req,
      {
        customerId: body.customer_id,
        providers:
          body.provider === 'all' ? 'all' : Array.isArray(body.provider) ? body.provider : [body.provider],
        dataTypes: [dataType],
        asyncMode: body.async_mode,
        window: triggerWindowOf(body),
      },
      statusPath,
    );
  };
}

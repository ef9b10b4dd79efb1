import { z } from 'zod';
import { type TriggerRequest, triggerCollection } from '../../collector/trigger';
import { CustomerIdSchema } from '../../config/schema';
import type { HandlerResult } from '../../http/handler';
import type { ApiRequest } from '../../http/request';
import type { Runtime } from '../../runtime';
import { ProviderParamSchema } from '../schemas';

/**
 * Body of the agents' `POST .../trigger-collection`: the data type is the agent's own, so
 * only who and where. `provider` defaults to every enabled connection of the customer.
 */
export const AgentTriggerBodySchema = z.strictObject({
  customer_id: CustomerIdSchema,
  provider: z.union([ProviderParamSchema, z.array(ProviderParamSchema).min(1).max(50)]).default('all'),
  async_mode: z.boolean().default(true),
});

/**
 * Runs a manual collection for an already authorised request and shapes the answer every
 * trigger route gives: 202 with the queued task ids (async), or 200 with the finished
 * run(s) (sync). Shared by POST /api/v1/collect/trigger and the agents'
 * `.../trigger-collection` routes, which only differ in how they pick data types.
 */
export async function triggerAndRespond(
  req: ApiRequest<Runtime>,
  request: TriggerRequest,
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
        message: `Collection queued for ${tasks.map((t) => t.provider).join(', ')}; follow it at /api/v1/collect/status/{task_id}.`,
        started_at: first?.queuedAt,
        async_mode: true,
        tasks,
      },
    };
  }
  if (result.runs.length === 1) return { status: 200, body: { ...result.runs[0], async_mode: false } };
  return { status: 200, body: { task_id: first?.taskId, async_mode: false, runs: result.runs } };
}

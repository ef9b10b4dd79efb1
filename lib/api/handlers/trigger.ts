import { z } from 'zod';
import { type TriggerRequest, type TriggerResult, triggerCollection } from '../../collector/trigger';
import type { DataType } from '../../collector/types';
import { CustomerIdSchema } from '../../config/schema';
import { ValidationError } from '../../errors';
import type { HandlerResult, RouteHandler } from '../../http/handler';
import type { ApiRequest } from '../../http/request';
import type { Runtime } from '../../runtime';
import {
  DataTypeSchema,
  ProviderParamSchema,
  resolveTriggerWindow,
  TriggerWindowShape,
  triggerWindow,
} from '../schemas';

/**
 * Body of the agents' `POST .../trigger-collection`: the data type is the agent's own, so
 * only who and where. `provider` defaults to every enabled connection of the customer.
 */
export const AgentTriggerBodySchema = z
  .strictObject({
    customer_id: CustomerIdSchema,
    provider: z.union([ProviderParamSchema, z.array(ProviderParamSchema).min(1).max(50)]).default('all'),
    /** Accepted for symmetry with POST /api/v1/collect/trigger; only the agent's own type is allowed. */
    data_types: z.array(DataTypeSchema).min(1).max(4).optional(),
    async_mode: z.boolean().default(true),
    ...TriggerWindowShape,
  })
  .superRefine((q, ctx) => resolveTriggerWindow(q, ctx));

/**
 * `data_types` on an agent's trigger route: absent, or naming only the agent's own data
 * type; anything else is a 400 saying which value is allowed and where the others go.
 */
export function checkAgentDataTypes(dataTypes: readonly string[] | undefined, own: DataType): void {
  const other = dataTypes?.find((t) => t !== own);
  if (other !== undefined) {
    throw new ValidationError(
      `body data_types: this route collects only "${own}" (allowed: ["${own}"]); "${other}" is collected through its own agent's trigger-collection or POST /api/v1/collect/trigger`,
    );
  }
}

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
    ...syncTriggerOptions(rt),
  });
  return triggerResponse(result, statusPath);
}

/** How a synchronous trigger runs here: the bound on its wait, and whether the process outlives it. */
export function syncTriggerOptions(rt: Runtime) {
  return {
    concurrency: rt.config.collection.concurrency,
    waitMs: rt.config.collection.syncWaitMs,
    mode: rt.mode,
  };
}

/**
 * The answer every trigger route gives: 202 with the queued task ids (async), 200 with the
 * finished run(s) (sync), or 202 with the task ids and where to follow them when a sync
 * trigger's runs are still going at the wait bound. `extra` joins the body (agents' fields).
 */
export function triggerResponse(
  result: TriggerResult,
  statusPath = '/api/v1/collect/status/{task_id}',
  extra: Record<string, unknown> = {},
): HandlerResult {
  const tasks = result.jobs.map((j) => ({
    task_id: j.taskId,
    provider: j.provider,
    data_types: j.dataTypes,
    status_url: statusPath.replace('{task_id}', j.taskId),
  }));
  const first = result.jobs[0];
  const providers = tasks.map((t) => t.provider).join(', ');
  if (result.asyncMode) {
    return {
      status: 202,
      body: {
        ...extra,
        task_id: first?.taskId,
        status: 'queued',
        message: `Collection queued for ${providers}; follow it at ${statusPath}.`,
        started_at: first?.queuedAt,
        async_mode: true,
        tasks,
      },
    };
  }
  if ('pending' in result) {
    return {
      status: 202,
      body: {
        ...extra,
        task_id: first?.taskId,
        status: result.continuedBy === 'queue' ? 'queued' : 'running',
        message: `Collection for ${providers} is still running after the synchronous wait; it goes on ${
          result.continuedBy === 'queue' ? 'in the collection queue' : 'in the background'
        }: follow it at ${statusPath}.`,
        started_at: first?.queuedAt,
        async_mode: false,
        tasks,
      },
    };
  }
  if (result.runs.length === 1 && Object.keys(extra).length === 0)
    return { status: 200, body: { ...result.runs[0], async_mode: false } };
  return {
    status: 200,
    body: { ...extra, task_id: first?.taskId, async_mode: false, tasks, runs: result.runs },
  };
}

/**
 * The `POST /api/v2/<agent>/trigger-collection` handler of an agent: the agent's own data
 * type, for one provider, several or `all` (default), queued (202) or run (200).
 */
export function agentTrigger(dataType: DataType, statusPath?: string): RouteHandler<Runtime> {
  return async (req) => {
    const body = req.body(AgentTriggerBodySchema);
    checkAgentDataTypes(body.data_types, dataType);
    req.requireCustomer(body.customer_id);
    return triggerAndRespond(
      req,
      {
        customerId: body.customer_id,
        providers:
          body.provider === 'all' ? 'all' : Array.isArray(body.provider) ? body.provider : [body.provider],
        dataTypes: [dataType],
        asyncMode: body.async_mode,
        window: triggerWindow(body),
      },
      statusPath,
    );
  };
}

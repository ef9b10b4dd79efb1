import { z } from 'zod';
import { DATA_TYPES } from '../collector/types';
import { CustomerIdSchema } from '../config/schema';
import { RUN_STATUSES } from '../schemas/rows';
import { DAY_MS } from '../time';
import { limitParam, MAX_PERIOD_DAYS, timeParam } from './query';

/** Shared request-validation pieces for the route handlers. */
export const ProviderParamSchema = z
  .string()
  .regex(/^[a-z0-9_-]{1,32}$/, 'must be a provider id such as aws, or all');
export const TaskIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a task id as returned by trigger');
export const DataTypeSchema = z.enum(DATA_TYPES);

export const CustomerPathSchema = z.object({ customer_id: CustomerIdSchema });
export const CustomerProviderPathSchema = z.object({
  customer_id: CustomerIdSchema,
  provider: ProviderParamSchema,
});

/** `limit`: one definition, in the query vocabulary. */
export { limitParam };

/**
 * A trigger's optional explicit window: `start` (+ `end`, default now), `[start, end)` in UTC,
 * validated like the read APIs' periods (ISO dates or date-times with a zone, at most 731
 * days); without it each data type starts at its watermark.
 */
export const TriggerWindowShape = { start: timeParam, end: timeParam };

export function resolveTriggerWindow(
  q: { start?: Date | undefined; end?: Date | undefined },
  ctx: z.RefinementCtx,
  now: Date = new Date(),
): void {
  if (q.end && !q.start) {
    ctx.addIssue({
      code: 'custom',
      path: ['start'],
      message: 'is required with end (the window is [start, end))',
    });
    return;
  }
  if (!q.start) return;
  if (q.start >= now) {
    ctx.addIssue({ code: 'custom', path: ['start'], message: 'must be in the past' });
    return;
  }
  const end = q.end ?? now;
  if (end <= q.start) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
  else if (end.getTime() - q.start.getTime() > MAX_PERIOD_DAYS * DAY_MS)
    ctx.addIssue({
      code: 'custom',
      path: ['end'],
      message: `must be at most ${MAX_PERIOD_DAYS} days after start`,
    });
}

/** `{start, end}` as a job's window (ISO), or undefined when the trigger named none. */
export function triggerWindow(q: { start?: Date | undefined; end?: Date | undefined }) {
  return q.start ? { start: q.start.toISOString(), end: (q.end ?? new Date()).toISOString() } : undefined;
}

export const TriggerBodySchema = z
  .strictObject({
    customer_id: CustomerIdSchema,
    provider: z.union([ProviderParamSchema, z.array(ProviderParamSchema).min(1).max(50)]),
    data_types: z.array(DataTypeSchema).min(1).max(4).optional(),
    async_mode: z.boolean().default(true),
    ...TriggerWindowShape,
  })
  .superRefine((q, ctx) => resolveTriggerWindow(q, ctx));

export const HistoryQuerySchema = z.strictObject({
  provider: ProviderParamSchema.optional(),
  status: z.enum(RUN_STATUSES).optional(),
  data_type: DataTypeSchema.optional(),
  limit: limitParam(50, 500),
});

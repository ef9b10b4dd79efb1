import { z } from 'zod';
import { DATA_TYPES } from '../collector/types';
import { CustomerIdSchema } from '../config/schema';
import { RUN_STATUSES } from '../schemas/rows';
import { checkTriggerWindow, TriggerWindowShape } from './period';

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

/** `limit` as a query string value, bounded. */
export const limitParam = (fallback: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${max}` });
        return z.NEVER;
      }
      return n;
    });

export const TriggerBodySchema = z
  .strictObject({
    customer_id: CustomerIdSchema,
    provider: z.union([ProviderParamSchema, z.array(ProviderParamSchema).min(1).max(50)]),
    data_types: z.array(DataTypeSchema).min(1).max(4).optional(),
    async_mode: z.boolean().default(true),
    ...TriggerWindowShape,
  })
  .superRefine((q, ctx) => checkTriggerWindow(q, ctx));

export const HistoryQuerySchema = z.strictObject({
  provider: ProviderParamSchema.optional(),
  status: z.enum(RUN_STATUSES).optional(),
  data_type: DataTypeSchema.optional(),
  limit: limitParam(50, 500),
});

import { z } from 'zod';
import { PeriodViewSchema } from './query';

/**
 * Response-body schemas for the route table (RouteSpec.responses), documented in
 * GET /openapi.json and checked against real answers in the handler tests. Objects are
 * open (`z.looseObject`): a schema names what a client may rely on, and a new field is
 * not a breaking change. Money is an exact decimal string.
 */

const money = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/)
  .meta({ description: 'Exact decimal string', example: '12.34' });
const iso = z.string().meta({ description: 'ISO 8601 time, UTC', example: '2026-03-01T00:00:00.000Z' });
const rows = z.array(z.looseObject({}));
const counts = z.record(z.string(), z.number());

/** `{"error":{"code","message"}}`: every 4xx and 5xx; the message names the parameter at fault. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'bad_request' }),
      message: z.string().meta({ example: 'query parameter days: must be a whole number from 1 to 731' }),
    }),
  })
  .meta({
    id: 'Error',
    description: 'The one error shape; a 400 message begins with the parameter at fault.',
  });

/** A collection run as stored (runs table). */
export const RunSchema = z
  .looseObject({
    task_id: z.string(),
    customer_id: z.string(),
    provider: z.string(),
    data_types: z.array(z.string()),
    status: z.string(),
  })
  .meta({ id: 'Run' });

/** 202 (queued) or 200 (ran) of every trigger route. */
export const TriggerResponseSchema = z
  .looseObject({
    task_id: z.string().optional(),
    status: z.string().optional(),
    async_mode: z.boolean().optional(),
    tasks: z.array(z.looseObject({ task_id: z.string(), provider: z.string() })).optional(),
    runs: z.array(RunSchema).optional(),
  })
  .meta({ id: 'TriggerResponse' });

export const RunListSchema = z.looseObject({
  customer_id: z.string(),
  count: z.number(),
  runs: z.array(RunSchema),
});

// --- platform ------------------------------------------------------------------------

export const HealthSchema = z.looseObject({
  status: z.enum(['ok', 'degraded']),
  clickhouse: z.looseObject({ reachable: z.boolean() }),
  migrations: z.looseObject({ current: z.boolean(), pending: z.array(z.string()) }),
  time: iso,
});
export const CollectorsSchema = z.looseObject({ providers: rows.optional() });
export const KeyCreatedSchema = z.looseObject({ key: z.string().optional(), key_id: z.string().optional() });
export const KeyRevokedSchema = z.looseObject({});

// --- costs ---------------------------------------------------------------------------

const Amounts = z.looseObject({ currency: z.string().length(3), billed_cost: money, effective_cost: money });
const CostHead = {
  customer_id: z.string(),
  provider: z.string(),
  period: PeriodViewSchema,
  filters: z.looseObject({}),
};

export const CostTotalSchema = z.looseObject({
  ...CostHead,
  currencies: z.array(z.string()),
  totals: z.array(Amounts.extend({ line_items: z.number() })),
  by_provider: z.array(Amounts.extend({ provider: z.string() })),
});
export const CostTrendsSchema = z.looseObject({
  ...CostHead,
  granularity: z.enum(['day', 'week', 'month']),
  group_by: z.enum(['day', 'week', 'month']).meta({ deprecated: true, description: 'Same as granularity.' }),
  currencies: z.array(z.string()),
  buckets: z.array(
    z.looseObject({ start: z.string(), end: z.string(), partial: z.boolean(), costs: z.array(Amounts) }),
  ),
});
export const CostRowsSchema = z.looseObject({
  ...CostHead,
  currencies: z.array(z.string()),
  limit: z.number(),
  count: z.number(),
  rows: z.array(
    z.looseObject({
      provider: z.string(),
      charge_period_start: z.string(),
      service_name: z.string(),
      billed_cost: money,
      effective_cost: money,
      currency: z.string(),
      tags: z.record(z.string(), z.string()),
    }),
  ),
  truncated: z.boolean(),
});
export const CostLatestSchema = z.looseObject({
  ...CostHead,
  currencies: z.array(z.string()),
  day: z.object({ start: z.string(), end: z.string() }).nullable(),
  totals: z.array(Amounts),
  by_provider: z.array(Amounts),
  by_service: z.array(Amounts),
});
const Breakdown = {
  ...CostHead,
  currencies: z.array(z.string()),
  limit: z.number(),
  items: z.array(Amounts),
  totals: z.array(Amounts.extend({ groups: z.number(), truncated: z.boolean() })),
};
export const CostByResourceSchema = z.looseObject(Breakdown);
export const CostByTypeSchema = z.looseObject({ ...Breakdown, type: z.string() });
export const CollectionSpendSchema = z.looseObject({
  customer_id: z.string(),
  provider: z.string(),
  period: PeriodViewSchema,
  currency: z.literal('USD'),
  days: z.array(z.looseObject({ day: z.string(), provider: z.string(), total_requests: z.number() })),
});

// --- performance ---------------------------------------------------------------------

const PerfHead = { customer_id: z.string(), provider: z.string(), period: PeriodViewSchema };
export const PerfMetricsSchema = z.looseObject({
  ...PerfHead,
  granularity: z.string(),
  series: z.array(z.looseObject({ metric: z.string(), unit: z.string(), points: rows })),
  points: z.number(),
  truncated: z.boolean(),
});
export const PerfLatestSchema = z.looseObject({ ...PerfHead, count: z.number(), values: rows });
export const PerfTrendsSchema = z.looseObject({
  ...PerfHead,
  granularity: z.enum(['hour', 'day']),
  trends: rows,
});
export const PerfByResourceSchema = z.looseObject({ ...PerfHead, count: z.number(), resources: rows });
export const PerfAverageSchema = z.looseObject({ ...PerfHead });
export const PerfResourceSchema = z.looseObject({ ...PerfHead, resource_id: z.string() });
export const PerfSummarySchema = z.looseObject({ ...PerfHead, p95_method: z.string() });

// --- resources -----------------------------------------------------------------------

const ResHead = { customer_id: z.string(), provider: z.string() };
export const InventorySchema = z.looseObject({
  ...ResHead,
  snapshots: rows,
  partial: z.boolean(),
  total: z.number(),
  resources: rows,
});
export const ResourceDetailSchema = z.looseObject({ ...ResHead });
export const ResourcesByTypeSchema = z.looseObject({ ...ResHead });
export const ResourceChangesSchema = z.looseObject({ ...ResHead, period: PeriodViewSchema });
export const InventorySummarySchema = z.looseObject({
  ...ResHead,
  snapshots: rows,
  partial: z.boolean(),
  total: z.number(),
  by_provider: counts,
  by_type: counts,
  by_status: counts,
  by_region: counts,
});

// --- applications --------------------------------------------------------------------

const AppHead = {
  customer_id: z.string(),
  provider: z.string(),
  period: PeriodViewSchema,
  filters: z.object({ application: z.string().nullable(), model: z.string().nullable() }),
  evaluation: z.looseObject({ enabled: z.boolean() }),
};
export const AppQualitySchema = z.looseObject({
  ...AppHead,
  granularity: z.enum(['hour', 'day']),
  series: rows,
});
export const AppFlaggedSchema = z.looseObject({ ...AppHead, samples: rows });
export const AppToxicitySchema = z.looseObject({ ...AppHead, categories: z.unknown(), samples: rows });
export const AppSummarySchema = z.looseObject({
  ...AppHead,
  totals: z.object({
    received: z.number(),
    evaluated: z.number(),
    waiting: z.number(),
    unevaluated: z.number(),
  }),
  applications: rows,
});
export const AppModelsSchema = z.looseObject({ ...AppHead, models: rows, cost_basis: z.string() });
export const AppCalibrationSchema = z.looseObject({
  judge: z.looseObject({ model: z.string(), prompt_version: z.string(), enabled: z.boolean() }),
  matches_current_judge: z.boolean(),
  calibration: z.looseObject({}).nullable(),
});
export const AppIngestSchema = z.looseObject({ customer_id: z.string(), accepted: z.number() });

// --- docs ----------------------------------------------------------------------------

export const OpenApiDocSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({}),
  paths: z.looseObject({}),
});

import { z } from 'zod';
import { getRun, listRuns } from '../../clickhouse/repos/runs';
import { assertProviderAvailable } from '../../collector/trigger';
import {
  ALL_PROVIDERS,
  type CostFilters,
  type CostPeriod,
  type CostScope,
  currenciesOf,
} from '../../costs/reader';
import { COST_TYPES, costsByResource, costsByType } from '../../costs/reader-breakdown';
import { costRows, latestCosts } from '../../costs/reader-rows';
import { collectionSpend } from '../../costs/reader-spend';
import { costTotals } from '../../costs/reader-totals';
import { costTrends, TREND_GROUPS } from '../../costs/reader-trends';
import { NotFoundError } from '../../errors';
import type { RouteHandler } from '../../http/handler';
import type { ApiRequest } from '../../http/request';
import type { Runtime } from '../../runtime';
import { DAY_MS } from '../../time';
import { DEFAULT_PERIOD_DAYS, MAX_PERIOD_DAYS, periodIssue, timeParam } from '../period';
import {
  CustomerPathSchema,
  CustomerProviderPathSchema,
  HistoryQuerySchema,
  limitParam,
  ProviderParamSchema,
  TaskIdSchema,
} from '../schemas';
import { agentTrigger } from './trigger';

export { DEFAULT_PERIOD_DAYS, MAX_PERIOD_DAYS };

const daysParam = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < 1 || n > MAX_PERIOD_DAYS) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${MAX_PERIOD_DAYS}` });
      return z.NEVER;
    }
    return n;
  });

/** An exact-match filter value: plain text, no control characters. */
const filterParam = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
  .optional();

const PERIOD_AND_FILTERS = {
  days: daysParam,
  start: timeParam,
  end: timeParam,
  service: filterParam,
  account: filterParam,
  resource: filterParam,
};

interface PeriodInput {
  days?: number | undefined;
  start?: Date | undefined;
  end?: Date | undefined;
}

function checkPeriod(q: PeriodInput, ctx: z.RefinementCtx): void {
  const issue = periodIssue(q);
  if (issue) ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
}

/** A strict query schema: the period, the filters and `extra`; any other key is a 400. */
function costQuery<T extends z.ZodRawShape>(extra: T) {
  return z
    .strictObject({ ...PERIOD_AND_FILTERS, ...extra })
    .superRefine((q, ctx) => checkPeriod(q as PeriodInput, ctx));
}

/**
 * `days` counts whole UTC days ending with today (today included, since clouds report
 * the running day too); `start`/`end` are used as given. Either way [start, end).
 */
export function resolvePeriod(q: PeriodInput, now: Date = new Date()): CostPeriod {
  if (q.start && q.end) return { start: q.start, end: q.end };
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return { start: new Date(end - (q.days ?? DEFAULT_PERIOD_DAYS) * DAY_MS), end: new Date(end) };
}

const periodView = (p: CostPeriod) => ({ start: p.start.toISOString(), end: p.end.toISOString() });

function filtersOf(q: {
  service?: string | undefined;
  account?: string | undefined;
  resource?: string | undefined;
}): CostFilters {
  return {
    ...(q.service !== undefined ? { service: q.service } : {}),
    ...(q.account !== undefined ? { account: q.account } : {}),
    ...(q.resource !== undefined ? { resource: q.resource } : {}),
  };
}

/**
 * The common front of every cost read: path, authorisation, provider (an unknown one is
 * a 404; a known one without data is an empty answer), query. Returns the scope and the
 * head every response carries — who, which provider, which period, which filters.
 */
function costRequest<S extends z.ZodType<PeriodInput & CostFilters>>(req: ApiRequest<Runtime>, schema: S) {
  const { customer_id, provider } = req.path(CustomerProviderPathSchema);
  req.requireCustomer(customer_id);
  if (provider !== ALL_PROVIDERS) assertProviderAvailable(req.runtime.registry, provider);
  const q: z.output<S> = req.query(schema);
  const period = resolvePeriod(q);
  const filters = filtersOf(q);
  const scope: CostScope = { customerId: customer_id, provider, period, filters };
  return { q, scope, head: { customer_id, provider, period: periodView(period), filters } };
}

const TotalQuery = costQuery({});
const TrendsQuery = costQuery({ group_by: z.enum(TREND_GROUPS).default('day') });
/** At most 5,000 facts (~3.5 MB of JSON): Lambda's synchronous response limit is 6 MB. */
const RowsQuery = costQuery({ limit: limitParam(100, 5_000) });
const ByResourceQuery = costQuery({ limit: limitParam(50, 1_000) });
const ByTypeQuery = costQuery({ type: z.enum(COST_TYPES).default('service'), limit: limitParam(50, 1_000) });

/** GET /api/v2/costs/{customer_id}/{provider}/total — billed and effective cost per currency (and per provider). */
export const costsTotal: RouteHandler<Runtime> = async (req) => {
  const { scope, head } = costRequest(req, TotalQuery);
  const result = await costTotals(req.runtime.store, scope);
  return { body: { ...head, currencies: currenciesOf(result.totals), ...result } };
};

/** GET /api/v2/costs/{customer_id}/{provider}/trends?group_by=day|week|month — zero-filled buckets per currency. */
export const costsTrends: RouteHandler<Runtime> = async (req) => {
  const { q, scope, head } = costRequest(req, TrendsQuery);
  const result = await costTrends(req.runtime.store, scope, q.group_by);
  return { body: { ...head, ...result } };
};

/** GET /api/v2/costs/{customer_id}/{provider}/metrics — the cost facts themselves, newest first. */
export const costsMetrics: RouteHandler<Runtime> = async (req) => {
  const { q, scope, head } = costRequest(req, RowsQuery);
  const result = await costRows(req.runtime.store, scope, q.limit);
  return {
    body: {
      ...head,
      currencies: currenciesOf(result.rows),
      limit: q.limit,
      count: result.rows.length,
      ...result,
    },
  };
};

/** GET /api/v2/costs/{customer_id}/{provider}/latest — the most recent day with cost in the period. */
export const costsLatest: RouteHandler<Runtime> = async (req) => {
  const { scope, head } = costRequest(req, TotalQuery);
  const result = await latestCosts(req.runtime.store, scope);
  return { body: { ...head, currencies: currenciesOf(result.totals), ...result } };
};

/** GET /api/v2/costs/{customer_id}/{provider}/by-resource — top resources per currency. */
export const costsByResourceHandler: RouteHandler<Runtime> = async (req) => {
  const { q, scope, head } = costRequest(req, ByResourceQuery);
  const result = await costsByResource(req.runtime.store, scope, q.limit);
  return { body: { ...head, currencies: currenciesOf(result.totals), limit: q.limit, ...result } };
};

/** GET /api/v2/costs/{customer_id}/{provider}/by-type?type=service|service_category|charge_category */
export const costsByTypeHandler: RouteHandler<Runtime> = async (req) => {
  const { q, scope, head } = costRequest(req, ByTypeQuery);
  const result = await costsByType(req.runtime.store, scope, q.type, q.limit);
  return { body: { ...head, currencies: currenciesOf(result.totals), limit: q.limit, ...result } };
};

const COST_STATUS_PATH = '/api/v2/costs/collection-status/{task_id}';

/**
 * POST /api/v2/costs/trigger-collection — the collector's trigger, for cost only: queues
 * (202) or runs (200) cost collection for one provider, several, or `all`.
 */
export const costsTriggerCollection: RouteHandler<Runtime> = agentTrigger('cost', COST_STATUS_PATH);

/** GET /api/v2/costs/collection-status/{task_id} — a run that collected cost. */
export const costsCollectionStatus: RouteHandler<Runtime> = async (req) => {
  const { task_id } = req.path(z.object({ task_id: TaskIdSchema }));
  const auth = req.requireAuth();
  const run = await getRun(req.runtime.store, task_id);
  // Another customer's task, or one that collected no cost, is reported as missing: ids are not an oracle.
  if (!run?.data_types.includes('cost') || (!auth.is_admin && run.customer_id !== auth.customer_id)) {
    throw new NotFoundError(`No cost collection task ${task_id}.`);
  }
  return { body: run };
};

const CostHistoryQuerySchema = HistoryQuerySchema.omit({ data_type: true });

/** GET /api/v2/costs/{customer_id}/collection-history?provider=&status=&limit= — runs that collected cost, newest first. */
export const costsCollectionHistory: RouteHandler<Runtime> = async (req) => {
  const { customer_id } = req.path(CustomerPathSchema);
  req.requireCustomer(customer_id);
  const q = req.query(CostHistoryQuerySchema);
  if (q.provider && q.provider !== ALL_PROVIDERS) assertProviderAvailable(req.runtime.registry, q.provider);
  const runs = await listRuns(req.runtime.store, customer_id, {
    provider: q.provider === ALL_PROVIDERS ? undefined : q.provider,
    status: q.status,
    dataType: 'cost',
    limit: q.limit,
  });
  return { body: { customer_id, count: runs.length, runs } };
};

const SpendQuery = z
  .strictObject({
    days: daysParam,
    start: timeParam,
    end: timeParam,
    provider: ProviderParamSchema.optional(),
  })
  .superRefine((q, ctx) => checkPeriod(q, ctx));

/**
 * GET /api/v2/costs/{customer_id}/collection-spend?provider=&days=|start=&end= — billable
 * provider API requests made by collection runs, per provider and UTC day, with a USD
 * list-price estimate where the API is priced per request.
 */
export const costsCollectionSpend: RouteHandler<Runtime> = async (req) => {
  const { customer_id } = req.path(CustomerPathSchema);
  req.requireCustomer(customer_id);
  const q = req.query(SpendQuery);
  const provider = q.provider === undefined || q.provider === ALL_PROVIDERS ? undefined : q.provider;
  if (provider) assertProviderAvailable(req.runtime.registry, provider);
  const period = resolvePeriod(q);
  const result = await collectionSpend(req.runtime.store, { customerId: customer_id, provider, period });
  return {
    body: { customer_id, provider: provider ?? ALL_PROVIDERS, period: periodView(period), ...result },
  };
};

/** The costs agent's handlers, by route name (functions/api/<name>.ts). */
export const COSTS_HANDLERS: Record<string, RouteHandler<Runtime>> = {
  'costs-metrics': costsMetrics,
  'costs-latest': costsLatest,
  'costs-trends': costsTrends,
  'costs-by-resource': costsByResourceHandler,
  'costs-by-type': costsByTypeHandler,
  'costs-total': costsTotal,
  'costs-trigger-collection': costsTriggerCollection,
  'costs-collection-status': costsCollectionStatus,
  'costs-collection-history': costsCollectionHistory,
  'costs-collection-spend': costsCollectionSpend,
};

import { z } from 'zod';
import { getRun, listRuns } from '../../clickhouse/repos/runs';
import { assertProviderAvailable } from '../../collector/trigger';
import { EXPORT_FORMATS, exportFocus } from '../../costs/export';
import { isoDay } from '../../costs/periods';
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
import {
  filterParam,
  granularity,
  limitParam,
  PERIOD_DEFAULTS,
  type PeriodInput,
  PeriodShape,
  periodView,
  resolvePeriod,
} from '../query';
import {
  CustomerPathSchema,
  CustomerProviderPathSchema,
  HistoryQuerySchema,
  ProviderParamSchema,
} from '../schemas';
import { TaskPathSchema } from './collect';
import { agentTrigger } from './trigger';

/** The filters of every cost read: exact matches. */
const FILTERS = { service: filterParam(), account: filterParam(), resource: filterParam() };

/** A strict query schema: the period, the filters and `extra`; any other key is a 400. */
function costQuery<T extends z.ZodRawShape>(extra: T) {
  return z.strictObject({ ...PeriodShape, ...FILTERS, ...extra });
}

/** `days` counts whole UTC days ending with today (today included, since clouds report the running day too). */
const costPeriod = (q: PeriodInput): CostPeriod => resolvePeriod(q, PERIOD_DEFAULTS.costs);

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
  const period = costPeriod(q);
  const filters = filtersOf(q);
  const scope: CostScope = { customerId: customer_id, provider, period, filters };
  return { q, scope, head: { customer_id, provider, period: periodView(period), filters } };
}

export const TotalQuery = costQuery({});
/** `granularity=day|week|month` (`group_by`, its older name, still works). */
export const COST_GRANULARITY = granularity(TREND_GROUPS, 'day', ['group_by']);
export const TrendsQuery = costQuery(COST_GRANULARITY.shape);
/** At most 5,000 facts (~3.5 MB of JSON): Lambda's synchronous response limit is 6 MB. */
export const RowsQuery = costQuery({ limit: limitParam(100, 5_000) });
export const ByResourceQuery = costQuery({ limit: limitParam(50, 1_000) });
export const ByTypeQuery = costQuery({
  type: z.enum(COST_TYPES).default('service'),
  limit: limitParam(50, 1_000),
});

/** GET /api/v2/costs/{customer_id}/{provider}/total — billed and effective cost per currency (and per provider). */
export const costsTotal: RouteHandler<Runtime> = async (req) => {
  const { scope, head } = costRequest(req, TotalQuery);
  const result = await costTotals(req.runtime.store, scope);
  return { body: { ...head, currencies: currenciesOf(result.totals), ...result } };
};

/** GET /api/v2/costs/{customer_id}/{provider}/trends?group_by=day|week|month — zero-filled buckets per currency. */
export const costsTrends: RouteHandler<Runtime> = async (req) => {
  const { q, scope, head } = costRequest(req, TrendsQuery);
  const g = COST_GRANULARITY.resolve(q);
  const result = await costTrends(req.runtime.store, scope, g);
  return { body: { ...head, granularity: g, ...result } };
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

export const ExportQuery = costQuery({ format: z.enum(EXPORT_FORMATS).default('csv') });

/**
 * The export's period, filters and format: the cost reads' parsing, kept in this one call
 * so it can move to a shared query vocabulary without touching the handler.
 */
function exportRequest(req: ApiRequest<Runtime>) {
  return costRequest(req, ExportQuery);
}

/**
 * GET /api/v2/costs/{customer_id}/{provider}/export?format=csv|parquet — the cost facts of
 * the period as FOCUS 1.2 columns (plus `x_` columns), written by ClickHouse's own
 * CSVWithNames / Parquet output and streamed (lib/costs/export.ts).
 */
export const costsExport: RouteHandler<Runtime> = async (req) => {
  const { q, scope, head } = exportRequest(req);
  const { stream, contentType } = await exportFocus(req.runtime.store, scope, q.format);
  const file = `focus-${head.customer_id}-${head.provider}-${isoDay(scope.period.start)}-${isoDay(scope.period.end)}.${q.format}`;
  return {
    body: null,
    stream,
    headers: {
      'content-type': contentType,
      'content-disposition': `attachment; filename="${file}"`,
      'x-focus-version': '1.2',
      'x-period-start': head.period.start,
      'x-period-end': head.period.end,
    },
  };
};

const COST_STATUS_PATH = '/api/v2/costs/collection-status/{task_id}';

/**
 * POST /api/v2/costs/trigger-collection — the collector's trigger, for cost only: queues
 * (202) or runs (200) cost collection for one provider, several, or `all`.
 */
export const costsTriggerCollection: RouteHandler<Runtime> = agentTrigger('cost', COST_STATUS_PATH);

/** GET /api/v2/costs/collection-status/{task_id} — a run that collected cost. */
export const costsCollectionStatus: RouteHandler<Runtime> = async (req) => {
  const { task_id } = req.path(TaskPathSchema);
  const auth = req.requireAuth();
  const run = await getRun(req.runtime.store, task_id);
  // Another customer's task, or one that collected no cost, is reported as missing: ids are not an oracle.
  if (!run?.data_types.includes('cost') || (!auth.is_admin && run.customer_id !== auth.customer_id)) {
    throw new NotFoundError(`No cost collection task ${task_id}.`);
  }
  return { body: run };
};

export const CostHistoryQuerySchema = HistoryQuerySchema.omit({ data_type: true });

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

export const SpendQuery = z.strictObject({ ...PeriodShape, provider: ProviderParamSchema.optional() });

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
  const period = costPeriod(q);
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
  'costs-export': costsExport,
  'costs-trigger-collection': costsTriggerCollection,
  'costs-collection-status': costsCollectionStatus,
  'costs-collection-history': costsCollectionHistory,
  'costs-collection-spend': costsCollectionSpend,
};

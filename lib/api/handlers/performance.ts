import { z } from 'zod';
import { assertProviderAvailable } from '../../collector/trigger';
import { NotFoundError, ValidationError } from '../../errors';
import type { RouteHandler } from '../../http/handler';
import type { ApiRequest } from '../../http/request';
import { intParam, metricListParam, ResourceIdSchema, textFilter } from '../../performance/params';
import {
  AVERAGE_GROUPS,
  type AverageGroup,
  bucketCount,
  MAX_BUCKETS,
  MAX_TREND_BUCKETS,
  type PerformanceScope,
  readAverages,
  readByResource,
  readLatest,
  readMetricSeries,
  readResourcePerformance,
  readSummary,
  readTrends,
  STEPS,
  type Step,
  TREND_STEPS,
} from '../../performance/reader';
import type { Runtime } from '../../runtime';
import {
  granularity,
  PERIOD_DEFAULTS,
  type PeriodInput,
  PeriodShape,
  periodView,
  resolvePeriod,
} from '../query';
import { CustomerProviderPathSchema } from '../schemas';
import { agentTrigger } from './trigger';

/** Filters every performance read accepts besides its own options. */
const FilterShape = {
  ...PeriodShape,
  metric: metricListParam,
  resource: ResourceIdSchema.optional(),
  /** Older name of `resource`. */
  resource_id: ResourceIdSchema.optional().meta({ description: 'Older name of resource.', deprecated: true }),
  resource_type: textFilter(),
  region: textFilter(),
  // '' selects the series without a sub-series (no disk, interface or GPU).
  dimension: z.string().max(256, 'must be at most 256 characters').optional(),
};

type Filters = PeriodInput & {
  metric?: string[] | undefined;
  resource?: string | undefined;
  resource_id?: string | undefined;
  resource_type?: string | undefined;
  region?: string | undefined;
  dimension?: string | undefined;
};

/** A performance read's query schema: the period and filters, and the route's own options. */
export const perfQuery = <S extends z.ZodRawShape>(extra: S) => z.strictObject({ ...FilterShape, ...extra });

export const METRICS_OPTIONS = { limit: intParam(5_000, 1, 50_000) };
export const LATEST_OPTIONS = { limit: intParam(1_000, 1, 10_000) };
export const BY_RESOURCE_OPTIONS = { limit: intParam(100, 1, 1_000) };
const AVERAGE_GROUP_NAMES = Object.keys(AVERAGE_GROUPS) as [AverageGroup, ...AverageGroup[]];
export const AVERAGE_OPTIONS = { group_by: z.enum(AVERAGE_GROUP_NAMES).default('none') };
export const SUMMARY_OPTIONS = { top: intParam(5, 1, 50) };

/**
 * Validates the path, authorises the caller for the customer, checks the provider
 * (`all` or one this deployment knows, else 404), then validates the query: the steps
 * every performance route starts with, in that order.
 */
export const ResourcePathSchema = CustomerProviderPathSchema.extend({ resource_id: ResourceIdSchema });

function scoped<S extends z.ZodRawShape>(
  req: ApiRequest<Runtime>,
  extra: S,
  opts: { resourceInPath?: boolean } = {},
) {
  const path = opts.resourceInPath ? req.path(ResourcePathSchema) : req.path(CustomerProviderPathSchema);
  req.requireCustomer(path.customer_id);
  if (path.provider !== 'all') assertProviderAvailable(req.runtime.registry, path.provider);
  const q = req.query(perfQuery(extra)) as Filters & z.output<z.ZodObject<S>>;
  if (q.resource !== undefined && q.resource_id !== undefined && q.resource !== q.resource_id) {
    throw new ValidationError('query parameter resource_id: is another name of resource; give one of them');
  }
  const resource = q.resource ?? q.resource_id;
  if (opts.resourceInPath && resource !== undefined) {
    throw new ValidationError(
      `query parameter ${q.resource !== undefined ? 'resource' : 'resource_id'}: the resource is given in the path`,
    );
  }
  const period = resolvePeriod(q, PERIOD_DEFAULTS.performance);
  const scope: PerformanceScope = {
    customerId: path.customer_id,
    provider: path.provider,
    period,
    metrics: q.metric,
    resourceId: 'resource_id' in path ? (path.resource_id as string) : resource,
    resourceType: q.resource_type,
    region: q.region,
    dimension: q.dimension,
  };
  return { q, scope };
}

/** `granularity` of the series read (`step`, its older name, still works); `raw` is unbucketed points. */
export const METRICS_GRANULARITY = granularity(Object.keys(STEPS) as [Step, ...Step[]], 'raw', ['step']);
/** `granularity=hour|day` of the trends read (`step`, its older name, still works). */
export const TRENDS_GRANULARITY = granularity(TREND_STEPS, 'hour', ['step']);
const envelope = (scope: PerformanceScope) => ({
  customer_id: scope.customerId,
  provider: scope.provider,
  period: periodView(scope.period),
});

/** GET /api/v2/performance/{customer_id}/{provider}/metrics — points per series, raw or per step. */
export const performanceMetrics: RouteHandler<Runtime> = async (req) => {
  const { q, scope } = scoped(req, { ...METRICS_GRANULARITY.shape, ...METRICS_OPTIONS });
  const step = METRICS_GRANULARITY.resolve(q);
  const result = await readMetricSeries(req.runtime.store, scope, { step, limit: q.limit });
  return { body: { ...envelope(scope), granularity: step, ...result } };
};

/** GET .../latest — the newest value of every series. */
export const performanceLatest: RouteHandler<Runtime> = async (req) => {
  const { q, scope } = scoped(req, LATEST_OPTIONS);
  const result = await readLatest(req.runtime.store, scope, { limit: q.limit });
  return { body: { ...envelope(scope), count: result.values.length, ...result } };
};

/** GET .../trends?step=hour|day — fleet-wide buckets per metric and their direction. */
export const performanceTrends: RouteHandler<Runtime> = async (req) => {
  const { q, scope } = scoped(req, TRENDS_GRANULARITY.shape);
  const step = TRENDS_GRANULARITY.resolve(q);
  const buckets = bucketCount(scope.period, step);
  if (buckets > MAX_BUCKETS) {
    throw new ValidationError(
      `query parameter granularity: ${step} buckets over this period would be ${buckets} per metric (at most ${MAX_BUCKETS}); use granularity=day or a shorter period`,
    );
  }
  const result = await readTrends(req.runtime.store, scope, { step });
  if (result.truncated) {
    throw new ValidationError(
      `query parameter metric: the answer would have more than ${MAX_TREND_BUCKETS} buckets; choose fewer metrics, a shorter period or granularity=day`,
    );
  }
  const { truncated: _, ...body } = result;
  return { body: { ...envelope(scope), granularity: step, ...body } };
};

/** GET .../by-resource — per resource, per metric statistics. */
export const performanceByResource: RouteHandler<Runtime> = async (req) => {
  const { q, scope } = scoped(req, BY_RESOURCE_OPTIONS);
  const result = await readByResource(req.runtime.store, scope, { limit: q.limit });
  return { body: { ...envelope(scope), count: result.resources.length, ...result } };
};

/** GET .../average?group_by=none|provider|resource_type|region|resource — averages per metric. */
export const performanceAverage: RouteHandler<Runtime> = async (req) => {
  const { q, scope } = scoped(req, AVERAGE_OPTIONS);
  const result = await readAverages(req.runtime.store, scope, { groupBy: q.group_by });
  return { body: { ...envelope(scope), ...result } };
};

/** GET .../resource/{resource_id} — one resource's statistics and newest values; 404 without data. */
export const performanceResource: RouteHandler<Runtime> = async (req) => {
  const { scope } = scoped(req, {}, { resourceInPath: true });
  const resourceId = scope.resourceId as string;
  const result = await readResourcePerformance(req.runtime.store, { ...scope, resourceId });
  if (!result) {
    throw new NotFoundError(
      `No performance data for resource "${resourceId}" of customer "${scope.customerId}" (provider ${scope.provider}) between ${scope.period.start.toISOString()} and ${scope.period.end.toISOString()}.`,
    );
  }
  return { body: { ...envelope(scope), ...result } };
};

/** GET .../summary?top=N — per metric avg, p95, max, and the busiest and idlest resources. */
export const performanceSummary: RouteHandler<Runtime> = async (req) => {
  const { q, scope } = scoped(req, SUMMARY_OPTIONS);
  const result = await readSummary(req.runtime.store, scope, { top: q.top });
  return { body: { ...envelope(scope), ...result } };
};

/** POST /api/v2/performance/trigger-collection — collect performance data now (202 queued, 200 sync). */
export const performanceTrigger: RouteHandler<Runtime> = agentTrigger('performance');

/** The performance agent's handlers, by route name. */
export const PERFORMANCE_HANDLERS: Record<string, RouteHandler<Runtime>> = {
  'performance-metrics': performanceMetrics,
  'performance-latest': performanceLatest,
  'performance-trends': performanceTrends,
  'performance-by-resource': performanceByResource,
  'performance-average': performanceAverage,
  'performance-resource': performanceResource,
  'performance-summary': performanceSummary,
  'performance-trigger': performanceTrigger,
};

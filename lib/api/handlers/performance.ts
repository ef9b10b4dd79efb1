import { z } from 'zod';
import { assertProviderAvailable } from '../../collector/trigger';
import { NotFoundError, ValidationError } from '../../errors';
import type { RouteHandler } from '../../http/handler';
import type { ApiRequest } from '../../http/request';
import {
  intParam,
  metricListParam,
  type Period,
  PeriodQueryShape,
  ResourceIdSchema,
  resolvePeriod,
  textFilter,
} from '../../performance/params';
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
import { CustomerProviderPathSchema } from '../schemas';
import { agentTrigger } from './trigger';

/** Filters every performance read accepts besides its own options. */
const FilterShape = {
  ...PeriodQueryShape,
  metric: metricListParam,
  resource_id: ResourceIdSchema.optional(),
  resource_type: textFilter(),
  region: textFilter(),
  // '' selects the series without a sub-series (no disk, interface or GPU).
  dimension: z.string().max(256, 'must be at most 256 characters').optional(),
};

type Filters = {
  days?: string | undefined;
  start?: string | undefined;
  end?: string | undefined;
  metric?: string[] | undefined;
  resource_id?: string | undefined;
  resource_type?: string | undefined;
  region?: string | undefined;
  dimension?: string | undefined;
};

/**
 * Validates the path, authorises the caller for the customer, checks the provider
 * (`all` or one this deployment knows, else 404), then validates the query: the steps
 * every performance route starts with, in that order.
 */
const ResourcePathSchema = CustomerProviderPathSchema.extend({ resource_id: ResourceIdSchema });

function scoped<S extends z.ZodRawShape>(
  req: ApiRequest<Runtime>,
  extra: S,
  defaultDays: number,
  opts: { resourceInPath?: boolean } = {},
) {
  const path = opts.resourceInPath ? req.path(ResourcePathSchema) : req.path(CustomerProviderPathSchema);
  req.requireCustomer(path.customer_id);
  if (path.provider !== 'all') assertProviderAvailable(req.runtime.registry, path.provider);
  const q = req.query(z.strictObject({ ...FilterShape, ...extra })) as Filters & z.output<z.ZodObject<S>>;
  if (opts.resourceInPath && q.resource_id !== undefined) {
    throw new ValidationError('query parameter resource_id: the resource is given in the path');
  }
  const period = resolvePeriod(q, { defaultDays });
  const scope: PerformanceScope = {
    customerId: path.customer_id,
    provider: path.provider,
    period,
    metrics: q.metric,
    resourceId: 'resource_id' in path ? (path.resource_id as string) : q.resource_id,
    resourceType: q.resource_type,
    region: q.region,
    dimension: q.dimension,
  };
  return { q, scope };
}

const periodView = (p: Period) => ({ start: p.start.toISOString(), end: p.end.toISOString() });
const envelope = (scope: PerformanceScope) => ({
  customer_id: scope.customerId,
  provider: scope.provider,
  period: periodView(scope.period),
});

/** GET /api/v2/performance/{customer_id}/{provider}/metrics — points per series, raw or per step. */
export const performanceMetrics: RouteHandler<Runtime> = async (req) => {
  const { q, scope } = scoped(
    req,
    {
      step: z.enum(Object.keys(STEPS) as [Step, ...Step[]]).default('raw'),
      limit: intParam(5_000, 1, 50_000),
    },
    1,
  );
  const result = await readMetricSeries(req.runtime.store, scope, { step: q.step, limit: q.limit });
  return { body: { ...envelope(scope), ...result } };
};

/** GET .../latest — the newest value of every series. */
export const performanceLatest: RouteHandler<Runtime> = async (req) => {
  const { q, scope } = scoped(req, { limit: intParam(1_000, 1, 10_000) }, 7);
  const result = await readLatest(req.runtime.store, scope, { limit: q.limit });
  return { body: { ...envelope(scope), count: result.values.length, ...result } };
};

/** GET .../trends?step=hour|day — fleet-wide buckets per metric and their direction. */
export const performanceTrends: RouteHandler<Runtime> = async (req) => {
  const { q, scope } = scoped(req, { step: z.enum(TREND_STEPS).default('hour') }, 7);
  const buckets = bucketCount(scope.period, q.step);
  if (buckets > MAX_BUCKETS) {
    throw new ValidationError(
      `query parameter step: ${q.step} buckets over this period would be ${buckets} per metric (at most ${MAX_BUCKETS}); use step=day or a shorter period`,
    );
  }
  const result = await readTrends(req.runtime.store, scope, { step: q.step });
  if (result.truncated) {
    throw new ValidationError(
      `query parameter metric: the answer would have more than ${MAX_TREND_BUCKETS} buckets; choose fewer metrics, a shorter period or step=day`,
    );
  }
  const { truncated: _, ...body } = result;
  return { body: { ...envelope(scope), ...body } };
};

/** GET .../by-resource — per resource, per metric statistics. */
export const performanceByResource: RouteHandler<Runtime> = async (req) => {
  const { q, scope } = scoped(req, { limit: intParam(100, 1, 1_000) }, 7);
  const result = await readByResource(req.runtime.store, scope, { limit: q.limit });
  return { body: { ...envelope(scope), count: result.resources.length, ...result } };
};

/** GET .../average?group_by=none|provider|resource_type|region|resource — averages per metric. */
export const performanceAverage: RouteHandler<Runtime> = async (req) => {
  const groups = Object.keys(AVERAGE_GROUPS) as [AverageGroup, ...AverageGroup[]];
  const { q, scope } = scoped(req, { group_by: z.enum(groups).default('none') }, 7);
  const result = await readAverages(req.runtime.store, scope, { groupBy: q.group_by });
  return { body: { ...envelope(scope), ...result } };
};

/** GET .../resource/{resource_id} — one resource's statistics and newest values; 404 without data. */
export const performanceResource: RouteHandler<Runtime> = async (req) => {
  const { scope } = scoped(req, {}, 7, { resourceInPath: true });
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
  const { q, scope } = scoped(req, { top: intParam(5, 1, 50) }, 7);
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

import type { Store } from '../clickhouse/client';
import { FINAL_READ_SETTINGS, selectRows } from '../clickhouse/query';
import { clickHouseTimeToIso, DAY_MS, HOUR_MS, MINUTE_MS, toClickHouseTime } from '../time';
import type { Period } from './params';
import { HOURLY_AGGREGATES, HOURLY_GROUP, P95_RELATIVE_ACCURACY, P95_SKETCH } from './rollup';

/**
 * Read queries over `performance_points`, one function per question the performance API
 * answers. Each one:
 * - filters on the customer first (the sort key's first column) and on the period;
 * - reads `FINAL` with `do_not_merge_across_partitions_select_final`, so a point that was
 *   collected twice counts once (the table is a ReplacingMergeTree on the point's natural
 *   key, partitioned by month of `ts`, and `ts` is in the key, so equal keys never sit in
 *   different partitions and each partition can be finalised on its own). The benchmark
 *   (bench/sections/performance.ts) measures this against `argMax(value, version)`
 *   grouped by the point's key: FINAL is several times faster;
 * - binds every value as a `{name:Type}` parameter. The only SQL built from input is the
 *   bucket expression and the grouping columns, taken from fixed whitelists.
 *
 * Percentiles: `p95` is ClickHouse `quantileExactInclusive(0.95)`: exact, over every point
 * of the group, linear interpolation between closest ranks. With the n values sorted
 * ascending x[0..n-1], h = (n-1)·0.95 and p95 = x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1]-x[⌊h⌋]) —
 * numpy.percentile's default and Excel's PERCENTILE.INC.
 */

/** What to read: one customer, one provider (or 'all'), a period, optional narrowing. */
export interface PerformanceScope {
  customerId: string;
  /** A provider id, or 'all' for every provider of the customer. */
  provider: string;
  period: Period;
  /** Metric names; absent or empty means every metric. */
  metrics?: readonly string[] | undefined;
  resourceId?: string | undefined;
  resourceType?: string | undefined;
  region?: string | undefined;
  dimension?: string | undefined;
}

/** Settings every read carries: finalise each month partition on its own (see above). */
export const READ_SETTINGS = FINAL_READ_SETTINGS;

/** Time buckets for the series and trend reads, with the SQL each maps to (the whitelist). */
export const STEPS = {
  raw: { sql: null, ms: 0 },
  minute: { sql: 'toStartOfMinute(ts)', ms: MINUTE_MS },
  '5m': { sql: 'toStartOfFiveMinutes(ts)', ms: 5 * MINUTE_MS },
  '15m': { sql: 'toStartOfFifteenMinutes(ts)', ms: 15 * MINUTE_MS },
  hour: { sql: 'toStartOfHour(ts)', ms: HOUR_MS },
  day: { sql: 'toStartOfDay(ts)', ms: DAY_MS },
} as const;
export type Step = keyof typeof STEPS;
export const TREND_STEPS = ['hour', 'day'] as const;
export type TrendStep = (typeof TREND_STEPS)[number];

/** Most buckets one trend series may have (hourly over ~208 days); more is a request for a coarser step. */
export const MAX_BUCKETS = 5_000;
/** Most buckets one trends answer may carry over all metrics (~4.5 MB of JSON, under Lambda's 6 MB). */
export const MAX_TREND_BUCKETS = 50_000;

/** Grouping for the average read (the whitelist of grouping columns). */
export const AVERAGE_GROUPS = {
  none: [],
  provider: ['provider'],
  resource_type: ['resource_type'],
  region: ['region'],
  resource: ['provider', 'resource_id'],
} as const;
export type AverageGroup = keyof typeof AVERAGE_GROUPS;

/** How p95 is computed, as the API states it next to the figures. */
export const P95_METHOD = 'exact, linear interpolation between closest ranks (PERCENTILE.INC)';

const P95 = 'quantileExactInclusive(0.95)';
const P95_STATE = 'quantileExactInclusiveState(0.95)';
const P95_MERGE = 'quantileExactInclusiveMerge(0.95)';

/** The scope's conditions other than time (columns both performance_points and performance_hourly have). */
function scopeConditions(s: PerformanceScope): { where: string[]; params: Record<string, unknown> } {
  const where = ['customer_id = {customer_id:String}'];
  const params: Record<string, unknown> = {
    customer_id: s.customerId,
    start: toClickHouseTime(s.period.start),
    end: toClickHouseTime(s.period.end),
  };
  if (s.provider !== 'all') {
    where.push('provider = {provider:String}');
    params.provider = s.provider;
  }
  if (s.metrics && s.metrics.length > 0) {
    where.push('metric IN {metrics:Array(String)}');
    params.metrics = [...s.metrics];
  }
  if (s.resourceId !== undefined) {
    where.push('resource_id = {resource_id:String}');
    params.resource_id = s.resourceId;
  }
  if (s.dimension !== undefined) {
    where.push('dimension = {dimension:String}');
    params.dimension = s.dimension;
  }
  if (s.resourceType !== undefined) {
    where.push('resource_type = {resource_type:String}');
    params.resource_type = s.resourceType;
  }
  if (s.region !== undefined) {
    where.push('region = {region:String}');
    params.region = s.region;
  }
  return { where, params };
}

const RAW_PERIOD = `ts >= {start:DateTime64(3, 'UTC')} AND ts < {end:DateTime64(3, 'UTC')}`;

function scopeFilter(s: PerformanceScope): { where: string; params: Record<string, unknown> } {
  const { where, params } = scopeConditions(s);
  where.push(RAW_PERIOD);
  return { where: where.join(' AND '), params };
}

/** How p95 is computed when a read is served from the hourly aggregates. */
export const P95_METHOD_SKETCH = `DDSketch (ClickHouse quantileDD, relative accuracy ${P95_RELATIVE_ACCURACY * 100} %) over hourly aggregates: within ${P95_RELATIVE_ACCURACY * 100} % of a value between the two closest-ranked points`;

const HOUR_PARTS_COLUMNS = `provider, resource_id, metric, dimension, hour, unit_last, name_last, type_last,
  region_last, ts_last, points AS pn, value_sum AS ps, value_min AS pmn, value_max AS pmx, p95_state AS pq`;

/**
 * The scope as hourly partial aggregates (columns of HOUR_PARTS_COLUMNS): the whole hours
 * of the period from `performance_hourly`, the partial hours at its edges computed from the
 * raw points the same way (lib/performance/rollup.ts). Null when the aggregates cannot
 * answer exactly: a filter on resource type or region (attributes of each point, which an
 * hour keeps only as its newest value) or a period without one whole hour.
 */
function hourParts(s: PerformanceScope): { sql: string; params: Record<string, unknown> } | null {
  if (s.resourceType !== undefined || s.region !== undefined) return null;
  const first = Math.ceil(s.period.start.getTime() / HOUR_MS) * HOUR_MS;
  const end = Math.floor(s.period.end.getTime() / HOUR_MS) * HOUR_MS;
  if (first >= end) return null;
  const { where, params } = scopeConditions(s);
  const cond = where.join(' AND ');
  params.hour_first = toClickHouseTime(new Date(first)).slice(0, 19);
  params.hour_end = toClickHouseTime(new Date(end)).slice(0, 19);
  // One arm per partial edge hour, each a narrow ts range the primary key prunes to (an OR
  // of both would make ClickHouse read the whole period raw).
  const edge = (range: string) => `
          UNION ALL
          SELECT ${HOUR_PARTS_COLUMNS} FROM (
            SELECT provider, resource_id, metric, dimension, toDateTime(toStartOfHour(ts), 'UTC') AS hour, ${HOURLY_AGGREGATES}
            FROM performance_points FINAL
            WHERE ${cond} AND ${range}
            GROUP BY ${HOURLY_GROUP})`;
  let sql = `SELECT ${HOUR_PARTS_COLUMNS} FROM performance_hourly FINAL
          WHERE ${cond} AND hour >= {hour_first:DateTime('UTC')} AND hour < {hour_end:DateTime('UTC')}`;
  if (first > s.period.start.getTime()) {
    sql += edge(`ts >= {start:DateTime64(3, 'UTC')} AND ts < {hour_first:DateTime('UTC')}`);
  }
  if (end < s.period.end.getTime()) {
    sql += edge(`ts >= {hour_end:DateTime('UTC')} AND ts < {end:DateTime64(3, 'UTC')}`);
  }
  return { sql, params };
}

const P95_SKETCH_MERGE = P95_SKETCH.replace('(', 'Merge(');
const P95_SKETCH_MERGE_STATE = P95_SKETCH.replace('(', 'MergeState(');

const select = <T>(store: Store, query: string, params: Record<string, unknown>) =>
  selectRows<T>(store, query, params, READ_SETTINGS);

const iso = (t: string) => clickHouseTimeToIso(t) as string;

/** Buckets a period spans at `step` (for the MAX_BUCKETS guard). */
export function bucketCount(period: Period, step: Exclude<Step, 'raw'>): number {
  const ms = STEPS[step].ms;
  return Math.floor(period.end.getTime() / ms) - Math.floor(period.start.getTime() / ms) + 1;
}

/** The resource a series or statistic belongs to. */
export interface ResourceRef {
  provider: string;
  resource_id: string;
  resource_name: string;
  resource_type: string;
  region: string;
}

// ---------------------------------------------------------------------------------------
// metrics: the points themselves, raw or bucketed

export interface SeriesPoint {
  ts: string;
  /** The value (raw), or the bucket's average. */
  value: number;
  /** Bucketed steps only. */
  min?: number;
  max?: number;
  samples?: number;
}

export interface Series extends ResourceRef {
  metric: string;
  dimension: string;
  unit: string;
  points: SeriesPoint[];
}

/** Identity columns as the queries name them (aliases must not shadow the columns they read). */
interface IdentityRow {
  provider: string;
  resource_id: string;
  last_name: string;
  last_type: string;
  last_region: string;
}

const ref = (r: IdentityRow): ResourceRef => ({
  provider: r.provider,
  resource_id: r.resource_id,
  resource_name: r.last_name,
  resource_type: r.last_type,
  region: r.last_region,
});

interface SeriesRow extends IdentityRow {
  metric: string;
  dimension: string;
  unit: string;
  at: string;
  value?: number;
  avg?: number;
  min?: number;
  max?: number;
  samples?: number;
}

/**
 * Points per series (resource × metric × dimension), in time order, raw or averaged per
 * `step` bucket. At most `limit` points in all; `truncated` says more matched (the
 * series come in provider, metric, resource, dimension order, so narrow the filters or
 * widen the step to see the rest).
 */
export async function readMetricSeries(
  store: Store,
  scope: PerformanceScope,
  opts: { step: Step; limit: number },
): Promise<{ step: Step; series: Series[]; points: number; truncated: boolean }> {
  const { where, params } = scopeFilter(scope);
  const bucket = STEPS[opts.step].sql;
  const query =
    bucket === null
      ? `SELECT provider, resource_id, resource_name AS last_name, resource_type AS last_type,
                region AS last_region, metric, dimension, unit, toString(ts) AS at, value
         FROM performance_points FINAL
         WHERE ${where}
         ORDER BY provider, metric, resource_id, dimension, ts
         LIMIT {limit:UInt32}`
      : `SELECT provider, resource_id, argMax(resource_name, ts) AS last_name,
                argMax(resource_type, ts) AS last_type, argMax(region, ts) AS last_region,
                metric, dimension, unit, toString(${bucket}) AS at,
                avg(value) AS avg, min(value) AS min, max(value) AS max, count() AS samples
         FROM performance_points FINAL
         WHERE ${where}
         GROUP BY provider, resource_id, metric, dimension, unit, ${bucket}
         ORDER BY provider, metric, resource_id, dimension, unit, ${bucket}
         LIMIT {limit:UInt32}`;
  const rows = await select<SeriesRow>(store, query, { ...params, limit: opts.limit + 1 });
  const truncated = rows.length > opts.limit;
  if (truncated) rows.length = opts.limit;
  const series: Series[] = [];
  let current: Series | undefined;
  for (const r of rows) {
    if (
      !current ||
      current.provider !== r.provider ||
      current.resource_id !== r.resource_id ||
      current.metric !== r.metric ||
      current.dimension !== r.dimension ||
      current.unit !== r.unit
    ) {
      current = {
        ...ref(r),
        metric: r.metric,
        dimension: r.dimension,
        unit: r.unit,
        points: [],
      };
      series.push(current);
    }
    // The newest name wins: resources get renamed.
    Object.assign(current, ref(r));
    current.points.push(
      bucket === null
        ? { ts: iso(r.at), value: r.value as number }
        : {
            ts: iso(r.at),
            value: r.avg as number,
            min: r.min as number,
            max: r.max as number,
            samples: Number(r.samples),
          },
    );
  }
  return { step: opts.step, series, points: rows.length, truncated };
}

// ---------------------------------------------------------------------------------------
// latest: the newest value of every series

export interface LatestValue extends ResourceRef {
  metric: string;
  dimension: string;
  unit: string;
  value: number;
  ts: string;
}

/** The newest point of each series within the period, at most `limit` series. */
export async function readLatest(
  store: Store,
  scope: PerformanceScope,
  opts: { limit: number },
): Promise<{ values: LatestValue[]; truncated: boolean }> {
  const { where, params } = scopeFilter(scope);
  const rows = await select<
    IdentityRow & { metric: string; dimension: string; last_unit: string; last_value: number; at: string }
  >(
    store,
    `SELECT provider, resource_id, argMax(resource_name, ts) AS last_name,
            argMax(resource_type, ts) AS last_type, argMax(region, ts) AS last_region,
            metric, dimension, argMax(unit, ts) AS last_unit, argMax(value, ts) AS last_value, toString(max(ts)) AS at
     FROM performance_points FINAL
     WHERE ${where}
     GROUP BY provider, resource_id, metric, dimension
     ORDER BY provider, resource_id, metric, dimension
     LIMIT {limit:UInt32}`,
    { ...params, limit: opts.limit + 1 },
  );
  const truncated = rows.length > opts.limit;
  if (truncated) rows.length = opts.limit;
  return {
    values: rows.map((r) => ({
      ...ref(r),
      metric: r.metric,
      dimension: r.dimension,
      unit: r.last_unit,
      value: r.last_value,
      ts: iso(r.at),
    })),
    truncated,
  };
}

// ---------------------------------------------------------------------------------------
// trends: fleet-wide buckets per metric, and which way they go

export interface TrendBucket {
  ts: string;
  avg: number;
  min: number;
  max: number;
  points: number;
}

export interface Trend {
  metric: string;
  unit: string;
  buckets: TrendBucket[];
  /** Average of the first and of the last bucket. */
  first: number | null;
  last: number | null;
  /** Least-squares slope of the bucket averages against time, in unit per day. */
  slope_per_day: number | null;
  /**
   * The fitted change across the period relative to the mean bucket average, in percent:
   * slope_per_day × (days between the first and last bucket) / |mean| × 100.
   */
  change_percent: number | null;
  /** rising / falling when the fitted change exceeds ±5 %, else stable; unknown below 2 buckets. */
  direction: 'rising' | 'falling' | 'stable' | 'unknown';
}

/** Fitted change beyond which a trend is called rising or falling. */
export const TREND_THRESHOLD_PERCENT = 5;

/**
 * Per metric, the average, minimum and maximum of every point in each hour or day bucket
 * (over all the resources in scope), and the direction the bucket averages move. Buckets
 * without points are absent, not zero. At most `maxBuckets` buckets over all metrics (in
 * metric order); `truncated` says the last metric shown was cut short.
 */
export async function readTrends(
  store: Store,
  scope: PerformanceScope,
  opts: { step: TrendStep; maxBuckets?: number } & SourceOption,
): Promise<{ step: TrendStep; source: ReadSource; trends: Trend[]; truncated: boolean }> {
  const maxBuckets = opts.maxBuckets ?? MAX_TREND_BUCKETS;
  const parts = opts.source === 'raw' ? null : hourParts(scope);
  let rows: TrendBucketRow[];
  if (parts) {
    const bucket = opts.step === 'hour' ? 'hour' : 'toStartOfDay(hour)';
    rows = await select<TrendBucketRow>(
      store,
      `SELECT metric, unit_last AS unit, toString(${bucket}) AS at, sum(ps) / sum(pn) AS avg, min(pmn) AS min,
              max(pmx) AS max, sum(pn) AS points
       FROM (${parts.sql})
       GROUP BY metric, unit, ${bucket}
       ORDER BY metric, unit, ${bucket}
       LIMIT {max_buckets:UInt32}`,
      { ...parts.params, max_buckets: maxBuckets + 1 },
    );
  } else {
    const { where, params } = scopeFilter(scope);
    const bucket = STEPS[opts.step].sql;
    rows = await select<TrendBucketRow>(
      store,
      `SELECT metric, unit, toString(${bucket}) AS at, avg(value) AS avg, min(value) AS min, max(value) AS max, count() AS points
       FROM performance_points FINAL
       WHERE ${where}
       GROUP BY metric, unit, ${bucket}
       ORDER BY metric, unit, ${bucket}
       LIMIT {max_buckets:UInt32}`,
      { ...params, max_buckets: maxBuckets + 1 },
    );
  }
  const truncated = rows.length > maxBuckets;
  if (truncated) rows.length = maxBuckets;
  return {
    step: opts.step,
    source: parts ? 'hourly_aggregates' : 'raw',
    trends: trendsFromBuckets(rows),
    truncated,
  };
}

/**
 * Where a read's figures came from: the hourly aggregates (with the period's partial edge
 * hours read raw) or the raw points. Averages, minima, maxima and counts are the same
 * either way; a p95 from the aggregates is the DDSketch estimate ({@link P95_METHOD_SKETCH}).
 */
export type ReadSource = 'hourly_aggregates' | 'raw';

/** Options every aggregate-capable read takes: `source: 'raw'` forces the raw points (tests, the bench's baseline). */
export interface SourceOption {
  source?: 'auto' | 'raw';
}

/** A metric's bucket as the trends query returns it (ClickHouse time text). */
export interface TrendBucketRow {
  metric: string;
  unit: string;
  at: string;
  avg: number;
  min: number;
  max: number;
  points: number | string;
}

/** Trends from bucket rows ordered by metric, unit and time: one series per metric and unit, with its trend figures. */
export function trendsFromBuckets(rows: readonly TrendBucketRow[]): Trend[] {
  const trends: Trend[] = [];
  let current: Trend | undefined;
  for (const r of rows) {
    if (!current || current.metric !== r.metric || current.unit !== r.unit) {
      current = {
        metric: r.metric,
        unit: r.unit,
        buckets: [],
        first: null,
        last: null,
        slope_per_day: null,
        change_percent: null,
        direction: 'unknown',
      };
      trends.push(current);
    }
    current.buckets.push({ ts: iso(r.at), avg: r.avg, min: r.min, max: r.max, points: Number(r.points) });
  }
  for (const t of trends) Object.assign(t, describeTrend(t.buckets));
  return trends;
}

/** The trend figures of a bucket series (see {@link Trend}). */
export function describeTrend(
  buckets: readonly TrendBucket[],
): Pick<Trend, 'first' | 'last' | 'slope_per_day' | 'change_percent' | 'direction'> {
  const n = buckets.length;
  const first = buckets[0]?.avg ?? null;
  const last = buckets[n - 1]?.avg ?? null;
  if (n < 2) return { first, last, slope_per_day: null, change_percent: null, direction: 'unknown' };
  const t0 = Date.parse(buckets[0]!.ts);
  const xs = buckets.map((b) => (Date.parse(b.ts) - t0) / DAY_MS);
  const ys = buckets.map((b) => b.avg);
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - meanX) * (ys[i]! - meanY);
    sxx += (xs[i]! - meanX) ** 2;
  }
  const slope = sxy / sxx;
  const span = xs[n - 1]!;
  const change = meanY === 0 ? null : ((slope * span) / Math.abs(meanY)) * 100;
  const direction =
    change === null
      ? slope === 0
        ? 'stable'
        : slope > 0
          ? 'rising'
          : 'falling'
      : change > TREND_THRESHOLD_PERCENT
        ? 'rising'
        : change < -TREND_THRESHOLD_PERCENT
          ? 'falling'
          : 'stable';
  return { first, last, slope_per_day: slope, change_percent: change, direction };
}

// ---------------------------------------------------------------------------------------
// by-resource, resource/{id}: statistics per resource

export interface MetricStats {
  metric: string;
  unit: string;
  avg: number;
  min: number;
  max: number;
  p95: number;
  points: number;
}

export interface ResourceStats extends ResourceRef {
  metrics: MetricStats[];
}

type StatsRow = IdentityRow & MetricStats;

/**
 * Per resource (at most `limit`, in provider and resource id order), per metric: average,
 * minimum, maximum, p95 and point count over the period.
 */
export async function readByResource(
  store: Store,
  scope: PerformanceScope,
  opts: { limit: number } & SourceOption,
): Promise<{ source: ReadSource; p95_method: string; resources: ResourceStats[]; truncated: boolean }> {
  const parts = opts.source === 'raw' ? null : hourParts(scope);
  const rows = parts
    ? await select<StatsRow>(
        store,
        `SELECT provider, resource_id, argMax(name_last, ts_last) AS last_name,
                argMax(type_last, ts_last) AS last_type, argMax(region_last, ts_last) AS last_region,
                metric, unit_last AS unit, sum(ps) / sum(pn) AS avg, min(pmn) AS min, max(pmx) AS max,
                ${P95_SKETCH_MERGE}(pq) AS p95, sum(pn) AS points
         FROM (${parts.sql})
         WHERE (provider, resource_id) IN (
           SELECT DISTINCT provider, resource_id FROM (${parts.sql})
           ORDER BY provider, resource_id
           LIMIT {pick:UInt32})
         GROUP BY provider, resource_id, metric, unit
         ORDER BY provider, resource_id, metric, unit`,
        { ...parts.params, pick: opts.limit + 1 },
      )
    : await readByResourceRaw(store, scope, opts.limit);
  const resources: ResourceStats[] = [];
  let current: ResourceStats | undefined;
  for (const r of rows) {
    if (!current || current.provider !== r.provider || current.resource_id !== r.resource_id) {
      current = { ...ref(r), metrics: [] };
      resources.push(current);
    }
    current.metrics.push({
      metric: r.metric,
      unit: r.unit,
      avg: r.avg,
      min: r.min,
      max: r.max,
      p95: r.p95,
      points: Number(r.points),
    });
  }
  const truncated = resources.length > opts.limit;
  if (truncated) resources.length = opts.limit;
  return {
    source: parts ? 'hourly_aggregates' : 'raw',
    p95_method: parts ? P95_METHOD_SKETCH : P95_METHOD,
    resources,
    truncated,
  };
}

function readByResourceRaw(store: Store, scope: PerformanceScope, limit: number): Promise<StatsRow[]> {
  const { where, params } = scopeFilter(scope);
  return select<StatsRow>(
    store,
    `SELECT provider, resource_id, argMax(resource_name, ts) AS last_name,
            argMax(resource_type, ts) AS last_type, argMax(region, ts) AS last_region,
            metric, unit, avg(value) AS avg, min(value) AS min, max(value) AS max,
            ${P95}(value) AS p95, count() AS points
     FROM performance_points FINAL
     WHERE ${where}
       AND (provider, resource_id) IN (
         SELECT DISTINCT provider, resource_id FROM performance_points
         WHERE ${where}
         ORDER BY provider, resource_id
         LIMIT {pick:UInt32})
     GROUP BY provider, resource_id, metric, unit
     ORDER BY provider, resource_id, metric, unit`,
    { ...params, pick: limit + 1 },
  );
}

export interface ResourceSeriesStats extends MetricStats {
  provider: string;
  dimension: string;
  latest: { value: number; ts: string };
}

export interface ResourcePerformance extends ResourceRef {
  metrics: ResourceSeriesStats[];
}

/**
 * One resource: per metric and dimension, the period's statistics and newest value.
 * Null when the resource has no point in the period. With provider 'all' and the same id
 * at two providers, the rows say which provider each came from and the identity is the
 * most recently seen one.
 */
export async function readResourcePerformance(
  store: Store,
  scope: PerformanceScope & { resourceId: string },
): Promise<ResourcePerformance | null> {
  const { where, params } = scopeFilter(scope);
  const rows = await select<
    Omit<ResourceSeriesStats, 'latest'> & {
      last_name: string;
      last_type: string;
      last_region: string;
      latest_value: number;
      latest_ts: string;
    }
  >(
    store,
    `SELECT provider, metric, dimension, unit, avg(value) AS avg, min(value) AS min, max(value) AS max,
            ${P95}(value) AS p95, count() AS points, argMax(value, ts) AS latest_value, toString(max(ts)) AS latest_ts,
            argMax(resource_name, ts) AS last_name, argMax(resource_type, ts) AS last_type, argMax(region, ts) AS last_region
     FROM performance_points FINAL
     WHERE ${where}
     GROUP BY provider, metric, dimension, unit
     ORDER BY metric, dimension, provider, unit`,
    params,
  );
  if (rows.length === 0) return null;
  const newest = rows.reduce((a, b) => (b.latest_ts > a.latest_ts ? b : a));
  return {
    provider: newest.provider,
    resource_id: scope.resourceId,
    resource_name: newest.last_name,
    resource_type: newest.last_type,
    region: newest.last_region,
    metrics: rows.map((r) => ({
      provider: r.provider,
      metric: r.metric,
      dimension: r.dimension,
      unit: r.unit,
      avg: r.avg,
      min: r.min,
      max: r.max,
      p95: r.p95,
      points: Number(r.points),
      latest: { value: r.latest_value, ts: iso(r.latest_ts) },
    })),
  };
}

// ---------------------------------------------------------------------------------------
// average

export interface AverageRow {
  metric: string;
  unit: string;
  /** The grouping columns' values ({} without grouping). */
  group: Record<string, string>;
  avg: number;
  points: number;
  resources: number;
}

/** The average of every point per metric over the period, optionally per provider, type, region or resource. */
export async function readAverages(
  store: Store,
  scope: PerformanceScope,
  opts: { groupBy: AverageGroup } & SourceOption,
): Promise<{ group_by: AverageGroup; source: ReadSource; averages: AverageRow[] }> {
  const cols: readonly string[] = AVERAGE_GROUPS[opts.groupBy];
  const groupCols = cols.map((c) => `, ${c}`).join('');
  // Type and region are attributes of each point; an hour keeps only its newest, so those groupings read raw.
  const parts =
    opts.source === 'raw' || cols.includes('resource_type') || cols.includes('region')
      ? null
      : hourParts(scope);
  type Row = Record<string, unknown> & {
    metric: string;
    unit: string;
    avg: number;
    points: number;
    resources: number;
  };
  let rows: Row[];
  if (parts) {
    rows = await select<Row>(
      store,
      `SELECT metric, unit_last AS unit${groupCols}, sum(ps) / sum(pn) AS avg, sum(pn) AS points,
              uniqExact(provider, resource_id) AS resources
       FROM (${parts.sql})
       GROUP BY metric, unit${groupCols}
       ORDER BY metric, unit${groupCols}`,
      parts.params,
    );
  } else {
    const { where, params } = scopeFilter(scope);
    rows = await select<Row>(
      store,
      `SELECT metric, unit${groupCols}, avg(value) AS avg, count() AS points, uniqExact(provider, resource_id) AS resources
       FROM performance_points FINAL
       WHERE ${where}
       GROUP BY metric, unit${groupCols}
       ORDER BY metric, unit${groupCols}`,
      params,
    );
  }
  return {
    group_by: opts.groupBy,
    source: parts ? 'hourly_aggregates' : 'raw',
    averages: rows.map((r) => ({
      metric: r.metric,
      unit: r.unit,
      group: Object.fromEntries(cols.map((c) => [c, String(r[c])])),
      avg: r.avg,
      points: Number(r.points),
      resources: Number(r.resources),
    })),
  };
}

// ---------------------------------------------------------------------------------------
// summary

export interface RankedResource extends ResourceRef {
  avg: number;
  max: number;
  points: number;
}

export interface MetricSummary {
  metric: string;
  unit: string;
  avg: number;
  p95: number;
  max: number;
  min: number;
  points: number;
  resources: number;
  /** Highest average over the period first (ties: provider, then resource id). */
  busiest: RankedResource[];
  /** Lowest average over the period first (ties: provider, then resource id). */
  idlest: RankedResource[];
}

export interface PerformanceSummary {
  source: ReadSource;
  /** How each `p95` was computed. */
  p95_method: string;
  metrics: MetricSummary[];
  totals: { metrics: number; resources: number; points: number };
}

type RankTuple = [string, string, string, string, string, number, number, number];

/**
 * Per metric over the period: average, p95, maximum and minimum of every point, and the
 * `top` busiest and idlest resources by their own average. One scan: per-resource partial
 * aggregates (with the p95 state) are merged per metric, and the resource ranking is
 * sorted from the same partials. The exact p95 keeps every value in scope in memory on
 * the server (8 bytes a point: ~420 MB for 52M points); at fleet scales well beyond that,
 * a t-digest or a rollup table is the next step.
 */
export async function readSummary(
  store: Store,
  scope: PerformanceScope,
  opts: { top: number } & SourceOption,
): Promise<PerformanceSummary> {
  const parts = opts.source === 'raw' ? null : hourParts(scope);
  const { where, params } = parts ? { where: '', params: parts.params } : scopeFilter(scope);
  const perResource = parts
    ? `SELECT metric, unit_last AS unit, provider, resource_id,
              argMax(name_last, ts_last) AS last_name, argMax(type_last, ts_last) AS last_type,
              argMax(region_last, ts_last) AS last_region, sum(ps) AS s, sum(pn) AS c, max(pmx) AS mx, min(pmn) AS mn,
              ${P95_SKETCH_MERGE_STATE}(pq) AS q
       FROM (${parts.sql})
       GROUP BY metric, unit, provider, resource_id`
    : `SELECT metric, unit, provider, resource_id,
              argMax(resource_name, ts) AS last_name, argMax(resource_type, ts) AS last_type,
              argMax(region, ts) AS last_region, sum(value) AS s, count() AS c, max(value) AS mx, min(value) AS mn,
              ${P95_STATE}(value) AS q
       FROM performance_points FINAL
       WHERE ${where}
       GROUP BY metric, unit, provider, resource_id`;
  const rank = 'groupArray((provider, resource_id, last_name, last_type, last_region, s / c, mx, c))';
  const rows = await select<{
    metric: string;
    unit: string;
    avg: number;
    p95: number;
    max: number;
    min: number;
    points: number;
    resources: number;
    busiest: RankTuple[];
    idlest: RankTuple[];
    all_resources: [string, string][];
  }>(
    store,
    `SELECT metric, unit, sum(s) / sum(c) AS avg, ${parts ? P95_SKETCH_MERGE : P95_MERGE}(q) AS p95,
            max(mx) AS max, min(mn) AS min, sum(c) AS points, count() AS resources,
            arraySlice(arraySort(x -> (-x.6, x.1, x.2), ${rank}), 1, {top:UInt32}) AS busiest,
            arraySlice(arraySort(x -> (x.6, x.1, x.2), ${rank}), 1, {top:UInt32}) AS idlest,
            groupArray((provider, resource_id)) AS all_resources
     FROM (${perResource})
     GROUP BY metric, unit
     ORDER BY metric, unit`,
    { ...params, top: opts.top },
  );
  const ranked = (t: RankTuple): RankedResource => ({
    provider: t[0],
    resource_id: t[1],
    resource_name: t[2],
    resource_type: t[3],
    region: t[4],
    avg: t[5],
    max: t[6],
    points: Number(t[7]),
  });
  const distinct = new Set<string>();
  let points = 0;
  const metrics = rows.map((r) => {
    for (const [p, id] of r.all_resources) distinct.add(`${p}\u0000${id}`);
    points += Number(r.points);
    return {
      metric: r.metric,
      unit: r.unit,
      avg: r.avg,
      p95: r.p95,
      max: r.max,
      min: r.min,
      points: Number(r.points),
      resources: Number(r.resources),
      busiest: r.busiest.map(ranked),
      idlest: r.idlest.map(ranked),
    };
  });
  return {
    source: parts ? 'hourly_aggregates' : 'raw',
    p95_method: parts ? P95_METHOD_SKETCH : P95_METHOD,
    metrics,
    totals: { metrics: metrics.length, resources: distinct.size, points },
  };
}

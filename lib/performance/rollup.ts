import type { Store } from '../clickhouse/client';
import { FINAL_READ_SETTINGS } from '../clickhouse/query';

/**
 * Hourly aggregates of performance points (table `performance_hourly`, migration 1400).
 *
 * Why not a materialized view: an incremental view sees each inserted block, so a point
 * collected twice (a retry, a re-collected window, a restated value) would be counted
 * twice. Instead, after every write of `performance_points` the writer calls
 * {@link refreshHourly} with the rows it wrote: each touched (customer, provider, metric,
 * resource, hour) is recomputed from `performance_points FINAL` — the deduplicated raw
 * rows, including everything written before — and inserted into a ReplacingMergeTree
 * keyed by exactly that tuple (plus dimension) with `version` = the server's clock in µs.
 *
 * Why it is exact: for any key, the row with the highest version is the newest
 * recomputation; that recomputation started after the newest write touching the key was
 * acknowledged (the writer refreshes only after its inserts return), its snapshot of the
 * raw table therefore contains every point of that hour, and FINAL reduced them to one
 * per natural key. The server clock orders recomputations by start time, so a slower,
 * older recomputation can never win over a newer one. Points are never deleted from
 * `performance_points`, so a key that once had points keeps at least one. A late point
 * for an aggregated hour touches that hour, which is recomputed like any other.
 *
 * The aggregate keeps, per key and hour: the newest point's unit and identity (name,
 * type, region) and time, the count, sum, min and max of the values, and a DDSketch
 * (`quantileDD`, relative accuracy 1 %) state for p95. Readers (lib/performance/reader.ts)
 * add these up over whole hours and read the partial hours at the period's edges raw.
 */

/** DDSketch relative accuracy of the aggregated p95. */
export const P95_RELATIVE_ACCURACY = 0.01;
/** The aggregate function of `p95_state` (must match migration 1400's column type). */
export const P95_SKETCH = `quantileDD(${P95_RELATIVE_ACCURACY}, 0.95)`;

/**
 * The hourly aggregate columns computed from `performance_points FINAL` rows (in scope of
 * the caller's WHERE), grouped by `HOURLY_GROUP`. Used both to fill the table and by the
 * readers for the partial hours at a period's edges, so both give the same figures.
 */
export const HOURLY_AGGREGATES = `argMax(unit, ts) AS unit_last, argMax(resource_name, ts) AS name_last,
  argMax(resource_type, ts) AS type_last, argMax(region, ts) AS region_last, max(ts) AS ts_last,
  count() AS points, sum(value) AS value_sum, min(value) AS value_min, max(value) AS value_max,
  ${P95_SKETCH.replace('(', 'State(')}(value) AS p95_state`;
export const HOURLY_GROUP = 'customer_id, provider, metric, resource_id, dimension, toStartOfHour(ts)';

const HOURLY_COLUMNS = `customer_id, provider, metric, resource_id, dimension, hour, unit_last, name_last,
  type_last, region_last, ts_last, points, value_sum, value_min, value_max, p95_state, version`;

interface Touched {
  customerId: string;
  provider: string;
  metrics: Set<string>;
  resources: Set<string>;
  hours: Set<string>;
}

/** A point as the writer holds it after validation (ts is ClickHouse time text). */
interface WrittenPoint {
  customer_id: string;
  provider: string;
  metric: string;
  resource_id: string;
  ts: string;
}

/** Groups the written points by customer and provider with the metrics, resources and hours they touch. */
export function touchedHours(points: readonly Record<string, unknown>[]): Touched[] {
  const groups = new Map<string, Touched>();
  for (const raw of points) {
    const p = raw as unknown as WrittenPoint;
    const key = `${p.customer_id}\u0000${p.provider}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        customerId: p.customer_id,
        provider: p.provider,
        metrics: new Set(),
        resources: new Set(),
        hours: new Set(),
      };
      groups.set(key, g);
    }
    g.metrics.add(p.metric);
    g.resources.add(p.resource_id);
    g.hours.add(`${p.ts.slice(0, 13)}:00:00`);
  }
  return [...groups.values()];
}

/** Hours per recomputation statement (bounds the IN list and the memory of one INSERT … SELECT). */
const HOURS_PER_STATEMENT = 744;

interface Recompute {
  customerId: string;
  provider?: string;
  metrics?: string[];
  resources?: string[];
  /** ClickHouse 'YYYY-MM-DD hh:00:00' texts; absent: every hour in [from, to]. */
  hours?: string[];
  /** First and last hour (inclusive). */
  from: string;
  to: string;
}

async function recompute(store: Store, r: Recompute): Promise<void> {
  const where = ['customer_id = {customer_id:String}'];
  if (r.provider !== undefined) where.push('provider = {provider:String}');
  if (r.metrics) where.push('metric IN {metrics:Array(String)}');
  if (r.resources) where.push('resource_id IN {resources:Array(String)}');
  where.push(`ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')} + INTERVAL 1 HOUR`);
  if (r.hours) where.push(`toStartOfHour(ts) IN {hours:Array(DateTime('UTC'))}`);
  await store.client.command({
    query: `INSERT INTO performance_hourly (${HOURLY_COLUMNS})
      SELECT customer_id, provider, metric, resource_id, dimension, toStartOfHour(ts) AS hour,
             ${HOURLY_AGGREGATES}, toUnixTimestamp64Micro(now64(6)) AS version
      FROM performance_points FINAL
      WHERE ${where.join(' AND ')}
      GROUP BY ${HOURLY_GROUP}`,
    query_params: Object.fromEntries(
      Object.entries({
        customer_id: r.customerId,
        provider: r.provider,
        metrics: r.metrics,
        resources: r.resources,
        from: r.from,
        to: r.to,
        hours: r.hours,
      }).filter(([, v]) => v !== undefined),
    ),
    clickhouse_settings: FINAL_READ_SETTINGS,
  });
}

/**
 * Recomputes every hour the given (validated, just written) points touch from the
 * deduplicated raw rows and stores it in `performance_hourly`.
 */
export async function refreshHourly(store: Store, points: readonly Record<string, unknown>[]): Promise<void> {
  for (const g of touchedHours(points)) {
    const hours = [...g.hours].sort();
    for (let i = 0; i < hours.length; i += HOURS_PER_STATEMENT) {
      const slice = hours.slice(i, i + HOURS_PER_STATEMENT);
      await recompute(store, {
        customerId: g.customerId,
        provider: g.provider,
        metrics: [...g.metrics],
        resources: [...g.resources],
        hours: slice,
        from: slice[0] as string,
        to: slice[slice.length - 1] as string,
      });
    }
  }
}

/**
 * Recomputes every hour of a customer in [from, to) from the raw points, a week per
 * statement: for data loaded without the writer (INSERT … SELECT, a restore, the bench)
 * or to rebuild the table after a change of its definition.
 */
export async function rebuildHourly(store: Store, customerId: string, from: Date, to: Date): Promise<void> {
  const WEEK = 7 * 24 * 3_600_000;
  const hourText = (ms: number) => `${new Date(ms).toISOString().slice(0, 13).replace('T', ' ')}:00:00`;
  const start = Math.floor(from.getTime() / 3_600_000) * 3_600_000;
  for (let t = start; t < to.getTime(); t += WEEK) {
    const last = Math.min(t + WEEK, to.getTime()) - 1;
    await recompute(store, { customerId, from: hourText(t), to: hourText(last) });
  }
}

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

/**
 * Recomputes every hour the given (validated, just written) points touch from the
 * deduplicated raw rows and stores it in `performance_hourly`.
 */
export async function refreshHourly(store: Store, points: readonly Record<string, unknown>[]): Promise<void> {
  for (const g of touchedHours(points)) {
    const hours = [...g.hours].sort();
    for (let i = 0; i < hours.length; i += HOURS_PER_STATEMENT) {
      const slice = hours.slice(i, i + HOURS_PER_STATEMENT);
      const last = slice[slice.length - 1] as string;
      await store.client.command({
        query: `INSERT INTO performance_hourly (${HOURLY_COLUMNS})
          SELECT customer_id, provider, metric, resource_id, dimension, toStartOfHour(ts) AS hour,
                 ${HOURLY_AGGREGATES}, toUnixTimestamp64Micro(now64(6)) AS version
          FROM performance_points FINAL
          WHERE customer_id = {customer_id:String} AND provider = {provider:String}
            AND metric IN {metrics:Array(String)} AND resource_id IN {resources:Array(String)}
            AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')} + INTERVAL 1 HOUR
            AND toStartOfHour(ts) IN {hours:Array(DateTime('UTC'))}
          GROUP BY ${HOURLY_GROUP}`,
        query_params: {
          customer_id: g.customerId,
          provider: g.provider,
          metrics: [...g.metrics],
          resources: [...g.resources],
          from: slice[0],
          to: last,
          hours: slice,
        },
        clickhouse_settings: FINAL_READ_SETTINGS,
      });
    }
  }
}

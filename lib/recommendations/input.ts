import type { Store } from '../clickhouse/client';
import { FINAL_READ_SETTINGS, selectRows } from '../clickhouse/query';
import { DAY_MS, fromClickHouseTime, toClickHouseTime } from '../time';
import type { Thresholds } from './thresholds';
import {
  type InventoryItem,
  nameKey,
  type PricedType,
  type ResourceHistory,
  type ResourceUsage,
  type RuleInput,
  resourceKey,
  type SeriesStats,
} from './types';

/** The metrics the rules read. */
export const RULE_METRICS = [
  'cpu_utilization',
  'memory_utilization',
  'network_in',
  'network_out',
  'gpu_utilization',
  'gpu_memory_utilization',
] as const;

/** Providers whose series name a host that another provider's inventory holds (matched by name). */
const HOST_SERIES_PROVIDERS = ['prometheus'];

const select = <T>(store: Store, query: string, params: Record<string, unknown>) =>
  selectRows<T>(store, query, params, FINAL_READ_SETTINGS);

interface UsageRow {
  provider: string;
  resource_id: string;
  resource_name: string;
  metric: string;
  dimension: string;
  points: string | number;
  hours: string | number;
  max: number;
  avg: number;
  p95: number;
  day_sums: [string[], number[]];
  day_counts: [string[], (string | number)[]];
}

/**
 * Per-series aggregates of the raw performance points of a customer in [start, end): the
 * one place the rules' usage comes from (switch it to hourly/daily aggregates here).
 * `metrics` limits the read to what the rules need.
 */
export async function readUsageRows(
  store: Store,
  customerId: string,
  window: { start: Date; end: Date },
  metrics: readonly string[] = RULE_METRICS,
): Promise<(UsageRow & SeriesStats)[]> {
  const rows = await select<UsageRow>(
    store,
    `SELECT provider, resource_id, any(resource_name) AS resource_name, metric, dimension,
        count() AS points, uniqExact(toStartOfHour(ts)) AS hours,
        max(value) AS max, avg(value) AS avg, quantileExactInclusive(0.95)(value) AS p95,
        sumMap([toString(toDate(ts))], [value]) AS day_sums,
        sumMap([toString(toDate(ts))], [toUInt64(1)]) AS day_counts
      FROM performance_points FINAL
      WHERE customer_id = {customer_id:String}
        AND metric IN {metrics:Array(String)}
        AND ts >= {start:DateTime64(3, 'UTC')} AND ts < {end:DateTime64(3, 'UTC')}
      GROUP BY provider, resource_id, metric, dimension`,
    {
      customer_id: customerId,
      metrics: [...metrics],
      start: toClickHouseTime(window.start),
      end: toClickHouseTime(window.end),
    },
  );
  return rows.map((r) => ({ ...r, ...toStats(r) }));
}

function toStats(r: UsageRow): SeriesStats {
  const daily: Record<string, number> = {};
  const [days, sums] = r.day_sums;
  const counts = r.day_counts[1];
  days.forEach((d, i) => {
    daily[d] = (sums[i] as number) / Number(counts[i]);
  });
  return {
    metric: r.metric,
    dimension: r.dimension,
    points: Number(r.points),
    hours: Number(r.hours),
    max: r.max,
    avg: r.avg,
    p95: r.p95,
    daily_avg: daily,
  };
}

interface InventoryRow extends Omit<InventoryItem, 'attributes' | 'hourly_price' | 'currency'> {
  price_text: string | null;
  price_currency: string;
  attributes: string;
}

/** The customer's latest inventory snapshot per provider. */
export async function readLatestInventory(store: Store, customerId: string): Promise<InventoryItem[]> {
  const rows = await select<InventoryRow>(
    store,
    `SELECT provider, resource_id, resource_type, name, status, region, sku, vcpus, memory_gib, gpu_count,
        toString(hourly_price) AS price_text, price_currency, attributes
      FROM resource_snapshots FINAL
      WHERE customer_id = {customer_id:String}
        AND (provider, snapshot_at) IN (
          SELECT provider, max(snapshot_at) FROM resource_snapshots
          WHERE customer_id = {customer_id:String} GROUP BY provider)
      ORDER BY provider, resource_id`,
    { customer_id: customerId },
  );
  return rows.map((r) => {
    let attributes: Record<string, unknown> = {};
    try {
      const parsed = JSON.parse(r.attributes || '{}');
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) attributes = parsed;
    } catch {
      // A malformed attributes blob reads as none.
    }
    return {
      provider: r.provider,
      resource_id: r.resource_id,
      resource_type: r.resource_type,
      name: r.name,
      status: r.status,
      region: r.region,
      sku: r.sku,
      vcpus: r.vcpus === null ? null : Number(r.vcpus),
      memory_gib: r.memory_gib === null ? null : Number(r.memory_gib),
      gpu_count: Number(r.gpu_count),
      hourly_price: r.price_text,
      currency: r.price_currency,
      attributes,
    };
  });
}

/** First snapshot and last "active" snapshot (disk attached, VM running) of each disk and VM. */
export async function readHistory(
  store: Store,
  customerId: string,
  since: Date,
): Promise<Map<string, ResourceHistory>> {
  const rows = await select<{
    provider: string;
    resource_id: string;
    first_seen: string;
    last_active: string | null;
  }>(
    store,
    `SELECT provider, resource_id, toString(min(snapshot_at)) AS first_seen,
        if(countIf(status IN ('in_use', 'in-use', 'attached', 'running', 'active')) = 0, NULL,
           toString(maxIf(snapshot_at, status IN ('in_use', 'in-use', 'attached', 'running', 'active')))) AS last_active
      FROM resource_snapshots FINAL
      WHERE customer_id = {customer_id:String} AND snapshot_at >= {since:DateTime64(3, 'UTC')}
        AND resource_type IN ('disk', 'volume', 'vm')
      GROUP BY provider, resource_id`,
    { customer_id: customerId, since: toClickHouseTime(since) },
  );
  return new Map(
    rows.map((r) => [
      resourceKey(r.provider, r.resource_id),
      {
        first_seen: fromClickHouseTime(r.first_seen),
        last_active: r.last_active ? fromClickHouseTime(r.last_active) : null,
      },
    ]),
  );
}

/**
 * The priced machine types the customer's inventory has seen (the inventory prices them
 * from each provider's price list): what the oversized rule may suggest.
 */
export async function readCatalog(store: Store, customerId: string, since: Date): Promise<PricedType[]> {
  // Aliases differ from column names: an alias named like its column would replace it in WHERE.
  const rows = await select<{
    provider: string;
    region: string;
    sku: string;
    v: number;
    m: number;
    g: number;
    price_text: string;
    currency: string;
  }>(
    store,
    `SELECT provider, region, sku, any(vcpus) AS v, any(memory_gib) AS m, any(gpu_count) AS g,
        toString(argMax(hourly_price, snapshot_at)) AS price_text, price_currency AS currency
      FROM resource_snapshots FINAL
      WHERE customer_id = {customer_id:String} AND snapshot_at >= {since:DateTime64(3, 'UTC')}
        AND resource_type = 'vm' AND hourly_price IS NOT NULL AND vcpus IS NOT NULL AND memory_gib IS NOT NULL
      GROUP BY provider, region, sku, price_currency`,
    { customer_id: customerId, since: toClickHouseTime(since) },
  );
  return rows.map((r) => ({
    provider: r.provider,
    region: r.region,
    sku: r.sku,
    vcpus: Number(r.v),
    memory_gib: Number(r.m),
    gpu_count: Number(r.g),
    hourly_price: r.price_text,
    currency: r.currency,
  }));
}

/** Everything the rules read for one customer at `now`. */
export async function readRuleInput(
  store: Store,
  customerId: string,
  now: Date,
  thresholds: Thresholds,
): Promise<RuleInput> {
  const window = { start: new Date(now.getTime() - thresholds.lookback_days * DAY_MS), end: now };
  const historySince = new Date(now.getTime() - Math.max(62, thresholds.storage_inactive_days * 2) * DAY_MS);
  const [resources, usageRows, history, catalog] = await Promise.all([
    readLatestInventory(store, customerId),
    readUsageRows(store, customerId, window),
    readHistory(store, customerId, historySince),
    readCatalog(store, customerId, historySince),
  ]);
  const usage = new Map<string, Map<string, SeriesStats[]>>();
  const add = (key: string, s: SeriesStats) => {
    const m = usage.get(key) ?? new Map<string, SeriesStats[]>();
    usage.set(key, m);
    const list = m.get(s.metric) ?? [];
    list.push(s);
    m.set(s.metric, list);
  };
  for (const r of usageRows) {
    const s = toStats(r);
    add(resourceKey(r.provider, r.resource_id), s);
    if (HOST_SERIES_PROVIDERS.includes(r.provider)) {
      add(nameKey(r.resource_id), s);
      if (r.resource_name && r.resource_name !== r.resource_id) add(nameKey(r.resource_name), s);
    }
  }
  return { now, thresholds, resources, usage: usage as Map<string, ResourceUsage>, history, catalog };
}

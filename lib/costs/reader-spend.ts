import type { Store } from '../clickhouse/client';
import { type CostPeriod, selectRows, toDateTimeParam } from './reader';

/**
 * Per-request list prices of provider APIs whose charge follows from the request count
 * alone, in micro-USD. AWS Cost Explorer bills $0.01 per request and every page is a
 * request (https://aws.amazon.com/aws-cost-management/aws-cost-explorer/pricing/).
 * APIs priced per metric, per time series or per byte scanned (CloudWatch GetMetricData,
 * Cloud Monitoring, BigQuery) cannot be priced from a count and stay unpriced.
 */
const PRICE_MICRO_USD_BY_PREFIX: readonly (readonly [prefix: string, microUsd: bigint])[] = [
  ['ce:', 10_000n],
];

function priceOf(api: string): bigint | null {
  for (const [prefix, micro] of PRICE_MICRO_USD_BY_PREFIX) if (api.startsWith(prefix)) return micro;
  return null;
}

function microToDecimal(micro: bigint): string {
  const whole = micro / 1_000_000n;
  const frac = (micro % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

export interface SpendDay {
  /** UTC day the runs started (ISO date). */
  readonly day: string;
  readonly provider: string;
  /** Collection runs that day (every data type, every status). */
  readonly runs: number;
  /** Billable requests per API, as the runs counted them. */
  readonly requests: Record<string, number>;
  readonly total_requests: number;
  /** List price of the priced requests, exact decimal USD. */
  readonly estimated_cost: string;
  /** Requests of APIs without a per-request price (not in `estimated_cost`). */
  readonly unpriced_requests: number;
}

export interface SpendTotal {
  readonly provider: string;
  readonly runs: number;
  readonly requests: Record<string, number>;
  readonly total_requests: number;
  readonly estimated_cost: string;
  readonly unpriced_requests: number;
}

export interface CollectionSpend {
  /** Currency of every `estimated_cost`. */
  readonly currency: 'USD';
  /** One entry per provider and UTC day with runs, by day then provider. */
  readonly days: SpendDay[];
  /** Per provider over the period. */
  readonly totals: SpendTotal[];
}

interface Row {
  day: string;
  all_days: number | string;
  provider: string;
  runs: number | string;
  requests: Record<string, number | string>;
}

function summarise(requests: Record<string, number | string>) {
  const counts: Record<string, number> = {};
  let total = 0;
  let unpriced = 0;
  let micro = 0n;
  for (const api of Object.keys(requests).sort()) {
    const n = Number(requests[api]);
    if (n === 0) continue;
    counts[api] = n;
    total += n;
    const price = priceOf(api);
    if (price === null) unpriced += n;
    else micro += price * BigInt(n);
  }
  return {
    requests: counts,
    total_requests: total,
    estimated_cost: microToDecimal(micro),
    unpriced_requests: unpriced,
  };
}

export interface SpendQuery {
  readonly customerId: string;
  /** A provider id, or undefined for every provider. */
  readonly provider?: string | undefined;
  readonly period: CostPeriod;
}

/**
 * What collecting cost in provider API requests: the `billable_requests` every run
 * recorded (api → count), summed per provider and UTC day of the run's start (its queue
 * time if it never started), with a list-price estimate where a per-request price exists.
 *
 * @example
 * const spend = await collectionSpend(store, { customerId: 'acme', period });
 * spend.totals; // [{ provider: 'aws', requests: { 'ce:GetCostAndUsage': 42 }, estimated_cost: '0.42', ... }]
 */
export async function collectionSpend(store: Store, q: SpendQuery): Promise<CollectionSpend> {
  const providerCond = q.provider === undefined ? '' : 'AND provider = {provider:String}';
  const rows = await selectRows<Row>(
    store,
    `SELECT
        toDate(coalesce(started_at, queued_at)) AS run_day,
        toString(run_day) AS day,
        grouping(run_day) AS all_days,
        provider,
        count() AS runs,
        sumMap(billable_requests) AS requests
      FROM collection_runs FINAL
      WHERE customer_id = {customer_id:String} ${providerCond}
        AND coalesce(started_at, queued_at) >= {period_start:DateTime('UTC')}
        AND coalesce(started_at, queued_at) < {period_end:DateTime('UTC')}
      GROUP BY GROUPING SETS ((run_day, provider), (provider))
      ORDER BY all_days, run_day, provider`,
    {
      customer_id: q.customerId,
      period_start: toDateTimeParam(q.period.start),
      period_end: toDateTimeParam(q.period.end),
      ...(q.provider === undefined ? {} : { provider: q.provider }),
    },
  );
  return { currency: 'USD', ...split(rows) };
}

function split(rows: readonly Row[]): { days: SpendDay[]; totals: SpendTotal[] } {
  const days: SpendDay[] = [];
  const totals: SpendTotal[] = [];
  for (const r of rows) {
    const entry = { provider: r.provider, runs: Number(r.runs), ...summarise(r.requests) };
    if (Number(r.all_days) === 1) totals.push(entry);
    else days.push({ day: r.day, ...entry });
  }
  return { days, totals };
}

import type { Store } from '../clickhouse/client';
import { DAY_MS } from '../time';
import {
  type Amounts,
  COSTS_FINAL,
  type CostPeriod,
  type CostScope,
  FINAL_SETTINGS,
  scopeCondition,
  selectRows,
} from './reader';

export const TREND_GROUPS = ['day', 'week', 'month'] as const;
export type TrendGroup = (typeof TREND_GROUPS)[number];

/**
 * Bucket expressions, the only SQL chosen by a request value (a whitelist). Every bucket
 * is a UTC calendar date: the day, the ISO week's Monday, the 1st of the month.
 */
const BUCKET_SQL: Record<TrendGroup, string> = {
  day: 'toDate(charge_period_start)',
  week: 'toMonday(charge_period_start)',
  month: 'toStartOfMonth(charge_period_start)',
};

export interface TrendBucket {
  /** Calendar start of the bucket (ISO 8601, UTC). */
  readonly start: string;
  /** Calendar end of the bucket, exclusive. */
  readonly end: string;
  /** True when the bucket reaches outside the period, so only part of it was counted. */
  readonly partial: boolean;
  /** One entry per currency of the period, sorted; "0" where the bucket had none. */
  readonly costs: Amounts[];
}

export interface CostTrends {
  readonly group_by: TrendGroup;
  /** Currencies seen in the period (sorted); every bucket lists each of them. */
  readonly currencies: string[];
  /**
   * Every bucket the period touches, in order, including those without any cost:
   * a gap in the data reads as zero, not as a missing point. With no data at all the
   * buckets are still listed, each with an empty `costs`.
   */
  readonly buckets: TrendBucket[];
}

interface Row {
  bucket: string;
  currency: string;
  billed: string;
  effective: string;
}

/** First UTC instant of the bucket containing `d`. */
export function bucketStart(d: Date, group: TrendGroup): Date {
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  if (group === 'day') return day;
  if (group === 'week') return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY_MS);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

function nextBucket(start: Date, group: TrendGroup): Date {
  if (group === 'day') return new Date(start.getTime() + DAY_MS);
  if (group === 'week') return new Date(start.getTime() + 7 * DAY_MS);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/** The calendar buckets a period touches, in order. */
export function bucketsOf(period: CostPeriod, group: TrendGroup): { start: Date; end: Date }[] {
  const out: { start: Date; end: Date }[] = [];
  for (let s = bucketStart(period.start, group); s < period.end; s = nextBucket(s, group)) {
    out.push({ start: s, end: nextBucket(s, group) });
  }
  return out;
}

/**
 * Billed and effective cost per day, ISO week (Monday) or month, per currency. ClickHouse
 * sums; this function only lays the sums onto the full list of buckets (zero-filled).
 *
 * @example
 * const t = await costTrends(store, { customerId: 'acme', provider: 'aws', period }, 'week');
 * t.buckets[0]; // { start: '2026-01-05T00:00:00.000Z', end: '2026-01-12T…', partial: false, costs: [...] }
 */
export async function costTrends(store: Store, scope: CostScope, group: TrendGroup): Promise<CostTrends> {
  const { where, params } = scopeCondition(scope);
  const rows = await selectRows<Row>(
    store,
    `SELECT
        ${BUCKET_SQL[group]} AS bucket,
        billing_currency AS currency,
        toString(sum(billed_cost)) AS billed,
        toString(sum(effective_cost)) AS effective
      FROM ${COSTS_FINAL}
      WHERE ${where}
      GROUP BY bucket, currency
      ORDER BY bucket, currency
      ${FINAL_SETTINGS}`,
    params,
  );
  const currencies = [...new Set(rows.map((r) => r.currency))].sort();
  const found = new Map<string, Map<string, Row>>();
  for (const r of rows) {
    const byCurrency = found.get(r.bucket) ?? new Map<string, Row>();
    byCurrency.set(r.currency, r);
    found.set(r.bucket, byCurrency);
  }
  const buckets = bucketsOf(scope.period, group).map(({ start, end }) => {
    const hit = found.get(start.toISOString().slice(0, 10));
    return {
      start: start.toISOString(),
      end: end.toISOString(),
      partial: start < scope.period.start || end > scope.period.end,
      costs: currencies.map((currency) => {
        const r = hit?.get(currency);
        return { currency, billed_cost: r?.billed ?? '0', effective_cost: r?.effective ?? '0' };
      }),
    };
  });
  return { group_by: group, currencies, buckets };
}

import type { Store } from '../clickhouse/client';
import { clickHouseTimeToIso } from '../time';
import {
  type Amounts,
  COSTS_FINAL,
  type CostScope,
  FINAL_SETTINGS,
  scopeCondition,
  selectRows,
} from './reader';

/** One cost fact as the API shows it: FOCUS 1.2 names, money and quantities as decimal strings. */
export interface CostLine {
  readonly provider: string;
  readonly charge_period_start: string;
  readonly charge_period_end: string;
  readonly billing_account_id: string;
  readonly sub_account_id: string;
  readonly service_name: string;
  readonly service_category: string;
  readonly charge_category: string;
  readonly charge_class: string;
  readonly charge_description: string;
  readonly resource_id: string;
  readonly resource_name: string;
  readonly resource_type: string;
  readonly region_id: string;
  readonly sku_id: string;
  readonly pricing_quantity: string;
  readonly pricing_unit: string;
  readonly billed_cost: string;
  readonly effective_cost: string;
  readonly list_cost: string;
  readonly currency: string;
  readonly tags: Record<string, string>;
}

export interface CostLines {
  /** Newest charge period first; ties in sort-key order, so pages are stable. */
  readonly rows: CostLine[];
  /** True when more rows matched than `limit`. */
  readonly truncated: boolean;
}

interface LineRow {
  provider: string;
  period_start: string;
  period_end: string;
  billing_account_id: string;
  sub_account_id: string;
  service_name: string;
  service_category: string;
  charge_category: string;
  charge_class: string;
  charge_description: string;
  resource_id: string;
  resource_name: string;
  resource_type: string;
  region_id: string;
  sku_id: string;
  quantity: string;
  pricing_unit: string;
  billed: string;
  effective: string;
  list: string;
  currency: string;
  tags: Record<string, string>;
}

/**
 * The cost facts of a scope, newest first, at most `limit` of them (one more is read to
 * tell whether the list was cut).
 *
 * @example
 * const { rows, truncated } = await costRows(store, { customerId: 'acme', provider: 'aws', period }, 100);
 */
export async function costRows(store: Store, scope: CostScope, limit: number): Promise<CostLines> {
  const { where, params } = scopeCondition(scope);
  const rows = await selectRows<LineRow>(
    store,
    `SELECT
        x_provider AS provider,
        toString(charge_period_start) AS period_start,
        toString(charge_period_end) AS period_end,
        billing_account_id, sub_account_id, service_name, service_category, charge_category, charge_class,
        charge_description, resource_id, resource_name, resource_type, region_id, sku_id,
        toString(pricing_quantity) AS quantity,
        pricing_unit,
        toString(billed_cost) AS billed,
        toString(effective_cost) AS effective,
        toString(list_cost) AS list,
        billing_currency AS currency,
        tags
      FROM ${COSTS_FINAL}
      WHERE ${where}
      ORDER BY charge_period_start DESC, x_provider, billing_account_id, sub_account_id, service_name, resource_id,
        sku_id, region_id, charge_category, charge_class, billing_currency, x_line_key
      LIMIT {limit:UInt32}
      ${FINAL_SETTINGS}`,
    { ...params, limit: limit + 1 },
  );
  return {
    rows: rows.slice(0, limit).map((r) => ({
      provider: r.provider,
      charge_period_start: clickHouseTimeToIso(r.period_start) as string,
      charge_period_end: clickHouseTimeToIso(r.period_end) as string,
      billing_account_id: r.billing_account_id,
      sub_account_id: r.sub_account_id,
      service_name: r.service_name,
      service_category: r.service_category,
      charge_category: r.charge_category,
      charge_class: r.charge_class,
      charge_description: r.charge_description,
      resource_id: r.resource_id,
      resource_name: r.resource_name,
      resource_type: r.resource_type,
      region_id: r.region_id,
      sku_id: r.sku_id,
      pricing_quantity: r.quantity,
      pricing_unit: r.pricing_unit,
      billed_cost: r.billed,
      effective_cost: r.effective,
      list_cost: r.list,
      currency: r.currency,
      tags: r.tags,
    })),
    truncated: rows.length > limit,
  };
}

export interface LatestCosts {
  /** The most recent UTC day of the scope's period that has cost, or null if none has. */
  readonly day: { start: string; end: string } | null;
  readonly totals: Amounts[];
  readonly by_provider: (Amounts & { provider: string })[];
  readonly by_service: (Amounts & { provider: string; service_name: string })[];
}

interface LatestRow {
  day: string;
  provider: string;
  service: string;
  currency: string;
  level: number | string;
  billed: string;
  effective: string;
}

/**
 * The costs of the most recent UTC day that has any cost in the scope's period (one day
 * for the whole scope: with `all`, a provider whose data lags simply has no entry that
 * day). Totals per currency, per provider and per service, from one query.
 *
 * @example
 * const latest = await latestCosts(store, { customerId: 'acme', provider: 'all', period: last30Days });
 */
export async function latestCosts(store: Store, scope: CostScope): Promise<LatestCosts> {
  const { where, params } = scopeCondition(scope);
  const rows = await selectRows<LatestRow>(
    store,
    `WITH (SELECT toStartOfDay(maxOrNull(charge_period_start)) FROM ${COSTS_FINAL} WHERE ${where} ${FINAL_SETTINGS}) AS latest_day
      SELECT
        toString(any(latest_day)) AS day,
        x_provider AS provider,
        service_name AS service,
        billing_currency AS currency,
        2 - grouping(x_provider) - grouping(service_name) AS level,
        toString(sum(billed_cost)) AS billed,
        toString(sum(effective_cost)) AS effective
      FROM ${COSTS_FINAL}
      WHERE ${where} AND charge_period_start >= latest_day AND charge_period_start < latest_day + INTERVAL 1 DAY
      GROUP BY GROUPING SETS ((billing_currency), (billing_currency, x_provider), (billing_currency, x_provider, service_name))
      ORDER BY level, provider, service, currency
      ${FINAL_SETTINGS}`,
    params,
  );
  const first = rows[0];
  if (!first) return { day: null, totals: [], by_provider: [], by_service: [] };
  const dayStart = clickHouseTimeToIso(first.day) as string;
  const out: LatestCosts = {
    day: { start: dayStart, end: new Date(Date.parse(dayStart) + 86_400_000).toISOString() },
    totals: [],
    by_provider: [],
    by_service: [],
  };
  for (const r of rows) {
    const amounts = { currency: r.currency, billed_cost: r.billed, effective_cost: r.effective };
    const level = Number(r.level);
    if (level === 0) out.totals.push(amounts);
    else if (level === 1) out.by_provider.push({ provider: r.provider, ...amounts });
    else out.by_service.push({ provider: r.provider, service_name: r.service, ...amounts });
  }
  return out;
}

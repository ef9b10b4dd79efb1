import type { Store } from '../clickhouse/client';
import {
  type Amounts,
  COSTS_FINAL,
  type CostScope,
  FINAL_SETTINGS,
  scopeCondition,
  selectRows,
} from './reader';

/** Per-currency summary of a breakdown, so a top-N list can be read against the whole. */
export interface BreakdownTotal extends Amounts {
  /** How many groups (resources, services, …) had cost in this currency. */
  readonly groups: number;
  /** True when `limit` cut groups of this currency from `items`. */
  readonly truncated: boolean;
}

export interface ResourceCost extends Amounts {
  readonly provider: string;
  /** null for charges that belong to no resource (tax, support, credits, …). */
  readonly resource_id: string | null;
  /** Name, type, service and region as of the resource's latest charge in the period. */
  readonly resource_name: string;
  readonly resource_type: string;
  readonly service_name: string;
  readonly region_id: string;
}

export interface ResourceBreakdown {
  /** Top `limit` resources per currency, by effective cost (then billed cost) descending. */
  readonly items: ResourceCost[];
  readonly totals: BreakdownTotal[];
}

interface ResourceRow {
  provider: string;
  resource_id: string;
  currency: string;
  latest_name: string;
  latest_type: string;
  latest_service: string;
  latest_region: string;
  billed: string;
  effective: string;
  currency_billed: string;
  currency_effective: string;
  currency_groups: number | string;
}

/**
 * The sums of one group (billed/effective, as exact text and as sort keys) and, over the
 * whole answer before LIMIT, its currency's totals and group count: what `totalsOf` reads.
 */
const GROUP_SUMS = `sum(billed_cost) AS billed_sum,
        sum(effective_cost) AS effective_sum,
        toString(billed_sum) AS billed,
        toString(effective_sum) AS effective,
        toString(sum(billed_sum) OVER (PARTITION BY currency)) AS currency_billed,
        toString(sum(effective_sum) OVER (PARTITION BY currency)) AS currency_effective,
        count() OVER (PARTITION BY currency) AS currency_groups`;

function totalsOf(
  rows: readonly {
    currency: string;
    currency_billed: string;
    currency_effective: string;
    currency_groups: number | string;
  }[],
  limit: number,
): BreakdownTotal[] {
  const seen = new Map<string, BreakdownTotal>();
  for (const r of rows) {
    if (seen.has(r.currency)) continue;
    const groups = Number(r.currency_groups);
    seen.set(r.currency, {
      currency: r.currency,
      billed_cost: r.currency_billed,
      effective_cost: r.currency_effective,
      groups,
      truncated: groups > limit,
    });
  }
  return [...seen.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1));
}

/**
 * The most expensive resources of a scope, per currency, with each currency's total and
 * resource count (window functions over the grouped rows, so one scan answers both).
 *
 * @example
 * const { items, totals } = await costsByResource(store, scope, 20);
 */
export async function costsByResource(
  store: Store,
  scope: CostScope,
  limit: number,
): Promise<ResourceBreakdown> {
  const { where, params } = scopeCondition(scope);
  const rows = await selectRows<ResourceRow>(
    store,
    `SELECT
        x_provider AS provider,
        resource_id,
        billing_currency AS currency,
        argMax(resource_name, charge_period_start) AS latest_name,
        argMax(resource_type, charge_period_start) AS latest_type,
        argMax(service_name, charge_period_start) AS latest_service,
        argMax(region_id, charge_period_start) AS latest_region,
        ${GROUP_SUMS}
      FROM ${COSTS_FINAL}
      WHERE ${where}
      GROUP BY provider, resource_id, currency
      ORDER BY currency, effective_sum DESC, billed_sum DESC, provider, resource_id
      LIMIT {limit:UInt32} BY currency
      ${FINAL_SETTINGS}`,
    { ...params, limit },
  );
  return {
    items: rows.map((r) => ({
      provider: r.provider,
      resource_id: r.resource_id === '' ? null : r.resource_id,
      resource_name: r.latest_name,
      resource_type: r.latest_type,
      service_name: r.latest_service,
      region_id: r.latest_region,
      currency: r.currency,
      billed_cost: r.billed,
      effective_cost: r.effective,
    })),
    totals: totalsOf(rows, limit),
  };
}

export const COST_TYPES = ['service', 'service_category', 'charge_category'] as const;
export type CostType = (typeof COST_TYPES)[number];

/** The column each type groups by: a whitelist, never a request value. */
const TYPE_COLUMN: Record<CostType, string> = {
  service: 'service_name',
  service_category: 'service_category',
  charge_category: 'charge_category',
};

export interface TypeCost extends Amounts {
  /** The service name, FOCUS service category, or charge category ("Usage", "Tax", …); "" when unset. */
  readonly name: string;
  /** Providers that charged under this name (sorted). */
  readonly providers: string[];
}

export interface TypeBreakdown {
  readonly type: CostType;
  /** Top `limit` names per currency, by effective cost (then billed cost) descending. */
  readonly items: TypeCost[];
  readonly totals: BreakdownTotal[];
}

interface TypeRow {
  name: string;
  currency: string;
  providers: string[];
  billed: string;
  effective: string;
  currency_billed: string;
  currency_effective: string;
  currency_groups: number | string;
}

/**
 * Cost per service, service category or charge category, per currency.
 *
 * @example
 * const { items } = await costsByType(store, scope, 'charge_category', 10);
 */
export async function costsByType(
  store: Store,
  scope: CostScope,
  type: CostType,
  limit: number,
): Promise<TypeBreakdown> {
  const { where, params } = scopeCondition(scope);
  const rows = await selectRows<TypeRow>(
    store,
    `SELECT
        ${TYPE_COLUMN[type]} AS name,
        billing_currency AS currency,
        arraySort(groupUniqArray(x_provider)) AS providers,
        ${GROUP_SUMS}
      FROM ${COSTS_FINAL}
      WHERE ${where}
      GROUP BY name, currency
      ORDER BY currency, effective_sum DESC, billed_sum DESC, name
      LIMIT {limit:UInt32} BY currency
      ${FINAL_SETTINGS}`,
    { ...params, limit },
  );
  return {
    type,
    items: rows.map((r) => ({
      name: r.name,
      providers: r.providers,
      currency: r.currency,
      billed_cost: r.billed,
      effective_cost: r.effective,
    })),
    totals: totalsOf(rows, limit),
  };
}

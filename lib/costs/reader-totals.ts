import type { Store } from '../clickhouse/client';
import {
  type Amounts,
  COSTS_FINAL,
  type CostScope,
  FINAL_SETTINGS,
  scopeCondition,
  selectRows,
} from './reader';

export interface CurrencyTotal extends Amounts {
  /** Cost facts (FOCUS rows) counted, after restatements and tombstones. */
  readonly line_items: number;
}

export interface ProviderTotal extends CurrencyTotal {
  readonly provider: string;
}

export interface CostTotals {
  /** One entry per currency, sorted by currency. Different currencies are never added. */
  readonly totals: CurrencyTotal[];
  /** The same, split by provider (sorted by provider, then currency). */
  readonly by_provider: ProviderTotal[];
}

interface Row {
  provider: string;
  currency: string;
  provider_level: number;
  billed: string;
  effective: string;
  line_items: number | string;
}

/**
 * Billed and effective cost per currency for a scope, and per provider within each
 * currency — one scan (GROUPING SETS), sums done by ClickHouse on Decimal(38,10) and
 * returned as exact decimal strings.
 *
 * @example
 * const { totals } = await costTotals(store, { customerId: 'acme', provider: 'all', period });
 * // [{ currency: 'EUR', billed_cost: '80.5', ... }, { currency: 'USD', billed_cost: '1234.56', ... }]
 */
export async function costTotals(store: Store, scope: CostScope): Promise<CostTotals> {
  const { where, params } = scopeCondition(scope);
  const rows = await selectRows<Row>(
    store,
    `SELECT
        x_provider AS provider,
        billing_currency AS currency,
        grouping(x_provider) = 0 AS provider_level,
        toString(sum(billed_cost)) AS billed,
        toString(sum(effective_cost)) AS effective,
        count() AS line_items
      FROM ${COSTS_FINAL}
      WHERE ${where}
      GROUP BY GROUPING SETS ((billing_currency), (billing_currency, x_provider))
      ORDER BY provider_level, provider, currency
      ${FINAL_SETTINGS}`,
    params,
  );
  const totals: CurrencyTotal[] = [];
  const byProvider: ProviderTotal[] = [];
  for (const r of rows) {
    const amounts = {
      currency: r.currency,
      billed_cost: r.billed,
      effective_cost: r.effective,
      line_items: Number(r.line_items),
    };
    if (Number(r.provider_level) === 1) byProvider.push({ provider: r.provider, ...amounts });
    else totals.push(amounts);
  }
  return { totals, by_provider: byProvider };
}

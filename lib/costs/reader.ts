/**
 * Shared pieces of the cost read side: what a cost question is about (customer, provider
 * or `all`, period, filters) and how it becomes a WHERE clause. The query families live
 * next to this file (reader-totals.ts, reader-trends.ts, reader-breakdown.ts,
 * reader-rows.ts, reader-spend.ts).
 *
 * Every read goes through `costs FINAL`: the table is a ReplacingMergeTree keyed on the
 * natural key of a fact, so FINAL makes a restated fact count once (latest `x_version`)
 * and drops tombstoned facts (`x_is_deleted = 1`). The partition key
 * (`toYYYYMM(charge_period_start)`) is a function of a sort-key column, so a fact never
 * spans partitions and `do_not_merge_across_partitions_select_final` is exact while
 * letting each partition be merged on its own. Every filter below is on a sort-key
 * column, so it is safe to apply before FINAL's merge.
 */

/** `provider` value meaning every provider of the customer. */
export const ALL_PROVIDERS = 'all';

/** Start-inclusive, end-exclusive, UTC, whole seconds (FOCUS charge-period semantics). */
export interface CostPeriod {
  readonly start: Date;
  readonly end: Date;
}

/** Exact-match filters; each is optional. `account` matches the billing or the sub account. */
export interface CostFilters {
  readonly service?: string | undefined;
  readonly account?: string | undefined;
  readonly resource?: string | undefined;
}

/**
 * What a cost question is about. A fact belongs to the period its `charge_period_start`
 * falls in (a monthly charge counts on the day it starts).
 */
export interface CostScope {
  readonly customerId: string;
  /** A provider id, or `all`. */
  readonly provider: string;
  readonly period: CostPeriod;
  readonly filters?: CostFilters | undefined;
}

/** Money in one currency, as exact decimal strings ("12.34"), never floats. */
export interface Amounts {
  readonly currency: string;
  readonly billed_cost: string;
  readonly effective_cost: string;
}

/** `FROM` clause of every cost read; see the module comment for why FINAL is exact here. */
export const COSTS_FINAL = 'costs FINAL';

/** Appended to every cost read (a SETTINGS clause costs no extra round trip on chDB). */
export const FINAL_SETTINGS = 'SETTINGS do_not_merge_across_partitions_select_final = 1';

/** A Date as ClickHouse `DateTime('UTC')` text (whole seconds). */
export function toDateTimeParam(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * The WHERE clause (without `WHERE`) and its query params for a scope. Conditions are
 * fixed SQL fragments chosen by which filters are present; every value is a `{name:Type}`
 * param. The customer comes first: it leads the sort key.
 */
export function scopeCondition(scope: CostScope): { where: string; params: Record<string, string> } {
  const conds = ['x_customer_id = {customer_id:String}'];
  const params: Record<string, string> = {
    customer_id: scope.customerId,
    period_start: toDateTimeParam(scope.period.start),
    period_end: toDateTimeParam(scope.period.end),
  };
  if (scope.provider !== ALL_PROVIDERS) {
    conds.push('x_provider = {provider:String}');
    params.provider = scope.provider;
  }
  conds.push(
    "charge_period_start >= {period_start:DateTime('UTC')}",
    "charge_period_start < {period_end:DateTime('UTC')}",
  );
  const f = scope.filters ?? {};
  if (f.service !== undefined) {
    conds.push('service_name = {service:String}');
    params.service = f.service;
  }
  if (f.account !== undefined) {
    conds.push('(billing_account_id = {account:String} OR sub_account_id = {account:String})');
    params.account = f.account;
  }
  if (f.resource !== undefined) {
    conds.push('resource_id = {resource:String}');
    params.resource = f.resource;
  }
  return { where: conds.join(' AND '), params };
}

export { selectRows } from '../clickhouse/query';

/** Currencies present in a list of items, sorted, each once. */
export function currenciesOf(items: readonly { currency: string }[]): string[] {
  return [...new Set(items.map((i) => i.currency))].sort();
}

/**
 * FOCUS 1.2 export of the cost facts: one SELECT that renames and shapes our columns into
 * FOCUS columns, written by ClickHouse's own output formats (`CSVWithNames`, `Parquet`) —
 * no serializer of ours. The rows are the same facts `/total` sums (`costs FINAL`, the
 * same scope condition), so an export's totals are the API's totals.
 *
 * Shaping follows the FOCUS 1.2 spec (FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec, tag
 * v1.2): null handling (a nullable column is NULL, never '' — attributes/null_handling.md),
 * date/times in UTC as `YYYY-MM-DDTHH:mm:ssZ` in text formats (attributes/datetime_format.md;
 * Parquet carries them as UTC-adjusted timestamps), Tags as a JSON object
 * (attributes/key_value_format.md), our own columns prefixed `x_`
 * (attributes/column_handling.md).
 *
 * Streaming: over HTTP(S) ClickHouse streams the formatted body and we pass it on. chDB
 * (embedded) returns a query's whole result as one buffer, so there the export is written
 * by ClickHouse into a temporary file (`INSERT INTO FUNCTION file(...)`, streamed inside
 * the engine) and read back from disk in chunks: memory stays bounded either way.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Store } from '../clickhouse/client';
import { COSTS_FINAL, type CostScope, FINAL_SETTINGS, scopeCondition } from './reader';

export const EXPORT_FORMATS = ['csv', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const CLICKHOUSE_FORMAT: Record<ExportFormat, string> = { csv: 'CSVWithNames', parquet: 'Parquet' };

export const EXPORT_CONTENT_TYPE: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
};

/** A date/time column: a UTC timestamp in Parquet, `2026-01-31T00:00:00Z` text in CSV. */
const time = (col: string) => (format: ExportFormat) =>
  format === 'parquet' ? col : `formatDateTime(${col}, '%Y-%m-%dT%H:%i:%SZ', 'UTC')`;
const text = (col: string) => () => col;
/** A nullable text column: FOCUS forbids '' for "no value". */
const orNull = (col: string) => () => `nullIf(${col}, '')`;

/**
 * FOCUS 1.2 columns in the order they are written, then our `x_` columns. Columns the
 * FOCUS spec makes mandatory come first. `PublisherName` is the provider: none of our
 * collectors sees marketplace charges, where publisher and provider differ.
 */
export const FOCUS_EXPORT_COLUMNS: readonly { name: string; sql: (format: ExportFormat) => string }[] = [
  { name: 'BilledCost', sql: text('billed_cost') },
  { name: 'EffectiveCost', sql: text('effective_cost') },
  { name: 'ListCost', sql: text('list_cost') },
  { name: 'ContractedCost', sql: text('contracted_cost') },
  { name: 'BillingCurrency', sql: text('billing_currency') },
  // Mandatory in FOCUS; where the provider's billing API names no account (Vultr's invoices),
  // the connection that collected the charge stands for it.
  { name: 'BillingAccountId', sql: () => "if(billing_account_id = '', x_connection_id, billing_account_id)" },
  { name: 'BillingAccountName', sql: orNull('billing_account_name') },
  { name: 'BillingPeriodStart', sql: time('billing_period_start') },
  { name: 'BillingPeriodEnd', sql: time('billing_period_end') },
  { name: 'ChargePeriodStart', sql: time('charge_period_start') },
  { name: 'ChargePeriodEnd', sql: time('charge_period_end') },
  { name: 'ChargeCategory', sql: text('charge_category') },
  { name: 'ChargeClass', sql: orNull('charge_class') },
  { name: 'ChargeDescription', sql: orNull('charge_description') },
  // Not nullable in FOCUS; a collector that did not say is read by the charge's nature.
  {
    name: 'ChargeFrequency',
    sql: () =>
      "if(charge_frequency = '', if(charge_category = 'Usage', 'Usage-Based', 'One-Time'), charge_frequency)",
  },
  { name: 'ServiceName', sql: text('service_name') },
  // Mandatory, from FOCUS's closed list; a collector that did not categorise the service
  // exports FOCUS's own "Other" rather than an invalid empty value (docs/export.md).
  { name: 'ServiceCategory', sql: () => "if(service_category = '', 'Other', service_category)" },
  { name: 'ProviderName', sql: text('provider_name') },
  { name: 'PublisherName', sql: text('provider_name') },
  { name: 'InvoiceIssuerName', sql: text('invoice_issuer_name') },
  { name: 'ResourceId', sql: orNull('resource_id') },
  { name: 'ResourceName', sql: orNull('resource_name') },
  { name: 'ResourceType', sql: orNull('resource_type') },
  { name: 'RegionId', sql: orNull('region_id') },
  { name: 'RegionName', sql: orNull('region_name') },
  { name: 'AvailabilityZone', sql: orNull('availability_zone') },
  { name: 'SubAccountId', sql: orNull('sub_account_id') },
  { name: 'SubAccountName', sql: orNull('sub_account_name') },
  { name: 'SkuId', sql: orNull('sku_id') },
  { name: 'SkuPriceId', sql: orNull('sku_price_id') },
  { name: 'PricingCategory', sql: orNull('pricing_category') },
  // A quantity without its unit says nothing: both are NULL together.
  { name: 'PricingQuantity', sql: () => "if(pricing_unit = '', NULL, pricing_quantity)" },
  { name: 'PricingUnit', sql: orNull('pricing_unit') },
  { name: 'ConsumedQuantity', sql: () => "if(consumed_unit = '', NULL, consumed_quantity)" },
  { name: 'ConsumedUnit', sql: orNull('consumed_unit') },
  { name: 'Tags', sql: () => 'if(empty(tags), NULL, toJSONString(tags))' },
  { name: 'x_ProviderId', sql: text('x_provider') },
  { name: 'x_ConnectionId', sql: orNull('x_connection_id') },
  { name: 'x_NetEffectiveCost', sql: text('x_net_effective_cost') },
  { name: 'x_LineKey', sql: orNull('x_line_key') },
  { name: 'x_CollectedAt', sql: time('toDateTime(x_collected_at)') },
];

/** ClickHouse output settings of an export: Snappy Parquet (readable everywhere), empty CSV nulls. */
const OUTPUT_SETTINGS: Record<ExportFormat, Record<string, string | number>> = {
  csv: { format_csv_null_representation: '', output_format_decimal_trailing_zeros: 0 },
  parquet: { output_format_parquet_compression_method: 'snappy', output_format_parquet_string_as_string: 1 },
};

/** The export's SELECT (without FORMAT) and its query params. */
export function focusExportQuery(scope: CostScope, format: ExportFormat) {
  const { where, params } = scopeCondition(scope);
  const columns = FOCUS_EXPORT_COLUMNS.map((c) => `${c.sql(format)} AS ${c.name}`).join(',\n  ');
  const query = `SELECT
  ${columns}
FROM ${COSTS_FINAL}
WHERE ${where}
ORDER BY x_provider, charge_period_start, billing_account_id, sub_account_id, service_name, resource_id,
  sku_id, region_id, charge_category, charge_class, billing_currency, x_line_key`;
  return { query, params };
}

/** How many facts an export of `scope` writes (for progress displays). */
export async function countFocusRows(store: Store, scope: CostScope): Promise<number> {
  const { where, params } = scopeCondition(scope);
  const rs = await store.client.query({
    query: `SELECT count() AS n FROM ${COSTS_FINAL} WHERE ${where} ${FINAL_SETTINGS}`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row?.n ?? 0);
}

export interface FocusExport {
  readonly stream: Readable;
  readonly contentType: string;
}

/**
 * The FOCUS export of a scope as a byte stream in `format`. The stream must be consumed
 * (or destroyed): on the embedded engine it owns a temporary file, removed when it closes.
 *
 * @example
 * const { stream } = await exportFocus(store, { customerId: 'acme', provider: 'all', period }, 'parquet');
 * await pipeline(stream, createWriteStream('acme.parquet'));
 */
export async function exportFocus(
  store: Store,
  scope: CostScope,
  format: ExportFormat,
): Promise<FocusExport> {
  const { query, params } = focusExportQuery(scope, format);
  const settings = { do_not_merge_across_partitions_select_final: 1, ...OUTPUT_SETTINGS[format] };
  const contentType = EXPORT_CONTENT_TYPE[format];
  if (store.kind === 'http') {
    const result = await store.client.exec({
      query: `${query}\nFORMAT ${CLICKHOUSE_FORMAT[format]}`,
      query_params: params,
      clickhouse_settings: settings as never,
    });
    return { stream: result.stream, contentType };
  }
  const dir = await mkdtemp(join(tmpdir(), 'optiinfra-export-'));
  const file = join(dir, `focus.${format}`);
  try {
    await store.client.command({
      query: `INSERT INTO FUNCTION file({file:String}, '${CLICKHOUSE_FORMAT[format]}') ${query}`,
      query_params: { ...params, file },
      clickhouse_settings: { ...settings, engine_file_truncate_on_insert: 1 } as never,
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  stream.once('close', () => void rm(dir, { recursive: true, force: true }));
  return { stream, contentType };
}

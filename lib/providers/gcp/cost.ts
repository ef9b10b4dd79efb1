import { BigQuery, type BigQueryOptions, type Job } from '@google-cloud/bigquery';
import { CloudBillingClient } from '@google-cloud/billing';
import { PassThroughClient } from 'google-auth-library';
import type { CollectContext, Connection } from '../../collector/types';
import { DecimalFormatError, normalizeDecimal } from '../../costs/decimal';
import { billingMonth, parseDay, utcDays } from '../../costs/periods';
import { ProviderConfigError, ProviderParseError, ProviderUnavailableError } from '../../errors';
import type { CostRowInput } from '../../schemas/rows';
import { DAY_MS } from '../../time';
import { gaxClientOptions, gcpCredentials } from './clients';
import type { GcpSettings } from './config';
import { createCatalogPrices } from './cost-catalog';
import { classifyGoogleError } from './cost-errors';

/** Api names recorded in `collection_runs.billable_requests`: a query job is billed by bytes scanned. */
export const BQ_QUERY_JOB = 'bq:jobs.insert';
const RESULTS = 'bq:getQueryResults';
const PAGE_ROWS = 10_000;
/** BigQuery holds getQueryResults up to ~10 s while a job runs; this bounds the wait to ~10 minutes. */
const MAX_POLLS = 60;

/** Columns the cost query returns, every one a STRING so that no amount passes through a float. */
export interface BillingExportRow {
  kind: string;
  day: string;
  invoice_month: string | null;
  billing_account_id: string | null;
  project_id: string | null;
  project_name: string | null;
  service_id: string | null;
  service_name: string | null;
  sku_id: string | null;
  sku_description: string | null;
  region: string | null;
  currency: string | null;
  cost_type: string | null;
  credit_type: string | null;
  credit_id: string | null;
  credit_name: string | null;
  cost: string | null;
  list_cost: string | null;
  pricing_quantity: string | null;
  pricing_unit: string | null;
  usage_amount: string | null;
  usage_unit: string | null;
}

/**
 * The cost query over a Cloud Billing export table for [@start, @end): per UTC usage day,
 * billing account, project, service, SKU, region, currency, cost type and invoice month,
 * with costs summed as NUMERIC (exact to 9 decimals; the export's FLOAT column is cast per
 * row before summing). Credits (sustained/committed use discounts, promotions, free tier)
 * come back as their own rows, so usage rows stay at their price and credits stay visible.
 * `table` is whitelisted by the settings schema (project.dataset.table) before it gets here.
 */
export function billingExportQuery(table: string): string {
  const NUM = (expr: string) => `CAST(SUM(CAST(${expr} AS NUMERIC)) AS STRING)`;
  return `WITH base AS (
  SELECT
    FORMAT_DATE('%F', DATE(usage_start_time)) AS day,
    IFNULL(invoice.month, '') AS invoice_month,
    IFNULL(billing_account_id, '') AS billing_account_id,
    IFNULL(project.id, '') AS project_id,
    IFNULL(project.name, '') AS project_name,
    IFNULL(service.id, '') AS service_id,
    IFNULL(service.description, '') AS service_name,
    IFNULL(sku.id, '') AS sku_id,
    IFNULL(sku.description, '') AS sku_description,
    IFNULL(location.region, '') AS region,
    currency,
    IFNULL(cost_type, 'regular') AS cost_type,
    cost,
    cost_at_list,
    usage.amount_in_pricing_units AS pricing_quantity,
    IFNULL(usage.pricing_unit, '') AS pricing_unit,
    usage.amount AS usage_amount,
    IFNULL(usage.unit, '') AS usage_unit,
    credits
  FROM \`${table}\`
  WHERE usage_start_time >= TIMESTAMP(@start) AND usage_start_time < TIMESTAMP(@end)
    -- the export is ingestion-time partitioned; rows still in the streaming buffer have no partition yet
    AND (_PARTITIONTIME IS NULL OR _PARTITIONTIME >= TIMESTAMP_SUB(TIMESTAMP(@start), INTERVAL 1 DAY))
)
SELECT 'usage' AS kind, day, invoice_month, billing_account_id, project_id, ANY_VALUE(project_name) AS project_name,
  service_id, ANY_VALUE(service_name) AS service_name, sku_id, ANY_VALUE(sku_description) AS sku_description, region, currency, cost_type,
  '' AS credit_type, '' AS credit_id, '' AS credit_name,
  ${NUM('cost')} AS cost, ${NUM('cost_at_list')} AS list_cost,
  ${NUM('IFNULL(pricing_quantity, 0)')} AS pricing_quantity, ANY_VALUE(pricing_unit) AS pricing_unit,
  ${NUM('IFNULL(usage_amount, 0)')} AS usage_amount, ANY_VALUE(usage_unit) AS usage_unit
FROM base
GROUP BY day, invoice_month, billing_account_id, project_id, service_id, sku_id, region, currency, cost_type
UNION ALL
SELECT 'credit' AS kind, day, invoice_month, billing_account_id, project_id, ANY_VALUE(project_name) AS project_name,
  service_id, ANY_VALUE(service_name) AS service_name, sku_id, ANY_VALUE(sku_description) AS sku_description, region, currency, 'regular' AS cost_type,
  IFNULL(c.type, '') AS credit_type, IFNULL(c.id, '') AS credit_id, IFNULL(c.name, '') AS credit_name,
  ${NUM('c.amount')} AS cost, NULL AS list_cost,
  '0' AS pricing_quantity, '' AS pricing_unit, '0' AS usage_amount, '' AS usage_unit
FROM base, UNNEST(credits) AS c
GROUP BY day, invoice_month, billing_account_id, project_id, service_id, sku_id, region, currency, credit_type, credit_id, credit_name
ORDER BY day, kind, project_id, sku_id`;
}

const CHARGE: Record<string, { category: CostRowInput['charge_category']; class: '' | 'Correction' }> = {
  regular: { category: 'Usage', class: '' },
  tax: { category: 'Tax', class: '' },
  adjustment: { category: 'Adjustment', class: 'Correction' },
  rounding_error: { category: 'Adjustment', class: '' },
};

function decimalField(
  row: BillingExportRow,
  field: keyof BillingExportRow,
  index: number,
  fallback?: string,
): string {
  const v = row[field];
  if (v === null || v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    throw new ProviderParseError('gcp', `${RESULTS}: malformed row ${index}: ${field} is missing`);
  }
  try {
    return normalizeDecimal(String(v));
  } catch (err) {
    if (err instanceof DecimalFormatError) {
      throw new ProviderParseError(
        'gcp',
        `${RESULTS}: malformed row ${index}: ${field} is not a decimal: ${JSON.stringify(v)}`,
      );
    }
    throw err;
  }
}

/** One row of the cost query as a FOCUS cost row. Pure; throws ProviderParseError naming the row and field. */
export function billingExportRowToCost(
  row: BillingExportRow,
  index: number,
  base: {
    customerId: string;
    connectionId: string;
    taskId: string;
    collectedAt: Date;
    billingAccountNames: ReadonlyMap<string, string>;
  },
): CostRowInput {
  const day = parseDay(String(row.day ?? ''));
  if (!day)
    throw new ProviderParseError(
      'gcp',
      `${RESULTS}: malformed row ${index}: day is not a date: ${JSON.stringify(row.day)}`,
    );
  const currency = String(row.currency ?? '');
  if (!/^[A-Z]{3}$/.test(currency)) {
    throw new ProviderParseError(
      'gcp',
      `${RESULTS}: malformed row ${index}: currency is not a currency code: ${JSON.stringify(row.currency)}`,
    );
  }
  const credit = row.kind === 'credit';
  if (!credit && row.kind !== 'usage') {
    throw new ProviderParseError(
      'gcp',
      `${RESULTS}: malformed row ${index}: kind is ${JSON.stringify(row.kind)}`,
    );
  }
  const costType = row.cost_type || 'regular';
  const charge = credit ? { category: 'Credit' as const, class: '' as const } : CHARGE[costType];
  if (!charge)
    throw new ProviderParseError(
      'gcp',
      `${RESULTS}: malformed row ${index}: unknown cost_type ${JSON.stringify(costType)}`,
    );
  const cost = decimalField(row, 'cost', index);
  const invoiceMonth = /^(\d{4})(\d{2})$/.exec(row.invoice_month ?? '');
  const period = invoiceMonth
    ? billingMonth(new Date(Date.UTC(Number(invoiceMonth[1]), Number(invoiceMonth[2]) - 1, 1)))
    : billingMonth(day);
  const account = row.billing_account_id ?? '';
  const lineKey = credit
    ? `credit:${row.credit_type ?? ''}:${row.credit_id || row.credit_name || ''}:${row.invoice_month ?? ''}`
    : `${costType}:${row.invoice_month ?? ''}`;
  return {
    x_customer_id: base.customerId,
    x_provider: 'gcp',
    x_connection_id: base.connectionId,
    billing_account_id: account,
    billing_account_name: base.billingAccountNames.get(account) ?? '',
    sub_account_id: row.project_id ?? '',
    sub_account_name: row.project_name ?? '',
    provider_name: 'Google Cloud',
    invoice_issuer_name: 'Google',
    service_name: row.service_name ?? '',
    charge_category: charge.category,
    charge_class: charge.class,
    charge_description: credit
      ? `${row.credit_name || row.credit_type}: ${row.sku_description ?? ''}`
      : (row.sku_description ?? ''),
    charge_frequency: credit ? 'Usage-Based' : costType === 'regular' ? 'Usage-Based' : 'One-Time',
    sku_id: row.sku_id ?? '',
    region_id: row.region ?? '',
    region_name: row.region ?? '',
    pricing_quantity: decimalField(row, 'pricing_quantity', index, '0'),
    pricing_unit: row.pricing_unit ?? '',
    consumed_quantity: decimalField(row, 'usage_amount', index, '0'),
    consumed_unit: row.usage_unit ?? '',
    billed_cost: cost,
    effective_cost: cost,
    list_cost: credit ? '0' : decimalField(row, 'list_cost', index, '0'),
    billing_currency: currency,
    charge_period_start: day,
    charge_period_end: new Date(day.getTime() + DAY_MS),
    billing_period_start: period.start,
    billing_period_end: period.end,
    x_line_key: lineKey,
    x_task_id: base.taskId,
    x_collected_at: base.collectedAt,
  };
}

/** BigQuery client options for this connection: plain HTTP to `endpoint` without credentials in tests. */
export function bigQueryOptions(conn: Connection<GcpSettings>, projectId: string): BigQueryOptions {
  // Our retry loop (ctx.retry) owns backoff; the job id is fixed so a retried insert is idempotent.
  const base = { projectId, autoRetry: false, maxRetries: 0 };
  if (conn.settings.endpoint) {
    return { ...base, apiEndpoint: conn.settings.endpoint, authClient: new PassThroughClient() as never };
  }
  const key = gcpCredentials(conn);
  return key
    ? { ...base, credentials: { client_email: key.client_email, private_key: key.private_key } }
    : base;
}

/** Display names of billing accounts (Cloud Billing API); cosmetic, so a refusal only logs. */
async function billingAccountNames(ctx: CollectContext<GcpSettings>): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const id = ctx.connection.settings.billing_account_id;
  if (!id) return names;
  const client = new CloudBillingClient(
    gaxClientOptions(ctx.connection) as ConstructorParameters<typeof CloudBillingClient>[0],
  );
  try {
    const [account] = await ctx.retry('billing:getBillingAccount', async () => {
      try {
        return await client.getBillingAccount({ name: `billingAccounts/${id}` });
      } catch (err) {
        throw classifyGoogleError(err, 'billing:getBillingAccount');
      }
    });
    if (account.displayName) names.set(id, account.displayName);
  } catch (err) {
    ctx.warn?.(`billing account name unavailable: ${(err as Error).message}`);
  } finally {
    await client.close();
  }
  return names;
}

function isAlreadyExists(err: unknown): boolean {
  return (err as { code?: number })?.code === 409;
}

/**
 * GCP cost from the Cloud Billing export in BigQuery (the only place Google exposes
 * actual costs): one query job over the window's UTC days, its results read page by page.
 * Credits are their own rows (ChargeCategory `Credit`, negative amounts) so that the sum
 * of billed cost is what the invoice shows. The days queried are declared complete.
 */
export async function* collectGcpCost(ctx: CollectContext<GcpSettings>): AsyncGenerator<CostRowInput[]> {
  const s = ctx.connection.settings;
  if (!s.billing_export_table) {
    throw new ProviderConfigError(
      'gcp',
      `connection "${ctx.connection.id}" has no billing_export_table: GCP cost comes from the Cloud Billing export to BigQuery (project.dataset.gcp_billing_export_v1_…)`,
    );
  }
  const days = utcDays(ctx.window);
  const project = s.billing_export_table.split('.')[0] as string;
  const bq = new BigQuery(bigQueryOptions(ctx.connection, project));
  const names = await billingAccountNames(ctx);
  const jobId = `optiinfra_cost_${ctx.taskId.replace(/[^A-Za-z0-9_-]/g, '_')}`;

  const job: Job = await ctx.retry(BQ_QUERY_JOB, async () => {
    try {
      const [created] = await bq.createQueryJob({
        query: billingExportQuery(s.billing_export_table as string),
        params: { start: days.start.toISOString(), end: days.end.toISOString() },
        jobId,
        labels: { app: 'optiinfra', purpose: 'cost-collection' },
        ...(s.cost_query_max_bytes_billed
          ? { maximumBytesBilled: String(s.cost_query_max_bytes_billed) }
          : {}),
      });
      return created;
    } catch (err) {
      // A retried insert whose first attempt did reach BigQuery: the job exists, use it.
      if (isAlreadyExists(err)) return bq.job(jobId);
      throw classifyGoogleError(err, BQ_QUERY_JOB);
    }
  });
  ctx.meter.count(BQ_QUERY_JOB);

  const base = {
    customerId: ctx.customerId,
    connectionId: ctx.connection.id,
    taskId: ctx.taskId,
    collectedAt: ctx.now(),
    billingAccountNames: names,
  };
  const catalog = createCatalogPrices(ctx);
  let query: Record<string, unknown> | null = { autoPaginate: false, maxResults: PAGE_ROWS };
  let index = 0;
  let polls = 0;
  try {
    while (query) {
      const options = query;
      const [rows, next, response] = await ctx.retry(RESULTS, async () => {
        try {
          return await job.getQueryResults(options);
        } catch (err) {
          throw classifyGoogleError(err, RESULTS);
        }
      });
      if ((response as { jobComplete?: boolean } | undefined)?.jobComplete === false) {
        if (++polls > MAX_POLLS)
          throw new ProviderUnavailableError(
            'gcp',
            `${RESULTS}: query job ${jobId} still running after ${MAX_POLLS} polls`,
          );
        query = next as Record<string, unknown> | null;
        continue;
      }
      const batch: CostRowInput[] = [];
      for (const r of rows as BillingExportRow[]) {
        const cost = billingExportRowToCost(r, index++, base);
        // Exports older than `cost_at_list` have no list cost: the SKU catalog's flat list price fills it.
        if (
          r.kind === 'usage' &&
          r.cost_type === 'regular' &&
          (r.list_cost === null || r.list_cost === '') &&
          r.sku_id
        ) {
          const list = await catalog.listCost(
            r.service_id ?? '',
            r.sku_id,
            String(cost.pricing_quantity),
            r.pricing_unit ?? '',
            cost.billing_currency,
          );
          if (list !== undefined) cost.list_cost = list;
        }
        batch.push(cost);
      }
      yield batch;
      query = next as Record<string, unknown> | null;
    }
  } finally {
    await catalog.close();
  }
  ctx.complete?.(days);
}

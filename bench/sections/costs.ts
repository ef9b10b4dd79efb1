import { deepStrictEqual } from 'node:assert/strict';
import type { CostScope } from '../../lib/costs/reader';
import { costsByResource } from '../../lib/costs/reader-breakdown';
import { costTotals } from '../../lib/costs/reader-totals';
import { costTrends } from '../../lib/costs/reader-trends';
import type { BenchContext, BenchSection } from '../harness';
import { compareLatency } from '../harness';

/**
 * The cost read API against a year of cost facts: 10,000,000 rows for 50 customers × 4
 * providers × 365 days (~137 facts per customer, provider and day), generated inside
 * ClickHouse. For `total`, `trends` (daily, zero-filled) and `by-resource` (top 50) it
 * times our reader next to the bare ClickHouse query that gives the same core answer
 * (asserted equal before timing). Both sides read with FINAL, as any correct read of
 * restatable facts must; the ratio is what our layer adds (extra figures in the same
 * scan, JSON shaping, zero-filling). One more row shows what FINAL itself costs.
 *
 * `--scale F` (or `BENCH_COST_ROWS`, default 10,000,000) scales the data down for a quick look.
 */

const CUSTOMERS = 50;
const PROVIDERS = 4;
const DAYS = 365;
const CHUNK = 1_000_000;
const SAMPLES = 40;
const YEAR_START = '2025-01-01 00:00:00';

/**
 * One generated fact per `number`: customer = n % 50, provider = n / 50 % 4, day =
 * n / 200 % 365, and k = n / 73000 its index within that customer, provider and day.
 * Each customer-provider has 120 resources, 5 sub-accounts, 8 services, 4 regions; one
 * fact in 40 is a tax line without a resource, one in 50 a credit; every fifth customer's
 * Azure bills in EUR. `x_line_key` carries k, so all 10,000,000 are distinct facts (no
 * two share a natural key). Money is exact Decimal arithmetic on hashed integers.
 */
const GENERATE = `
INSERT INTO costs (x_customer_id, x_provider, x_connection_id, billing_account_id, billing_account_name, sub_account_id,
  provider_name, invoice_issuer_name, service_name, service_category, charge_category, charge_description, charge_frequency,
  resource_id, resource_name, resource_type, region_id, region_name, sku_id, pricing_quantity, pricing_unit, consumed_quantity,
  consumed_unit, billed_cost, effective_cost, list_cost, contracted_cost, billing_currency, charge_period_start,
  charge_period_end, billing_period_start, billing_period_end, tags, x_line_key, x_task_id, x_collected_at, x_version)
SELECT
  customer, provider, 'main', concat('acct-', toString(c), '-', provider), concat('Account ', toString(c)),
  concat('sub-', toString(k % 5)),
  provider, provider,
  service, if(k % 8 IN (1, 4), 'Storage', if(k % 8 = 3, 'AI and Machine Learning', 'Compute')),
  category, concat(service, ' usage'), 'Usage-Based',
  resource, if(resource = '', '', concat('name-', resource)), if(resource = '', '', 'instance'),
  region, region, concat('sku-', toString(k % 30)), toDecimal128(24, 10), 'Hours', toDecimal128(24, 10), 'Hours',
  billed, if(k % 3 = 0, billed - billed / 10, billed), billed, billed,
  if(p = 2 AND c % 5 = 0, 'EUR', 'USD'),
  start, start + INTERVAL 1 DAY, toStartOfMonth(start), toStartOfMonth(start) + INTERVAL 1 MONTH,
  map('team', arrayElement(['ml', 'data', 'platform'], k % 3 + 1)), concat('line-', toString(k)), 'bench', now64(3), 1
FROM (
  SELECT
    number AS n,
    n % ${CUSTOMERS} AS c,
    intDiv(n, ${CUSTOMERS}) % ${PROVIDERS} AS p,
    intDiv(n, ${CUSTOMERS * PROVIDERS}) % ${DAYS} AS d,
    intDiv(n, ${CUSTOMERS * PROVIDERS * DAYS}) AS k,
    concat('bench-c', leftPad(toString(c), 2, '0')) AS customer,
    arrayElement(['aws', 'gcp', 'azure', 'vultr'], p + 1) AS provider,
    arrayElement(arrayElement([
      ['Amazon EC2', 'Amazon S3', 'Amazon RDS', 'Amazon SageMaker', 'Amazon EBS', 'AWS Lambda', 'Amazon EKS', 'Data Transfer'],
      ['Compute Engine', 'Cloud Storage', 'Cloud SQL', 'Vertex AI', 'Persistent Disk', 'Cloud Run', 'GKE', 'Networking'],
      ['Virtual Machines', 'Storage', 'Azure SQL', 'Azure Machine Learning', 'Managed Disks', 'Functions', 'AKS', 'Bandwidth'],
      ['Cloud Compute', 'Object Storage', 'Managed Databases', 'Cloud GPU', 'Block Storage', 'Kubernetes Engine', 'Load Balancers', 'Bandwidth']
    ], p + 1), k % 8 + 1) AS service,
    multiIf(k % 40 = 39, 'Tax', k % 50 = 49, 'Credit', 'Usage') AS category,
    if(k % 40 = 39, '', concat(provider, '-r', toString(c), '-', toString(k % 120))) AS resource,
    arrayElement(['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-1'], k % 4 + 1) AS region,
    toDateTime('${YEAR_START}', 'UTC') + toIntervalDay(d) AS start,
    if(category = 'Credit', -1, 1) * toDecimal128(cityHash64(n) % 10000000, 10) / 100000 AS billed
  FROM numbers({first:UInt64}, {count:UInt64})
)`;

async function generate(ctx: BenchContext, total: number): Promise<void> {
  const t0 = performance.now();
  for (let first = 0; first < total; first += CHUNK) {
    const count = Math.min(CHUNK, total - first);
    await ctx.store.client.command({ query: GENERATE, query_params: { first, count } });
    ctx.progress(
      `generated ${(first + count).toLocaleString('en-US')} / ${total.toLocaleString('en-US')} cost rows`,
    );
  }
  await settle(ctx);
  const rs = await ctx.store.client.query({
    query: `SELECT count() AS n, uniqExact(x_customer_id) AS customers, uniqExact(x_provider) AS providers,
              uniqExact(toDate(charge_period_start)) AS days, count(DISTINCT _part) AS parts FROM costs`,
    format: 'JSONEachRow',
  });
  const [s] = await rs.json<{
    n: number;
    customers: number;
    providers: number;
    days: number;
    parts: number;
  }>();
  ctx.progress(
    `${Number(s?.n).toLocaleString('en-US')} rows, ${s?.customers} customers, ${s?.providers} providers, ${s?.days} days, ` +
      `${s?.parts} parts, in ${((performance.now() - t0) / 1000).toFixed(1)}s`,
  );
}

/**
 * Waits (up to a minute) for the background merges the inserts started, so that timings
 * do not race them. The table is left as merges leave it, not OPTIMIZEd: a live table has
 * a few parts per recent partition, and FINAL's cost depends on that.
 */
async function settle(ctx: BenchContext): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const rs = await ctx.store.client.query({
      query: `SELECT count() AS n FROM system.merges WHERE database = currentDatabase() AND table = 'costs'`,
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: number }>();
    if (Number(row?.n ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  ctx.progress('merges still running after 60 s; measuring anyway');
}

async function bare<T>(ctx: BenchContext, query: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await ctx.store.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

const section: BenchSection = {
  name: 'costs',
  async run(ctx) {
    const total = Number(process.env.BENCH_COST_ROWS ?? Math.round(10_000_000 * ctx.scale));
    await generate(ctx, total);

    const scope: CostScope = {
      customerId: 'bench-c05',
      provider: 'all',
      period: { start: new Date('2025-01-01T00:00:00Z'), end: new Date('2026-01-01T00:00:00Z') },
    };
    const params = { c: scope.customerId, s: '2025-01-01 00:00:00', e: '2026-01-01 00:00:00' };
    const where = `x_customer_id = {c:String} AND charge_period_start >= {s:DateTime('UTC')} AND charge_period_start < {e:DateTime('UTC')}`;
    const settings = 'SETTINGS do_not_merge_across_partitions_select_final = 1';
    const note = `1 customer of ${CUSTOMERS}, all providers, 365 days, ${total.toLocaleString('en-US')} rows in table`;

    // total — the per-currency sums.
    type TotalRow = { currency: string; billed: string; effective: string };
    const totalSql = `SELECT billing_currency AS currency, toString(sum(billed_cost)) AS billed, toString(sum(effective_cost)) AS effective
      FROM costs FINAL WHERE ${where} GROUP BY currency ORDER BY currency ${settings}`;
    const bareTotal = () => bare<TotalRow>(ctx, totalSql, params);
    const ours = await costTotals(ctx.store, scope);
    deepStrictEqual(
      ours.totals.map((t) => ({ currency: t.currency, billed: t.billed_cost, effective: t.effective_cost })),
      await bareTotal(),
    );
    ctx.progress(
      `total answers agree: ${ours.totals.map((t) => `${t.billed_cost} ${t.currency}`).join(', ')}`,
    );
    const total_ = await compareLatency(() => costTotals(ctx.store, scope), bareTotal, SAMPLES);
    ctx.report({
      section: 'costs',
      metric: 'total p50',
      ours: total_.ours.p50,
      baseline: total_.baseline.p50,
      unit: 'ms',
      better: 'lower',
      note,
    });
    ctx.report({
      section: 'costs',
      metric: 'total p95',
      ours: total_.ours.p95,
      baseline: total_.baseline.p95,
      unit: 'ms',
      better: 'lower',
      note: 'ours adds per-provider sums and counts (GROUPING SETS)',
    });

    // trends — daily sums per currency; ours zero-fills every day.
    type TrendRow = { bucket: string; currency: string; billed: string; effective: string };
    const trendSql = `SELECT toDate(charge_period_start) AS bucket, billing_currency AS currency,
        toString(sum(billed_cost)) AS billed, toString(sum(effective_cost)) AS effective
      FROM costs FINAL WHERE ${where} GROUP BY bucket, currency ORDER BY bucket, currency ${settings}`;
    const bareTrends = () => bare<TrendRow>(ctx, trendSql, params);
    const trends = await costTrends(ctx.store, scope, 'day');
    const flattened = trends.buckets.flatMap((b) =>
      b.costs
        .filter((x) => x.billed_cost !== '0' || x.effective_cost !== '0')
        .map((x) => ({
          bucket: b.start.slice(0, 10),
          currency: x.currency,
          billed: x.billed_cost,
          effective: x.effective_cost,
        })),
    );
    deepStrictEqual(flattened, await bareTrends());
    ctx.progress(
      `trends answers agree: ${trends.buckets.length} daily buckets × ${trends.currencies.length} currencies`,
    );
    const trend_ = await compareLatency(() => costTrends(ctx.store, scope, 'day'), bareTrends, SAMPLES);
    ctx.report({
      section: 'costs',
      metric: 'trends (day) p50',
      ours: trend_.ours.p50,
      baseline: trend_.baseline.p50,
      unit: 'ms',
      better: 'lower',
      note,
    });
    ctx.report({
      section: 'costs',
      metric: 'trends (day) p95',
      ours: trend_.ours.p95,
      baseline: trend_.baseline.p95,
      unit: 'ms',
      better: 'lower',
      note: 'ours zero-fills 365 buckets per currency',
    });

    // by-resource — the 50 most expensive resources per currency.
    type ResourceRow = {
      provider: string;
      resource_id: string;
      currency: string;
      billed: string;
      effective: string;
    };
    const resourceSql = `SELECT x_provider AS provider, resource_id, billing_currency AS currency,
        toString(sum(billed_cost)) AS billed, toString(sum(effective_cost)) AS effective
      FROM costs FINAL WHERE ${where}
      GROUP BY provider, resource_id, currency
      ORDER BY currency, sum(effective_cost) DESC, sum(billed_cost) DESC, provider, resource_id
      LIMIT 50 BY currency ${settings}`;
    const bareResources = () => bare<ResourceRow>(ctx, resourceSql, params);
    const byResource = await costsByResource(ctx.store, scope, 50);
    deepStrictEqual(
      byResource.items.map((i) => ({
        provider: i.provider,
        resource_id: i.resource_id ?? '',
        currency: i.currency,
        billed: i.billed_cost,
        effective: i.effective_cost,
      })),
      await bareResources(),
    );
    ctx.progress(
      `by-resource answers agree: ${byResource.items.length} items of ${byResource.totals.map((t) => t.groups).join('+')} resources`,
    );
    const res_ = await compareLatency(() => costsByResource(ctx.store, scope, 50), bareResources, SAMPLES);
    ctx.report({
      section: 'costs',
      metric: 'by-resource p50',
      ours: res_.ours.p50,
      baseline: res_.baseline.p50,
      unit: 'ms',
      better: 'lower',
      note,
    });
    ctx.report({
      section: 'costs',
      metric: 'by-resource p95',
      ours: res_.ours.p95,
      baseline: res_.baseline.p95,
      unit: 'ms',
      better: 'lower',
      note: 'ours adds latest name/type/service/region and per-currency totals',
    });

    // What correctness costs: the bare total with FINAL vs the same query without it
    // (equal here only because the generated facts were never restated).
    const noFinalSql = totalSql.replace('costs FINAL', 'costs').replace(settings, '');
    deepStrictEqual(await bare<TotalRow>(ctx, noFinalSql, params), await bareTotal());
    const fin = await compareLatency(bareTotal, () => bare<TotalRow>(ctx, noFinalSql, params), SAMPLES);
    ctx.report({
      section: 'costs',
      metric: 'FINAL cost (bare total) p50',
      ours: fin.ours.p50,
      baseline: fin.baseline.p50,
      unit: 'ms',
      better: 'lower',
      note: 'with FINAL vs without',
    });
  },
};

export default section;

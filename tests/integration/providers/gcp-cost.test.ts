import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { runCollection } from '../../../lib/collector/run';
import type { Connection } from '../../../lib/collector/types';
import { testConnectionAsConfigured } from '../../../lib/connections/settings';
import { addDecimals, multiplyDecimals } from '../../../lib/costs/decimal';
import { gcpProvider } from '../../../lib/providers/gcp';
import type { GcpSettings } from '../../../lib/providers/gcp/config';
import {
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
  startFakeServer,
} from '../../helpers/fake-server';
import { exportAndCheck } from '../../helpers/focus';
import { rows, testStore } from '../../helpers/store';
import { costJob, costTotals, fixture, run, runDeps, storedVersions } from './cost-kit';

const NOW = new Date('2026-11-12T09:20:00.000Z');
const TABLE = 'billing-export-prj.billing.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9';
const JOBS = '/bigquery/v2/projects/billing-export-prj/jobs';
const QUERIES = '/bigquery/v2/projects/billing-export-prj/queries/';

/** Fixture totals, summed independently (Python Decimal) when the fixtures were written. */
const TOTAL_BILLED = '355.804188';
const TOTAL_CREDITS = '-105.146765';
/** cost_at_list where the export has it, plus the SKU catalog's flat price × quantity for two older Cloud Storage rows. */
const TOTAL_LIST = '400.558315';
const FACTS = 39;

/** getQueryResults on the wire: every cell `{ v }` in schema order. */
interface Page {
  pageToken?: string;
  schema: { fields: { name: string }[] };
  rows: { f: { v: string | null }[] }[];
}
const page1 = () => fixture<Page>('gcp/bigquery/query-results-page-1.json');
const page2 = () => fixture<Page>('gcp/bigquery/query-results-page-2.json');
const FIELDS: string[] = page1().schema.fields.map((f) => f.name);
const cell = (row: { f: { v: string | null }[] }, name: string) =>
  row.f[FIELDS.indexOf(name)] as { v: string | null };

const json = (body: unknown, status = 200): FakeReply => ({
  status,
  headers: { 'content-type': 'application/json; charset=UTF-8' },
  body,
});
const withJobId = (body: unknown, jobId: string) =>
  JSON.parse(JSON.stringify(body).replaceAll('JOBID', jobId));

/** BigQuery REST (jobs.insert, getQueryResults by pageToken) and the Cloud Billing API, as Google answers them. */
function googleHandler(opts: {
  pages?: () => Page[];
  before?: (r: RecordedRequest) => FakeReply | undefined;
  runningPolls?: number;
}) {
  let polls = 0;
  return (r: RecordedRequest): FakeReply => {
    const early = opts.before?.(r);
    if (early) return early;
    if (r.method === 'POST' && r.path === JOBS) {
      const jobId = (JSON.parse(r.body) as { jobReference: { jobId: string } }).jobReference.jobId;
      return json(withJobId(fixture('gcp/bigquery/jobs-insert.json'), jobId));
    }
    if (r.method === 'GET' && r.path.startsWith(QUERIES)) {
      const jobId = r.path.slice(QUERIES.length);
      if (polls < (opts.runningPolls ?? 0)) {
        polls++;
        return json(withJobId(fixture('gcp/bigquery/query-results-running.json'), jobId));
      }
      const pages = (opts.pages ?? (() => [page1(), page2()]))();
      const token = r.query.get('pageToken');
      const index = token ? pages.findIndex((_p, i) => i > 0 && pages[i - 1]?.pageToken === token) : 0;
      return json(withJobId(pages[index], jobId));
    }
    if (r.method === 'GET' && r.path === '/v1/billingAccounts/01A2B3-C4D5E6-F7A8B9')
      return json(fixture('gcp/billing/billing-account.json'));
    if (r.method === 'GET' && r.path === '/v1/services/95FF-2EF5-5EA1/skus') {
      return json(
        fixture(
          r.query.get('pageToken')
            ? 'gcp/billing/skus-cloud-storage-page-2.json'
            : 'gcp/billing/skus-cloud-storage-page-1.json',
        ),
      );
    }
    if (r.method === 'GET' && r.path === '/v1/services/C7E2-9256-1C43/skus')
      return json(fixture('gcp/billing/skus-vertex-ai.json'));
    return json(
      { error: { code: 404, message: `Not found: ${r.method} ${r.path}`, status: 'NOT_FOUND' } },
      404,
    );
  };
}

let store: Store;
let fake: FakeServer;
beforeAll(async () => {
  store = await testStore();
  fake = await startFakeServer();
});
afterAll(async () => {
  await fake.close();
});

function connection(customerId: string, settings: Partial<GcpSettings> = {}): Connection<GcpSettings> {
  return {
    id: 'billing',
    customerId,
    provider: 'gcp',
    enabled: true,
    settings: {
      project_ids: ['ml-train-prod'],
      billing_account_id: '01A2B3-C4D5E6-F7A8B9',
      billing_export_table: TABLE,
      endpoint: fake.url,
      ...settings,
    } as GcpSettings,
    secrets: {},
    source: 'config',
  };
}

async function collect(customerId: string, settings: Partial<GcpSettings> = {}, now = NOW) {
  const job = costJob(customerId, 'gcp', now);
  const result = await runCollection(
    job,
    runDeps(store, gcpProvider, [connection(customerId, settings)], () => now),
  );
  return { job, result, view: await run(store, job.taskId) };
}

const jobInserts = () => fake.requests.filter((r) => r.method === 'POST' && r.path === JOBS);

describe('GCP cost collector (Cloud Billing export through @google-cloud/bigquery)', () => {
  it('runs one query job over the window and reads every results page, exact to the cent', async () => {
    fake.handle(googleHandler({ runningPolls: 1 }));
    fake.requests.length = 0;
    const { job, result, view } = await collect('gcp-pages');

    expect(result.status).toBe('succeeded');
    expect(view.rows_collected).toEqual({ cost: FACTS });
    expect(view.billable_requests).toEqual({ 'bq:jobs.insert': 1 });
    expect(await costTotals(store, 'gcp-pages')).toEqual({
      rows: FACTS,
      billed: TOTAL_BILLED,
      effective: TOTAL_BILLED,
    });
    const [sums] = await rows<{ credits: string; list: string }>(
      store,
      `SELECT toString(sumIf(billed_cost, charge_category = 'Credit')) AS credits, toString(sum(list_cost)) AS list
       FROM costs FINAL WHERE x_customer_id = 'gcp-pages'`,
    );
    expect(sums).toEqual({ credits: TOTAL_CREDITS, list: TOTAL_LIST });

    const [insert] = jobInserts();
    const body = JSON.parse(insert?.body ?? '{}');
    expect(body.jobReference.jobId).toBe(`optiinfra_cost_${job.taskId}`);
    expect(body.configuration.query.useLegacySql).toBe(false);
    expect(body.configuration.query.query).toContain(`FROM \`${TABLE}\``);
    expect(body.configuration.query.queryParameters).toEqual([
      {
        name: 'start',
        parameterType: { type: 'STRING' },
        parameterValue: { value: '2026-10-01T00:00:00.000Z' },
      },
      {
        name: 'end',
        parameterType: { type: 'STRING' },
        parameterValue: { value: '2026-11-13T00:00:00.000Z' },
      },
    ]);
    const reads = fake.requests.filter((r) => r.path.startsWith(QUERIES));
    expect(reads.map((r) => r.query.get('pageToken'))).toEqual([null, null, page1().pageToken]);

    // Rows without cost_at_list: the catalog, once per service, every page of it.
    const catalog = fake.requests.filter((r) => r.path.startsWith('/v1/services/'));
    expect(catalog.map((r) => [r.path, r.query.get('currencyCode'), r.query.get('pageToken') ?? ''])).toEqual(
      [
        ['/v1/services/95FF-2EF5-5EA1/skus', 'USD', ''],
        ['/v1/services/95FF-2EF5-5EA1/skus', 'USD', 'CgwI2dfJqAYQgIC0sAEaDgoMMEQ1RC02RTIzLTQyNTA='],
        ['/v1/services/C7E2-9256-1C43/skus', 'USD', ''],
      ],
    );
  });

  it('exports what it collected as FOCUS 1.2 (CSV and Parquet) that passes the column checks, with the stored totals', async () => {
    const { violations, billed } = await exportAndCheck(store, 'gcp-pages');
    expect(violations).toEqual([]);
    expect(billed.parquet).toEqual(billed.csv);
    const stored = await costTotals(store, 'gcp-pages');
    expect(Object.values(billed.csv).length).toBe(1);
    expect(Number(Object.values(billed.csv)[0])).toBeCloseTo(Number(stored.billed), 8);
  });
  it('prices rows without cost_at_list from the SKU catalog only where the price is one flat rate', async () => {
    const older = await rows<{ service_name: string; qty: string; list: string }>(
      store,
      `SELECT service_name, toString(pricing_quantity) AS qty, toString(list_cost) AS list FROM costs FINAL
       WHERE x_customer_id = 'gcp-pages' AND charge_period_start = '2026-11-09 00:00:00' AND service_name IN ('Cloud Storage', 'Vertex AI')
       ORDER BY service_name, sub_account_id`,
    );
    expect(older.map((r) => r.service_name)).toEqual(['Cloud Storage', 'Cloud Storage', 'Vertex AI']);
    for (const r of older.slice(0, 2)) expect(r.list).toBe(multiplyDecimals(r.qty, '0.026'));
    // Vertex AI's price is tiered by monthly usage: a day's row cannot know its tier, so no guess.
    expect(older[2]?.list).toBe('0');
  });

  it('keeps credits as their own rows and maps tax, adjustments and late rows to FOCUS columns', async () => {
    const credits = await rows<{ n: number; types: string[] }>(
      store,
      `SELECT count() AS n, arraySort(groupUniqArray(splitByChar(':', x_line_key)[2])) AS types FROM costs FINAL
       WHERE x_customer_id = 'gcp-pages' AND charge_category = 'Credit'`,
    );
    const fixtureCredits = [...page1().rows, ...page2().rows].filter(
      (r) => cell(r, 'kind').v === 'credit',
    ).length;
    expect(credits[0]).toEqual({
      n: fixtureCredits,
      types: ['COMMITTED_USAGE_DISCOUNT', 'PROMOTION', 'SUSTAINED_USAGE_DISCOUNT'],
    });

    const special = await rows<Record<string, string>>(
      store,
      `SELECT charge_category, charge_class, service_name, toString(billed_cost) AS billed, toString(charge_period_start) AS day,
              toString(billing_period_start) AS period, billing_account_name
       FROM costs FINAL WHERE x_customer_id = 'gcp-pages' AND (charge_category IN ('Tax', 'Adjustment') OR charge_period_start < '2026-11-01')
       ORDER BY day`,
    );
    expect(special).toEqual([
      {
        charge_category: 'Usage',
        charge_class: '',
        service_name: 'Compute Engine',
        billed: '0.421337',
        day: '2026-10-31 00:00:00',
        period: '2026-11-01 00:00:00',
        billing_account_name: 'Acme AI — main billing',
      },
      {
        charge_category: 'Tax',
        charge_class: '',
        service_name: 'Invoice',
        billed: '18.94',
        day: '2026-11-10 00:00:00',
        period: '2026-11-01 00:00:00',
        billing_account_name: 'Acme AI — main billing',
      },
      {
        charge_category: 'Adjustment',
        charge_class: 'Correction',
        service_name: 'Compute Engine',
        billed: '-4.400862',
        day: '2026-11-11 00:00:00',
        period: '2026-11-01 00:00:00',
        billing_account_name: 'Acme AI — main billing',
      },
    ]);
  });

  it('retries a rate-limited insert (403 rateLimitExceeded) with the same job id and succeeds', async () => {
    let limited = 0;
    fake.handle(
      googleHandler({
        before: (r) =>
          r.path === JOBS && limited++ < 1
            ? json(fixture('gcp/bigquery/error-rate-limit.json'), 403)
            : undefined,
      }),
    );
    fake.requests.length = 0;
    const { result, view } = await collect('gcp-throttle');
    expect(result.status).toBe('succeeded');
    const ids = jobInserts().map((r) => JSON.parse(r.body).jobReference.jobId);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
    expect(view.billable_requests).toEqual({ 'bq:jobs.insert': 1 });
    expect((await costTotals(store, 'gcp-throttle')).billed).toBe(TOTAL_BILLED);
  });

  it('reuses the job when a retried insert finds it already created (lost response), never running the query twice', async () => {
    let inserts = 0;
    fake.handle(
      googleHandler({
        before: (r) => {
          if (r.path !== JOBS) return undefined;
          inserts++;
          if (inserts === 1)
            return json(
              {
                error: {
                  code: 503,
                  message: 'Backend error',
                  errors: [{ reason: 'backendError', message: 'Backend error' }],
                },
              },
              503,
            );
          const jobId = JSON.parse(r.body).jobReference.jobId;
          return json(
            {
              error: {
                code: 409,
                message: `Already Exists: Job billing-export-prj:US.${jobId}`,
                errors: [
                  { reason: 'duplicate', message: `Already Exists: Job billing-export-prj:US.${jobId}` },
                ],
                status: 'ALREADY_EXISTS',
              },
            },
            409,
          );
        },
      }),
    );
    const { result } = await collect('gcp-lost-response');
    expect(result.status).toBe('succeeded');
    expect(inserts).toBe(2);
    expect((await costTotals(store, 'gcp-lost-response')).billed).toBe(TOTAL_BILLED);
  });

  it('fails with a clear message and writes nothing on invalid credentials (401)', async () => {
    fake.handle(
      googleHandler({
        before: (r) =>
          r.path === JOBS ? json(fixture('gcp/bigquery/error-unauthenticated.json'), 401) : undefined,
      }),
    );
    const { result, view } = await collect('gcp-auth');
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toBe(
      'bq:jobs.insert: Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project. (unauthorized)',
    );
    expect(view.billable_requests).toEqual({});
    expect(await storedVersions(store, 'gcp-auth')).toBe(0);
  });

  it('fails without retrying when the service account may not read the export table (403 accessDenied)', async () => {
    fake.handle(
      googleHandler({
        before: (r) =>
          r.path === JOBS ? json(fixture('gcp/bigquery/error-access-denied.json'), 403) : undefined,
      }),
    );
    fake.requests.length = 0;
    const { result, view } = await collect('gcp-denied');
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toMatch(
      /^bq:jobs\.insert: Access Denied: Table billing-export-prj:billing\.gcp_billing_export_v1_.* \(accessDenied\)$/,
    );
    expect(jobInserts()).toHaveLength(1);
    expect(await storedVersions(store, 'gcp-denied')).toBe(0);
  });

  it('fails on a malformed amount in the second page and writes none of the first', async () => {
    const bad = page2();
    cell(bad.rows[4] as Page['rows'][number], 'cost').v = 'NaN';
    fake.handle(googleHandler({ pages: () => [page1(), bad] }));
    const { result, view } = await collect('gcp-malformed');
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toBe('bq:getQueryResults: malformed row 32: cost is not a decimal: "NaN"');
    expect(await storedVersions(store, 'gcp-malformed')).toBe(0);
  });

  it('says what is missing when the connection has no billing export table', async () => {
    fake.handle(googleHandler({}));
    const { result, view } = await collect('gcp-noexport', { billing_export_table: undefined });
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toContain(
      'has no billing_export_table: GCP cost comes from the Cloud Billing export to BigQuery',
    );
  });

  it('re-collecting the same days three times with restated amounts leaves exactly the latest figures', async () => {
    const restated = (delta: string, dropCredits: boolean) => {
      const pages = [page1(), page2()];
      let billed = '0';
      let facts = 0;
      for (const p of pages) {
        if (dropCredits)
          p.rows = p.rows.filter(
            (r) => !(cell(r, 'kind').v === 'credit' && cell(r, 'credit_type').v === 'PROMOTION'),
          );
        for (const r of p.rows) {
          if (cell(r, 'kind').v === 'usage')
            cell(r, 'cost').v = addDecimals(cell(r, 'cost').v as string, delta);
          billed = addDecimals(billed, cell(r, 'cost').v as string);
          facts++;
        }
      }
      return { pages, billed, facts };
    };
    const served = [restated('0', false), restated('0.013', false), restated('1.5', true)];
    for (const [i, s] of served.entries()) {
      fake.handle(googleHandler({ pages: () => s.pages }));
      const { result } = await collect('gcp-restate', {}, new Date(NOW.getTime() + i * 8 * 3_600_000));
      expect(result.status).toBe('succeeded');
      expect(await costTotals(store, 'gcp-restate')).toMatchObject({ billed: s.billed, rows: s.facts });
    }
    expect(served[2]?.facts).toBe(FACTS - 3);
  });

  it('tests a connection by reading the export table metadata and the billing account (free calls)', async () => {
    fake.handle((r) =>
      r.path ===
      '/bigquery/v2/projects/billing-export-prj/datasets/billing/tables/gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9'
        ? json({
            kind: 'bigquery#table',
            id: `billing-export-prj:billing.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9`,
            type: 'TABLE',
          })
        : googleHandler({})(r),
    );
    fake.requests.length = 0;
    await testConnectionAsConfigured(gcpProvider, connection('gcp-test'), {
      signal: new AbortController().signal,
      logger: undefined as never,
    });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /bigquery/v2/projects/billing-export-prj/datasets/billing/tables/gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9',
      'GET /v1/billingAccounts/01A2B3-C4D5E6-F7A8B9',
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { getWatermark } from '../../../lib/clickhouse/repos/watermarks';
import { runCollection } from '../../../lib/collector/run';
import type { Connection } from '../../../lib/collector/types';
import { testConnectionAsConfigured } from '../../../lib/connections/settings';
import { addDecimals } from '../../../lib/costs/decimal';
import { awsProvider } from '../../../lib/providers/aws';
import type { AwsSettings } from '../../../lib/providers/aws/config';
import { EC2_COMPUTE_SERVICE } from '../../../lib/providers/aws/cost';
import { externalIdFor } from '../../../lib/providers/aws/external-id';
import {
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
  startFakeServer,
} from '../../helpers/fake-server';
import { exportAndCheck } from '../../helpers/focus';
import { rows, testStore } from '../../helpers/store';
import { costJob, costTotals, fixture, fixtureText, run, runDeps, storedVersions } from './cost-kit';

const NOW = new Date('2026-11-12T09:20:00.000Z');
const SECRET = 'test-deployment-secret-0123456789abcdef';
const ROLE = 'arn:aws:iam::123456789012:role/OptiInfraCostReader';

/** Fixture totals, summed independently (Python Decimal) when the fixtures were written. */
const TOTAL_BILLED = '8940.5182832608';
const TOTAL_EFFECTIVE = '8227.7624206096';
const TOTAL_NET = '7981.8616479952';
const FACTS = 110;

type Ce = ReturnType<typeof fixture>;
const page1 = () => fixture('aws/cost-explorer/get-cost-and-usage-page-1.json');
const page2 = () => fixture('aws/cost-explorer/get-cost-and-usage-page-2.json');

const ceError = (status: number, file: string): FakeReply => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.1' },
  body: fixtureText(`aws/cost-explorer/${file}`),
});
const ceOk = (body: unknown): FakeReply => ({
  headers: { 'content-type': 'application/x-amz-json-1.1' },
  body: JSON.stringify(body),
});
const xml = (file: string, status = 200): FakeReply => ({
  status,
  headers: { 'content-type': 'text/xml' },
  body: fixtureText(`aws/sts/${file}`),
});

const target = (r: RecordedRequest) => String(r.headers['x-amz-target'] ?? '');
const ceRequests = (fake: FakeServer) =>
  fake.requests.filter((r) => target(r).startsWith('AWSInsightsIndexService.'));

/**
 * Answers like AWS: STS (query protocol, form body) and Cost Explorer (JSON 1.1, routed on
 * X-Amz-Target). `pages` serves GetCostAndUsage by NextPageToken; `before` may answer first.
 */
function awsHandler(opts: {
  pages?: () => Ce[];
  resources?: () => Ce;
  before?: (r: RecordedRequest) => FakeReply | undefined;
  sts?: (r: RecordedRequest) => FakeReply;
}) {
  return (r: RecordedRequest): FakeReply => {
    if (String(r.headers['content-type']).includes('x-www-form-urlencoded')) {
      if (opts.sts) return opts.sts(r);
      return r.body.includes('Action=AssumeRole') ? xml('assume-role.xml') : xml('get-caller-identity.xml');
    }
    const early = opts.before?.(r);
    if (early) return early;
    const body = JSON.parse(r.body) as { NextPageToken?: string };
    if (target(r) === 'AWSInsightsIndexService.GetCostAndUsageWithResources') {
      return ceOk(
        (opts.resources ?? (() => fixture('aws/cost-explorer/get-cost-and-usage-with-resources.json')))(),
      );
    }
    const pages = (opts.pages ?? (() => [page1(), page2()]))();
    const index = body.NextPageToken
      ? pages.findIndex((_p, i) => i > 0 && pages[i - 1].NextPageToken === body.NextPageToken)
      : 0;
    if (index < 0) return ceError(400, 'limit-exceeded.json');
    return ceOk(pages[index]);
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

function connection(customerId: string, settings: Partial<AwsSettings> = {}): Connection<AwsSettings> {
  return {
    id: 'payer',
    customerId,
    provider: 'aws',
    enabled: true,
    // What the runtime fills in: the product-generated ExternalId (lib/providers/aws/external-id.ts).
    settings: {
      role_arn: ROLE,
      external_id: externalIdFor(customerId, SECRET),
      endpoint: fake.url,
      ...settings,
    } as AwsSettings,
    // Master credentials that call sts:AssumeRole (the function's role in AWS).
    secrets: { access_key_id: 'TESTACCESSKEYID00001', secret_access_key: 'master-secret-key-value' },
    source: 'config',
  };
}

async function collect(customerId: string, settings: Partial<AwsSettings> = {}, now = NOW) {
  const job = costJob(customerId, 'aws', now);
  const deps = runDeps(store, awsProvider, [connection(customerId, settings)], () => now);
  const result = await runCollection(job, deps);
  return { result, view: await run(store, job.taskId) };
}

describe('AWS cost collector (Cost Explorer through @aws-sdk/client-cost-explorer)', () => {
  it('collects every page of daily cost per service and linked account, exact to the cent', async () => {
    fake.handle(awsHandler({}));
    fake.requests.length = 0;
    const { result, view } = await collect('aws-pages');

    expect(result.status).toBe('succeeded');
    expect(view.rows_collected).toEqual({ cost: FACTS });
    expect(view.billable_requests).toEqual({ 'ce:GetCostAndUsage': 2 });
    expect(await costTotals(store, 'aws-pages')).toEqual({
      rows: FACTS,
      billed: TOTAL_BILLED,
      effective: TOTAL_EFFECTIVE,
    });
    const [net] = await rows<{ net: string }>(
      store,
      'SELECT toString(sum(x_net_effective_cost)) AS net FROM costs FINAL WHERE x_customer_id = {c:String}',
      { c: 'aws-pages' },
    );
    expect(net?.net).toBe(TOTAL_NET);

    // The wire: AssumeRole with the generated ExternalId, then two signed, paged queries.
    const assume = fake.requests.find((r) => r.body.includes('Action=AssumeRole'));
    const form = new URLSearchParams(assume?.body);
    expect(form.get('RoleArn')).toBe(ROLE);
    expect(form.get('ExternalId')).toBe(externalIdFor('aws-pages', SECRET));
    const [first, second] = ceRequests(fake).map((r) => ({
      body: JSON.parse(r.body),
      auth: String(r.headers.authorization),
    }));
    expect(first?.body).toEqual({
      TimePeriod: { Start: '2026-10-01', End: '2026-11-13' },
      Granularity: 'DAILY',
      Metrics: ['UnblendedCost', 'AmortizedCost', 'NetAmortizedCost', 'UsageQuantity'],
      GroupBy: [
        { Type: 'DIMENSION', Key: 'SERVICE' },
        { Type: 'DIMENSION', Key: 'LINKED_ACCOUNT' },
      ],
    });
    expect(second?.body.NextPageToken).toBe('AAMA-EFRSURBajZ1UWc9PQ');
    expect(first?.auth).toContain('Credential=ASIAIOSFODNN7EXAMPLE/');
    expect(ceRequests(fake)).toHaveLength(2);
  });

  it('exports what it collected as FOCUS 1.2 (CSV and Parquet) that passes the column checks, with the stored totals', async () => {
    const { violations, billed } = await exportAndCheck(store, 'aws-pages');
    expect(violations).toEqual([]);
    expect(billed.parquet).toEqual(billed.csv);
    const stored = await costTotals(store, 'aws-pages');
    expect(Object.values(billed.csv).length).toBe(1);
    expect(Number(Object.values(billed.csv)[0])).toBeCloseTo(Number(stored.billed), 8);
  });
  it('maps Cost Explorer facts to FOCUS columns: payer, linked account and its name, tax, tiny amounts', async () => {
    const facts = await rows<Record<string, string>>(
      store,
      `SELECT billing_account_id, sub_account_id, sub_account_name, service_name, charge_category, billing_currency,
              toString(billed_cost) AS billed, toString(effective_cost) AS effective, toString(x_net_effective_cost) AS net,
              toString(consumed_quantity) AS qty, toString(charge_period_start) AS day, toString(billing_period_start) AS month
       FROM costs FINAL WHERE x_customer_id = 'aws-pages' AND charge_period_start = '2026-11-02 00:00:00'
         AND (service_name = 'AWS Key Management Service' OR (service_name = {ec2:String} AND sub_account_id = '111122223333'))
       ORDER BY service_name`,
      { ec2: EC2_COMPUTE_SERVICE },
    );
    const fromFixture = page1().ResultsByTime[1].Groups[0].Metrics;
    expect(facts).toEqual([
      {
        billing_account_id: '123456789012',
        sub_account_id: '444455556666',
        sub_account_name: 'inference-prod',
        service_name: 'AWS Key Management Service',
        charge_category: 'Usage',
        billing_currency: 'USD',
        billed: '0.0000001234',
        effective: '0.0000001234',
        net: '0.0000001234',
        qty: '4',
        day: '2026-11-02 00:00:00',
        month: '2026-11-01 00:00:00',
      },
      {
        billing_account_id: '123456789012',
        sub_account_id: '111122223333',
        sub_account_name: 'ml-training',
        service_name: EC2_COMPUTE_SERVICE,
        charge_category: 'Usage',
        billing_currency: 'USD',
        billed: fromFixture.UnblendedCost.Amount,
        effective: fromFixture.AmortizedCost.Amount,
        net: fromFixture.NetAmortizedCost.Amount,
        qty: fromFixture.UsageQuantity.Amount,
        day: '2026-11-02 00:00:00',
        month: '2026-11-01 00:00:00',
      },
    ]);
    const [tax] = await rows<{ category: string; billed: string }>(
      store,
      `SELECT charge_category AS category, toString(billed_cost) AS billed FROM costs FINAL
       WHERE x_customer_id = 'aws-pages' AND service_name = 'Tax'`,
    );
    expect(tax).toEqual({ category: 'Tax', billed: '31.07' });
  });

  it('waits out throttling (LimitExceededException) and then succeeds; throttled calls are not billed', async () => {
    let throttled = 0;
    fake.handle(
      awsHandler({
        before: (r) => {
          if (target(r) === 'AWSInsightsIndexService.GetCostAndUsage' && throttled < 2) {
            throttled++;
            return ceError(400, 'limit-exceeded.json');
          }
          return undefined;
        },
      }),
    );
    fake.requests.length = 0;
    const { result, view } = await collect('aws-throttle');
    expect(result.status).toBe('succeeded');
    expect(ceRequests(fake)).toHaveLength(4);
    expect(view.billable_requests).toEqual({ 'ce:GetCostAndUsage': 2 });
    expect(await costTotals(store, 'aws-throttle')).toEqual({
      rows: FACTS,
      billed: TOTAL_BILLED,
      effective: TOTAL_EFFECTIVE,
    });
  });

  it('fails with a clear message and writes nothing when Cost Explorer denies access', async () => {
    fake.handle(awsHandler({ before: () => ceError(400, 'access-denied.json') }));
    const { result, view } = await collect('aws-denied');
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toMatch(
      /^ce:GetCostAndUsage: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role\/OptiInfraCostReader\/optiinfra-acme-aws is not authorized to perform: ce:GetCostAndUsage/,
    );
    expect(view.billable_requests).toEqual({});
    expect(await storedVersions(store, 'aws-denied')).toBe(0);
    expect(
      await getWatermark(store, { customerId: 'aws-denied', provider: 'aws', dataType: 'cost' }),
    ).toBeNull();
  });

  it('fails with a clear message when the customer role refuses AssumeRole (wrong ExternalId or trust policy)', async () => {
    fake.handle(awsHandler({ sts: () => xml('assume-role-access-denied.xml', 403) }));
    fake.requests.length = 0;
    const { result, view } = await collect('aws-trust');
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toContain(
      'is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/OptiInfraCostReader',
    );
    expect(ceRequests(fake)).toHaveLength(0);
    expect(await storedVersions(store, 'aws-trust')).toBe(0);
  });

  it('fails on a malformed amount on the last page and writes none of the earlier pages', async () => {
    const bad = page2();
    bad.ResultsByTime[2].Groups[3].Metrics.UnblendedCost.Amount = '12,34';
    fake.handle(awsHandler({ pages: () => [page1(), bad] }));
    const { result, view } = await collect('aws-malformed');
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toBe(
      'ce:GetCostAndUsage: malformed response: ResultsByTime[2].Groups[3].Metrics.UnblendedCost.Amount is not a decimal: "12,34"',
    );
    // Both pages were answered, so AWS charged both: the spend is recorded even though the run failed.
    expect(view.billable_requests).toEqual({ 'ce:GetCostAndUsage': 2 });
    expect(await storedVersions(store, 'aws-malformed')).toBe(0);
  });

  it('fails when Cost Explorer answers with a body that is not JSON, and writes nothing', async () => {
    fake.handle(
      awsHandler({
        before: () => ({
          headers: { 'content-type': 'application/x-amz-json-1.1' },
          body: '<html>gateway</html>',
        }),
      }),
    );
    const { result, view } = await collect('aws-notjson');
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toBe('ce:GetCostAndUsage: response is not valid JSON');
    expect(await storedVersions(store, 'aws-notjson')).toBe(0);
  });

  it('re-collecting the same days three times with restated amounts leaves exactly the latest figures', async () => {
    /** Each run serves the fixture with amounts shifted by `delta`; the third also loses one fact. */
    const restated = (delta: string, dropLambda: boolean) => {
      const pages = [page1(), page2()];
      let billed = '0';
      let facts = 0;
      for (const p of pages) {
        for (const r of p.ResultsByTime) {
          if (dropLambda && r.TimePeriod.Start === '2026-11-05') {
            r.Groups = r.Groups.filter((g: { Keys: string[] }) => g.Keys[0] !== 'AWS Lambda');
          }
          for (const g of r.Groups) {
            g.Metrics.UnblendedCost.Amount = addDecimals(g.Metrics.UnblendedCost.Amount, delta);
            billed = addDecimals(billed, g.Metrics.UnblendedCost.Amount);
            facts++;
          }
        }
      }
      return { pages, billed, facts };
    };
    const runs = [restated('0', false), restated('0.37', false), restated('-0.05', true)];
    for (const [i, served] of runs.entries()) {
      fake.handle(awsHandler({ pages: () => served.pages }));
      const { result } = await collect('aws-restate', {}, new Date(NOW.getTime() + i * 8 * 3_600_000));
      expect(result.status).toBe('succeeded');
      const totals = await costTotals(store, 'aws-restate');
      expect(totals.billed).toBe(served.billed);
      expect(totals.rows).toBe(served.facts);
    }
    expect(runs[2]?.facts).toBe(FACTS - 1);
    const [lambda] = await rows<{ n: string }>(
      store,
      `SELECT count() AS n FROM costs FINAL WHERE x_customer_id = 'aws-restate' AND service_name = 'AWS Lambda'
         AND charge_period_start = '2026-11-05 00:00:00'`,
    );
    expect(lambda?.n).toBe(0);
  });

  it('breaks EC2 compute down per instance for the last 14 days without changing any total', async () => {
    fake.handle(awsHandler({}));
    fake.requests.length = 0;
    const { result, view } = await collect('aws-resources', { resource_level_costs: true });
    expect(result.status).toBe('succeeded');
    expect(view.billable_requests).toEqual({ 'ce:GetCostAndUsage': 2, 'ce:GetCostAndUsageWithResources': 1 });

    const withResources = ceRequests(fake).find((r) => target(r).endsWith('WithResources'));
    expect(JSON.parse(withResources?.body ?? '{}')).toMatchObject({
      TimePeriod: { Start: '2026-10-30', End: '2026-11-13' },
      GroupBy: [
        { Type: 'DIMENSION', Key: 'RESOURCE_ID' },
        { Type: 'DIMENSION', Key: 'LINKED_ACCOUNT' },
      ],
      Filter: { Dimensions: { Key: 'SERVICE', Values: [EC2_COMPUTE_SERVICE] } },
    });
    const totals = await costTotals(store, 'aws-resources');
    expect(totals.billed).toBe(TOTAL_BILLED);
    expect(totals.effective).toBe(TOTAL_EFFECTIVE);

    const day = await rows<{ resource_id: string; billed: string }>(
      store,
      `SELECT resource_id, toString(billed_cost) AS billed FROM costs FINAL
       WHERE x_customer_id = 'aws-resources' AND service_name = {ec2:String} AND sub_account_id = '111122223333'
         AND charge_period_start = '2026-11-10 00:00:00' ORDER BY resource_id`,
      { ec2: EC2_COMPUTE_SERVICE },
    );
    const serviceTotal = page2().ResultsByTime[3].Groups[0].Metrics.UnblendedCost.Amount;
    expect(day.map((d) => d.resource_id)).toEqual(['', 'i-0a1b2c3d4e5f60718', 'i-0f9e8d7c6b5a40312']);
    expect(addDecimals(...day.map((d) => d.billed))).toBe(serviceTotal);
    const [instances] = await rows<{ n: string }>(
      store,
      `SELECT count() AS n FROM costs FINAL WHERE x_customer_id = 'aws-resources' AND resource_id LIKE 'i-%'`,
    );
    expect(instances?.n).toBe(9);
  });

  it('restricts both queries to the configured linked accounts', async () => {
    fake.handle(awsHandler({}));
    fake.requests.length = 0;
    const { result } = await collect('aws-linked', {
      linked_accounts: ['111122223333'],
      resource_level_costs: true,
    });
    expect(result.status).toBe('succeeded');
    const [usage, resources] = [
      ceRequests(fake).find((r) => target(r).endsWith('.GetCostAndUsage')),
      ceRequests(fake).find((r) => target(r).endsWith('WithResources')),
    ].map((r) => JSON.parse(r?.body ?? '{}'));
    const linked = { Dimensions: { Key: 'LINKED_ACCOUNT', Values: ['111122223333'] } };
    expect(usage.Filter).toEqual(linked);
    expect(resources.Filter).toEqual({
      And: [{ Dimensions: { Key: 'SERVICE', Values: [EC2_COMPUTE_SERVICE] } }, linked],
    });
  });

  it('fails with the provider message when resource-level data is not enabled in Cost Explorer', async () => {
    fake.handle(
      awsHandler({
        before: (r) =>
          target(r).endsWith('WithResources') ? ceError(400, 'data-unavailable.json') : undefined,
      }),
    );
    const { result, view } = await collect('aws-nores', { resource_level_costs: true });
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toContain(
      'ce:GetCostAndUsageWithResources: DataUnavailableException: Resource-level data is not enabled',
    );
    expect(await storedVersions(store, 'aws-nores')).toBe(0);
  });

  it('tests a connection with STS GetCallerIdentity through the assumed role (no Cost Explorer charge)', async () => {
    fake.handle(awsHandler({}));
    fake.requests.length = 0;
    const conn = connection('aws-test');
    await testConnectionAsConfigured(awsProvider, conn, {
      signal: new AbortController().signal,
      logger: undefined as never,
    });
    expect(fake.requests.map((r) => new URLSearchParams(r.body).get('Action'))).toEqual([
      'AssumeRole',
      'GetCallerIdentity',
    ]);
    expect(ceRequests(fake)).toHaveLength(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { runCollection } from '../../../lib/collector/run';
import type { Connection } from '../../../lib/collector/types';
import { azureProvider } from '../../../lib/providers/azure';
import type { AzureSettings } from '../../../lib/providers/azure/config';
import {
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
  startFakeServer,
} from '../../helpers/fake-server';
import { exportAndCheck } from '../../helpers/focus';
import { rows, testStore } from '../../helpers/store';
import { costJob, costTotals, fixtureText, run, runDeps, storedVersions } from './cost-kit';

const NOW = new Date('2026-11-12T09:20:00.000Z');
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '3b1f6c2e-9d4a-4e7b-8c5d-2a1b0f9e8d7c';
const SUB = '8f3c2b1a-4d5e-4f60-9a7b-1c2d3e4f5a6b';
const QUERY = `/subscriptions/${SUB}/providers/Microsoft.CostManagement/query`;
const SECRET = 'azure-client-secret-value~123';

/** Fixture totals, summed independently (Python Decimal, each amount rounded to 10 places) when written. */
const TOTAL_ACTUAL = '5852.5643496995';
const TOTAL_AMORTIZED = '1000.507711479';
const FACTS = 21;

const json = (text: string, status = 200, headers: Record<string, string> = {}): FakeReply => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: text,
});
const cm = (file: string) => fixtureText(`azure/cost-management/${file}`);

interface Pages {
  actual: string[];
  amortized: string[];
}
const fixturePages = (): Pages => ({
  actual: [cm('query-actual-page-1.json'), cm('query-actual-page-2.json')],
  amortized: [cm('query-amortized.json')],
});

/**
 * Microsoft Entra token endpoint and the Cost Management Query API: the first page is the
 * POST to the scope, further pages are POSTs of the same body to `nextLink` ($skiptoken).
 */
function azureHandler(opts: { pages?: () => Pages; before?: (r: RecordedRequest) => FakeReply | undefined }) {
  return (r: RecordedRequest): FakeReply => {
    const early = opts.before?.(r);
    if (early) return early;
    if (r.path === `/${TENANT}/oauth2/v2.0/token`) return json(fixtureText('azure/identity/token.json'));
    if (r.method === 'POST' && r.path === QUERY) {
      const pages = (opts.pages ?? fixturePages)();
      const type = (JSON.parse(r.body) as { type: string }).type;
      const list = type === 'ActualCost' ? pages.actual : pages.amortized;
      return json((r.query.get('$skiptoken') ? list[1] : list[0]) as string);
    }
    return json('{"error":{"code":"NotFound","message":"no such path"}}', 404);
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

function connection(customerId: string, settings: Partial<AzureSettings> = {}): Connection<AzureSettings> {
  return {
    id: 'sub-main',
    customerId,
    provider: 'azure',
    enabled: true,
    settings: {
      tenant_id: TENANT,
      client_id: CLIENT,
      subscription_ids: [SUB],
      endpoint: fake.url,
      ...settings,
    } as AzureSettings,
    secrets: { client_secret: SECRET },
    source: 'config',
  };
}

async function collect(
  customerId: string,
  now = NOW,
  retry?: { maxAttempts: number; baseMs: number; capMs: number },
) {
  const job = costJob(customerId, 'azure', now);
  const deps = runDeps(store, azureProvider, [connection(customerId)], () => now);
  const result = await runCollection(job, retry ? { ...deps, retry } : deps);
  return { result, view: await run(store, job.taskId) };
}

const queries = () => fake.requests.filter((r) => r.path === QUERY);

describe('Azure cost collector (Cost Management Query through @azure/arm-costmanagement)', () => {
  it('joins ActualCost and AmortizedCost over every nextLink page, exact to the cent', async () => {
    fake.handle(azureHandler({}));
    fake.requests.length = 0;
    const { result, view } = await collect('az-pages');

    expect(result.status).toBe('succeeded');
    expect(view.rows_collected).toEqual({ cost: FACTS });
    expect(view.billable_requests).toEqual({});
    expect(await costTotals(store, 'az-pages')).toEqual({
      rows: FACTS,
      billed: TOTAL_ACTUAL,
      effective: TOTAL_AMORTIZED,
    });

    const token = fake.requests.find((r) => r.path.endsWith('/oauth2/v2.0/token'));
    const form = new URLSearchParams(token?.body);
    expect(form.get('client_id')).toBe(CLIENT);
    expect(form.get('scope')).toBe('https://management.azure.com/.default');

    const [first, second, third] = queries();
    expect(first?.query.get('api-version')).toBe('2022-10-01');
    expect(first?.headers.authorization).toMatch(/^Bearer eyJ/);
    expect(JSON.parse(first?.body ?? '{}')).toEqual({
      type: 'ActualCost',
      timeframe: 'Custom',
      timePeriod: { from: '2026-10-01T00:00:00.000Z', to: '2026-11-12T23:59:59.000Z' },
      dataset: {
        granularity: 'Daily',
        aggregation: { totalCost: { name: 'Cost', function: 'Sum' } },
        grouping: [
          { type: 'Dimension', name: 'ResourceId' },
          { type: 'Dimension', name: 'ServiceName' },
        ],
      },
    });
    // The next page: the same body, POSTed to nextLink, through the same authenticated pipeline.
    expect(second?.query.get('$skiptoken')).toBe('AQAAAA==');
    expect(second?.body).toBe(first?.body);
    expect(second?.headers.authorization).toBe(first?.headers.authorization);
    expect(JSON.parse(third?.body ?? '{}').type).toBe('AmortizedCost');
    expect(queries()).toHaveLength(3);
  });

  it('exports what it collected as FOCUS 1.2 (CSV and Parquet) that passes the column checks, with the stored totals', async () => {
    const { violations, billed } = await exportAndCheck(store, 'az-pages');
    expect(violations).toEqual([]);
    expect(billed.parquet).toEqual(billed.csv);
    const stored = await costTotals(store, 'az-pages');
    expect(Object.values(billed.csv).length).toBe(1);
    expect(Number(Object.values(billed.csv)[0])).toBeCloseTo(Number(stored.billed), 8);
  });
  it('maps resources to FOCUS columns, with the resource group kept and reservation charges on their own row', async () => {
    const vm = await rows<Record<string, unknown>>(
      store,
      `SELECT sub_account_id, resource_name, resource_type, service_name, tags, billing_currency FROM costs FINAL
       WHERE x_customer_id = 'az-pages' AND resource_name = 'nd96-train-01' AND charge_period_start = '2026-11-10 00:00:00'`,
    );
    expect(vm).toEqual([
      {
        sub_account_id: SUB,
        resource_name: 'nd96-train-01',
        resource_type: 'microsoft.compute/virtualmachines',
        service_name: 'Virtual Machines',
        tags: { x_resource_group: 'ml-training' },
        billing_currency: 'USD',
      },
    ]);
    const reservation = await rows<{ billed: string; effective: string }>(
      store,
      `SELECT toString(billed_cost) AS billed, toString(effective_cost) AS effective FROM costs FINAL
       WHERE x_customer_id = 'az-pages' AND resource_id = '' AND charge_period_start = '2026-11-10 00:00:00'`,
    );
    // Bought on the 10th (ActualCost), amortized daily (AmortizedCost, 21 significant digits on the wire).
    expect(reservation).toEqual([{ billed: '4380', effective: '12.3456789012' }]);
  });

  it('on 429 waits as long as the longest Cost Management retry header says, then succeeds', async () => {
    const seen: number[] = [];
    let limited = false;
    fake.handle(
      azureHandler({
        before: (r) => {
          if (r.path !== QUERY) return undefined;
          seen.push(Date.now());
          if (limited) return undefined;
          limited = true;
          return json(cm('error-429.json'), 429, {
            'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after': '0.1',
            'x-ms-ratelimit-microsoft.costmanagement-entity-retry-after': '0.4',
            'x-ms-ratelimit-microsoft.costmanagement-qpu-remaining': 'QueryResource=0',
          });
        },
      }),
    );
    const { result } = await collect('az-throttle', NOW, { maxAttempts: 3, baseMs: 1, capMs: 200 });
    expect(result.status).toBe('succeeded');
    expect(seen).toHaveLength(4);
    expect((seen[1] as number) - (seen[0] as number)).toBeGreaterThanOrEqual(390);
    expect((await costTotals(store, 'az-throttle')).billed).toBe(TOTAL_ACTUAL);
  });

  it('retries a nextLink page that fails with 503 and completes the collection', async () => {
    let failed = false;
    fake.handle(
      azureHandler({
        before: (r) => {
          if (r.path === QUERY && r.query.get('$skiptoken') && !failed) {
            failed = true;
            return json(
              '{"error":{"code":"ServiceUnavailable","message":"The service is temporarily unavailable."}}',
              503,
            );
          }
          return undefined;
        },
      }),
    );
    const { result } = await collect('az-page-retry');
    expect(result.status).toBe('succeeded');
    expect(await costTotals(store, 'az-page-retry')).toEqual({
      rows: FACTS,
      billed: TOTAL_ACTUAL,
      effective: TOTAL_AMORTIZED,
    });
  });

  it('fails with a clear message and writes nothing when Entra ID rejects the client secret', async () => {
    fake.handle(
      azureHandler({
        before: (r) =>
          r.path.endsWith('/oauth2/v2.0/token')
            ? json(fixtureText('azure/identity/token-invalid-client.json'), 401)
            : undefined,
      }),
    );
    fake.requests.length = 0;
    const { result, view } = await collect('az-token');
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toMatch(
      /^azure:query ActualCost subscriptions\/.+: token request failed: .*AADSTS7000215: Invalid client secret provided/,
    );
    expect(view.errors.cost).not.toContain(SECRET);
    expect(queries()).toHaveLength(0);
    expect(await storedVersions(store, 'az-token')).toBe(0);
  });

  it('fails with the ARM message when the principal lacks Cost Management Reader (403), writing nothing', async () => {
    fake.handle(
      azureHandler({
        before: (r) => (r.path === QUERY ? json(cm('error-authorization-failed.json'), 403) : undefined),
      }),
    );
    const { result, view } = await collect('az-denied');
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toBe(
      `azure:query ActualCost subscriptions/${SUB}: HTTP 403 AuthorizationFailed: The client '${CLIENT}' with object id '${CLIENT}' does not have authorization to perform action 'Microsoft.CostManagement/query/action' over scope '/subscriptions/${SUB}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
    expect(await storedVersions(store, 'az-denied')).toBe(0);
  });

  it('fails on a malformed cost on the second page and writes none of the first', async () => {
    const bad = cm('query-actual-page-2.json').replace(/\[(\d+\.\d+), 20261111/, '["12,50", 20261111');
    expect(bad).not.toBe(cm('query-actual-page-2.json'));
    fake.handle(
      azureHandler({ pages: () => ({ ...fixturePages(), actual: [cm('query-actual-page-1.json'), bad] }) }),
    );
    const { result, view } = await collect('az-malformed');
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toMatch(
      /^azure:query ActualCost subscriptions\/.+: malformed response: properties\.rows\[\d+\]\[0\] \(Cost\) is not a number: "12,50"$/,
    );
    expect(await storedVersions(store, 'az-malformed')).toBe(0);
  });

  it('re-collecting the same days three times with restated amounts leaves exactly the latest figures', async () => {
    /** Replaces every cost that starts with `from` by `to` (restated figures), optionally dropping the disk rows. */
    const restate = (to: string, dropDisk: boolean): Pages => {
      const edit = (text: string) => {
        let out = text.replace(/\[\d+(\.\d+)?, (2026\d{4})/g, `[${to}, $2`);
        if (dropDisk)
          out = out.replace(/,?\s*\[[^\]]*nd96-train-01_osdisk[^\]]*\]/g, '').replace(/\[\s*,/, '[');
        return out;
      };
      const p = fixturePages();
      return { actual: p.actual.map(edit), amortized: p.amortized.map(edit) };
    };
    const runs: { pages: Pages; facts: number; billed: string }[] = [
      { pages: fixturePages(), facts: FACTS, billed: TOTAL_ACTUAL },
      { pages: restate('2.5', false), facts: FACTS, billed: String(19 * 2.5) },
      { pages: restate('1.25', true), facts: FACTS - 3, billed: String(16 * 1.25) },
    ];
    for (const [i, r] of runs.entries()) {
      fake.handle(azureHandler({ pages: () => r.pages }));
      const { result } = await collect('az-restate', new Date(NOW.getTime() + i * 8 * 3_600_000));
      expect(result.status).toBe('succeeded');
      expect(await costTotals(store, 'az-restate')).toMatchObject({ rows: r.facts, billed: r.billed });
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { runCollection } from '../../../lib/collector/run';
import type { Connection } from '../../../lib/collector/types';
import { testConnectionAsConfigured } from '../../../lib/connections/settings';
import { addDecimals } from '../../../lib/costs/decimal';
import { vultrProvider } from '../../../lib/providers/vultr';
import {
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
  startFakeServer,
} from '../../helpers/fake-server';
import { exportAndCheck } from '../../helpers/focus';
import { rows, testStore } from '../../helpers/store';
import { costJob, costTotals, fixture, fixtureText, run, runDeps, storedVersions } from './cost-kit';

const NOW = new Date('2026-11-02T09:20:00.000Z');
const API_KEY = 'VULTRAPIKEY0123456789ABCDEFGHIJKLMNOP';
const INVOICE = '29871532';

/** Fixture totals, summed independently (Python Decimal) when the fixtures were written. */
const NOVEMBER_PENDING = '184.66';
const OCTOBER_INVOICE = '3224.87';

interface Line {
  description: string;
  start_date: string;
  end_date: string;
  units: number;
  unit_type: string;
  unit_price: number;
  total: number | string;
  product: string;
}
interface Billing {
  invoices: unknown;
  items: { invoice_items: Line[]; meta: unknown }[];
  pending: { pending_charges: Line[] };
}
const billing = (): Billing => ({
  invoices: fixture('vultr/billing/invoices.json'),
  items: [
    fixture('vultr/billing/invoice-items-page-1.json'),
    fixture('vultr/billing/invoice-items-page-2.json'),
  ],
  pending: fixture('vultr/billing/pending-charges.json'),
});

const json = (body: unknown, status = 200): FakeReply => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** The Vultr API v2 (Bearer key, cursor pagination in meta.links.next). */
function vultrHandler(opts: {
  billing?: () => Billing;
  before?: (r: RecordedRequest) => FakeReply | undefined;
}) {
  return (r: RecordedRequest): FakeReply => {
    if (r.headers.authorization !== `Bearer ${API_KEY}`)
      return json(fixtureText('vultr/billing/error-401.json'), 401);
    const early = opts.before?.(r);
    if (early) return early;
    const b = (opts.billing ?? billing)();
    const cursor = r.query.get('cursor');
    switch (r.path) {
      case '/v2/instances':
        return json(
          fixture(
            cursor === 'bmV4dF9fYzFkMmUzZjQ='
              ? 'vultr/instances/list-page-2.json'
              : 'vultr/instances/list-page-1.json',
          ),
        );
      case '/v2/billing/invoices':
        return json(b.invoices);
      case `/v2/billing/invoices/${INVOICE}/items`:
        return json(cursor === 'aXRlbXNfXzQ=' ? b.items[1] : b.items[0]);
      case '/v2/billing/pending-charges':
        return json(b.pending);
      case '/v2/account':
        return json(fixture('vultr/account/get.json'));
      default:
        return json({ error: `Invalid path ${r.path}`, status: 404 }, 404);
    }
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

function connection(customerId: string, apiKey = API_KEY): Connection {
  return {
    id: 'vultr-main',
    customerId,
    provider: 'vultr',
    enabled: true,
    settings: { base_url: fake.url },
    secrets: { api_key: apiKey },
    source: 'config',
  };
}

async function collect(customerId: string, now = NOW, apiKey = API_KEY) {
  const job = costJob(customerId, 'vultr', now);
  const result = await runCollection(
    job,
    runDeps(store, vultrProvider, [connection(customerId, apiKey)], () => now),
  );
  return { result, view: await run(store, job.taskId) };
}

const monthTotal = async (customerId: string, month: string) =>
  (await costTotals(store, customerId, `billing_period_start = '${month} 00:00:00'`)).billed;

describe('Vultr cost collector (API v2 billing over fetch)', () => {
  it('collects the closed month from its invoice items and the open month from pending charges, across pages', async () => {
    fake.handle(vultrHandler({}));
    fake.requests.length = 0;
    const { result, view } = await collect('vultr-pages');
    expect(result.status).toBe('succeeded');
    expect(view.rows_collected).toEqual({ cost: 14 });
    expect(view.billable_requests).toEqual({});
    expect(await monthTotal('vultr-pages', '2026-10-01')).toBe(OCTOBER_INVOICE);
    expect(await monthTotal('vultr-pages', '2026-11-01')).toBe(NOVEMBER_PENDING);
    expect((await costTotals(store, 'vultr-pages')).billed).toBe(
      addDecimals(OCTOBER_INVOICE, NOVEMBER_PENDING),
    );

    expect(
      fake.requests.map((r) => `${r.path}${r.query.get('cursor') ? ` cursor=${r.query.get('cursor')}` : ''}`),
    ).toEqual([
      '/v2/instances',
      '/v2/instances cursor=bmV4dF9fYzFkMmUzZjQ=',
      '/v2/billing/invoices',
      `/v2/billing/invoices/${INVOICE}/items`,
      `/v2/billing/invoices/${INVOICE}/items cursor=aXRlbXNfXzQ=`,
      '/v2/billing/pending-charges',
    ]);
    expect(
      fake.requests.every(
        (r) => r.query.get('per_page') === '500' || r.path === '/v2/billing/pending-charges',
      ),
    ).toBe(true);
  });

  it('exports what it collected as FOCUS 1.2 (CSV and Parquet) that passes the column checks, with the stored totals', async () => {
    const { violations, billed } = await exportAndCheck(store, 'vultr-pages');
    expect(violations).toEqual([]);
    expect(billed.parquet).toEqual(billed.csv);
    const stored = await costTotals(store, 'vultr-pages');
    expect(Object.values(billed.csv).length).toBe(1);
    expect(Number(Object.values(billed.csv)[0])).toBeCloseTo(Number(stored.billed), 8);
  });
  it('attributes lines to instances where the line names one (label or id), and keeps the rest on the product', async () => {
    const lines = await rows<{
      service_name: string;
      resource_id: string;
      resource_name: string;
      billed: string;
    }>(
      store,
      `SELECT service_name, resource_id, resource_name, toString(billed_cost) AS billed FROM costs FINAL
       WHERE x_customer_id = 'vultr-pages' AND billing_period_start = '2026-11-01 00:00:00' ORDER BY service_name, resource_name, resource_id`,
    );
    expect(lines).toEqual([
      {
        service_name: 'Bare Metal',
        resource_id: '6a1f0e5c-2b7d-4c8e-9f1a-3b4c5d6e7f80',
        resource_name: '',
        billed: '9.08',
      },
      { service_name: 'Block Storage', resource_id: '', resource_name: '', billed: '1.15' },
      {
        service_name: 'Cloud Compute',
        resource_id: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
        resource_name: 'inference-api',
        billed: '1.19',
      },
      {
        service_name: 'Cloud Compute',
        resource_id: '0f1e2d3c-4b5a-4697-8877-665544332211',
        resource_name: 'web-frontend',
        billed: '1.19',
      },
      {
        service_name: 'Cloud GPU',
        resource_id: 'b7e5a2c1-3d4f-4a6b-8c9d-0e1f2a3b4c5d',
        resource_name: 'gpu-trainer-01',
        billed: '85.93',
      },
      {
        service_name: 'Cloud GPU',
        resource_id: 'c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5',
        resource_name: 'gpu-trainer-02',
        billed: '85.93',
      },
      { service_name: 'Snapshots', resource_id: '', resource_name: '', billed: '0.19' },
    ]);
  });

  it('keeps a closed month’s pending figures until its invoice exists, then the invoice replaces them exactly', async () => {
    // October 31: October is the open month; its pending charges so far.
    const octPending = (): Billing => {
      const b = billing();
      const lines = b.items
        .flatMap((p) => p.invoice_items)
        .map((l) => ({
          ...l,
          end_date: '2026-10-31T20:00:00+00:00',
          total: addDecimals(String(l.total), '-1'),
        }));
      // A customer new in October: no invoice yet.
      return {
        ...b,
        invoices: { billing_invoices: [], meta: { total: 0, links: { next: '', prev: '' } } },
        pending: { pending_charges: lines },
      };
    };
    fake.handle(vultrHandler({ billing: octPending }));
    expect((await collect('vultr-close', new Date('2026-10-31T20:00:00.000Z'))).result.status).toBe(
      'succeeded',
    );
    const october = addDecimals(OCTOBER_INVOICE, '-7');
    expect(await monthTotal('vultr-close', '2026-10-01')).toBe(october);

    // November 1, before Vultr issued October's invoice: October stays as it was.
    const noInvoiceYet = (): Billing => {
      const b = billing();
      const invoices = b.invoices as { billing_invoices: { date: string }[] };
      return {
        ...b,
        invoices: { ...invoices, billing_invoices: invoices.billing_invoices.slice(1) },
        pending: { pending_charges: [] },
      };
    };
    fake.handle(vultrHandler({ billing: noInvoiceYet }));
    expect((await collect('vultr-close', new Date('2026-11-01T05:00:00.000Z'))).result.status).toBe(
      'succeeded',
    );
    expect(await monthTotal('vultr-close', '2026-10-01')).toBe(october);

    // November 2: the invoice is there; its items are October now.
    fake.handle(vultrHandler({}));
    expect((await collect('vultr-close', NOW)).result.status).toBe('succeeded');
    expect(await monthTotal('vultr-close', '2026-10-01')).toBe(OCTOBER_INVOICE);
    const [sources] = await rows<{ sources: string[] }>(
      store,
      `SELECT groupUniqArray(tags['x_source']) AS sources FROM costs FINAL
       WHERE x_customer_id = 'vultr-close' AND billing_period_start = '2026-10-01 00:00:00'`,
    );
    expect(sources?.sources).toEqual(['invoice']);
  });

  it('retries a 429 and succeeds', async () => {
    let limited = 0;
    fake.handle(
      vultrHandler({
        before: (r) =>
          r.path === '/v2/billing/pending-charges' && limited++ < 2
            ? json(fixtureText('vultr/billing/error-429.json'), 429)
            : undefined,
      }),
    );
    const { result } = await collect('vultr-throttle');
    expect(result.status).toBe('succeeded');
    expect(limited).toBe(3);
    expect(await monthTotal('vultr-throttle', '2026-11-01')).toBe(NOVEMBER_PENDING);
  });

  it('fails with a clear message on a rejected API key, without the key in it, and writes nothing', async () => {
    fake.handle(vultrHandler({}));
    const wrong = 'WRONGKEY0123456789ABCDEFGHIJKLMNOPQRS';
    const { result, view } = await collect('vultr-auth', NOW, wrong);
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toBe('vultr:instances: HTTP 401 Invalid API token.');
    expect(JSON.stringify(view)).not.toContain(wrong);
    expect(await storedVersions(store, 'vultr-auth')).toBe(0);
  });

  it('fails on a malformed invoice item and writes nothing', async () => {
    const bad = (): Billing => {
      const b = billing();
      (b.items[1]?.invoice_items[1] as Line).total = 'twenty';
      return b;
    };
    fake.handle(vultrHandler({ billing: bad }));
    const { result, view } = await collect('vultr-malformed');
    expect(result.status).toBe('failed');
    expect(view.errors.cost).toBe(
      `vultr:billing/invoices/items (invoice ${INVOICE}) invoice_items[5]: malformed response: .total is not a number: "twenty"`,
    );
    expect(await storedVersions(store, 'vultr-malformed')).toBe(0);
  });

  it('re-collecting the same month three times with restated pending charges leaves exactly the latest figures', async () => {
    const restated = (delta: string, drop: boolean) => {
      const b = billing();
      let lines = b.pending.pending_charges.map((l) => ({
        ...l,
        total: addDecimals(String(l.total), delta),
      }));
      if (drop) lines = lines.filter((l) => l.product !== 'Snapshots');
      return {
        b: { ...b, pending: { pending_charges: lines } },
        total: addDecimals(...lines.map((l) => String(l.total))),
        n: lines.length,
      };
    };
    const runs = [restated('0', false), restated('0.41', false), restated('1.07', true)];
    for (const [i, r] of runs.entries()) {
      fake.handle(vultrHandler({ billing: () => r.b }));
      const { result } = await collect('vultr-restate', new Date(NOW.getTime() + i * 8 * 3_600_000));
      expect(result.status).toBe('succeeded');
      expect(await monthTotal('vultr-restate', '2026-11-01')).toBe(r.total);
      expect(
        (await costTotals(store, 'vultr-restate', `billing_period_start = '2026-11-01 00:00:00'`)).rows,
      ).toBe(r.n);
    }
    expect(runs[2]?.n).toBe(6);
  });

  it('tests a connection with GET /v2/account', async () => {
    fake.handle(vultrHandler({}));
    fake.requests.length = 0;
    await testConnectionAsConfigured(vultrProvider, connection('vultr-test'), {
      signal: new AbortController().signal,
      logger: undefined as never,
    });
    expect(fake.requests.map((r) => r.path)).toEqual(['/v2/account']);
    await expect(
      testConnectionAsConfigured(vultrProvider, connection('vultr-test', 'bad'), {
        signal: new AbortController().signal,
        logger: undefined as never,
      }),
    ).rejects.toThrow('vultr:account: HTTP 401 Invalid API token.');
  });
});

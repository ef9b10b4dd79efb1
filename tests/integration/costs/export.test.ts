import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COSTS_HANDLERS } from '../../../lib/api/handlers/costs';
import { COSTS_ROUTES } from '../../../lib/api/routes/costs';
import { createHttpHandler, MAX_BUFFERED_STREAM_BYTES } from '../../../lib/http/handler';
import { buildApiEvent, lambdaContext } from '../../helpers/api-event';
import { focusViolations, readFocusCsv, readFocusParquet, sumByCurrency } from '../../helpers/focus';
import { type LocalApi, startLocalApi } from '../../helpers/local-api';
import { writeKnownCosts } from './known-costs';

const CUSTOMER = 'x-acme';
let api: LocalApi;
let key: string;
const PERIOD = 'start=2026-01-01&end=2026-03-01';

async function download(path: string): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

beforeAll(async () => {
  api = await startLocalApi();
  await writeKnownCosts(api.runtime.writer, CUSTOMER, 'x-other');
  key = await api.key(CUSTOMER);
});
afterAll(() => api.close());

describe('GET /api/v2/costs/{customer_id}/{provider}/export', () => {
  it('writes CSV that passes the FOCUS 1.2 column checks and sums to /total', async () => {
    const res = await download(`/api/v2/costs/${CUSTOMER}/all/export?format=csv&${PERIOD}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain(
      `focus-${CUSTOMER}-all-2026-01-01-2026-03-01.csv`,
    );
    const { header, rows } = readFocusCsv(res.bytes);
    expect(focusViolations(header, rows, 'csv')).toEqual([]);
    const total = await api.request('GET', `/api/v2/costs/${CUSTOMER}/all/total?${PERIOD}`, { key });
    expect(rows.length).toBe(
      total.body.totals.reduce((n: number, t: { line_items: number }) => n + t.line_items, 0),
    );
    const billed = Object.fromEntries(
      total.body.totals.map((t: { currency: string; billed_cost: string }) => [t.currency, t.billed_cost]),
    );
    expect(sumByCurrency(rows, 'BilledCost')).toEqual(billed);
  });

  it('writes Parquet that a reader other than ClickHouse (hyparquet) opens, with the same totals as /total', async () => {
    const res = await download(`/api/v2/costs/${CUSTOMER}/all/export?format=parquet&${PERIOD}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    const rows = await readFocusParquet(res.bytes);
    const header = Object.keys(rows[0] ?? {});
    expect(focusViolations(header, rows, 'parquet')).toEqual([]);
    const total = await api.request('GET', `/api/v2/costs/${CUSTOMER}/all/total?${PERIOD}`, { key });
    for (const col of ['BilledCost', 'EffectiveCost'] as const) {
      const field = col === 'BilledCost' ? 'billed_cost' : 'effective_cost';
      expect(sumByCurrency(rows, col)).toEqual(
        Object.fromEntries(total.body.totals.map((t: Record<string, string>) => [t.currency, t[field]])),
      );
    }
  });

  it('applies the provider and filters, and rejects a bad format or period with a 400 naming it', async () => {
    const res = await download(`/api/v2/costs/${CUSTOMER}/aws/export?${PERIOD}`);
    const { rows } = readFocusCsv(res.bytes);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.x_ProviderId))).toEqual(new Set(['aws']));
    const bad = await api.request('GET', `/api/v2/costs/${CUSTOMER}/all/export?format=xlsx`, { key });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('format');
    const other = await api.request('GET', `/api/v2/costs/x-other/all/export`, { key });
    expect(other.status).toBe(403);
  });

  it('in Lambda returns the body base64-encoded', async () => {
    const spec = COSTS_ROUTES.find((r) => r.name === 'costs-export');
    const handler = createHttpHandler(COSTS_HANDLERS['costs-export'] as never, async () => api.runtime);
    const event = (query: Record<string, string>) =>
      buildApiEvent({
        method: 'GET',
        path: `/api/v2/costs/${CUSTOMER}/all/export`,
        route: spec?.path as string,
        pathParameters: { customer_id: CUSTOMER, provider: 'all' },
        query,
        auth: { customer_id: CUSTOMER },
      });
    const ok = await handler(event({ start: '2026-01-01', end: '2026-03-01' }), lambdaContext());
    expect(ok.statusCode).toBe(200);
    expect(ok.isBase64Encoded).toBe(true);
    expect(Buffer.from(ok.body as string, 'base64').toString('utf8')).toMatch(
      /^"BilledCost","EffectiveCost"/,
    );
  });
});

describe('a 1,000,000-row export', () => {
  it('streams through the local server with bounded memory', { timeout: 600_000 }, async () => {
    const store = api.runtime.store;
    await store.client.command({
      query: `INSERT INTO costs (x_customer_id, x_provider, x_connection_id, billing_account_id, provider_name,
          invoice_issuer_name, service_name, service_category, charge_category, resource_id, billed_cost,
          effective_cost, list_cost, billing_currency, charge_period_start, charge_period_end, billing_period_start,
          billing_period_end, x_line_key, x_version)
        SELECT 'big', 'aws', 'main', '123456789012', 'AWS', 'AWS', 'Amazon EC2', 'Compute', 'Usage',
          concat('i-', toString(number)), toDecimal128(number % 1000, 10) / 100, toDecimal128(number % 1000, 10) / 100,
          toDecimal128(number % 1000, 10) / 100, 'USD', toDateTime('2026-03-01 00:00:00', 'UTC') + INTERVAL (number % 28) DAY,
          toDateTime('2026-03-02 00:00:00', 'UTC') + INTERVAL (number % 28) DAY, toDateTime('2026-03-01 00:00:00', 'UTC'),
          toDateTime('2026-04-01 00:00:00', 'UTC'), toString(number), 1
        FROM numbers({n:UInt32})`,
      query_params: { n: 1_000_000 },
    });
    const bigKey = await api.key('big');
    global.gc?.();
    const before = process.memoryUsage();
    let peakHeap = before.heapUsed;
    let peakRss = before.rss;
    const res = await fetch(`${api.url}/api/v2/costs/big/aws/export?start=2026-03-01&end=2026-04-01`, {
      headers: { authorization: `Bearer ${bigKey}` },
    });
    expect(res.status).toBe(200);
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (const b of chunk) if (b === 10) lines++;
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }
    expect(lines).toBe(1_000_001);
    // The body is hundreds of MB; the process never holds more than a small part of it.
    expect(bytes).toBeGreaterThan(200 * 1024 * 1024);
    expect(peakHeap - before.heapUsed).toBeLessThan(64 * 1024 * 1024);
    // RSS also holds the embedded engine's own query memory; what matters is that the export
    // was never held whole (it would add at least `bytes`).
    expect(peakRss - before.rss).toBeLessThan(bytes);
    console.log(
      JSON.stringify({ bytes, heapGrowth: peakHeap - before.heapUsed, rssGrowth: peakRss - before.rss }),
    );

    // A Lambda cannot stream: past the cap the answer is a 413 that says what to do instead.
    const handler = createHttpHandler(COSTS_HANDLERS['costs-export'] as never, async () => api.runtime);
    const tooBig = await handler(
      buildApiEvent({
        method: 'GET',
        path: '/api/v2/costs/big/aws/export',
        route: '/api/v2/costs/{customer_id}/{provider}/export',
        pathParameters: { customer_id: 'big', provider: 'aws' },
        query: { start: '2026-03-01', end: '2026-04-01' },
        auth: { customer_id: 'big' },
      }),
      lambdaContext(),
    );
    expect(tooBig.statusCode).toBe(413);
    const error = JSON.parse(tooBig.body as string).error;
    expect(error.code).toBe('response_too_large');
    expect(error.message).toContain(String(MAX_BUFFERED_STREAM_BYTES));
    expect(error.message).toContain('npx optiinfra export');
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { paperspaceAdapter } from '../../../lib/providers/adapters/paperspace';
import { type FakeHandler, type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { testStore } from '../../helpers/store';
import {
  adapterContext,
  collectThroughPipeline,
  fixture,
  NOW,
  storedCostSlices,
  storedCostTotal,
  storedCounts,
} from './helpers';

const KEY = 'ps-0123456789abcdef0123456789abcdef';
const secrets = { api_key: KEY };
const PRICES = { 'A100-80G': '3.18', A4000: '0.76', C5: '0.08' };

let server: FakeServer;
let store: Store;

/** Paperspace public API v1: `GET /machines?limit&after`, cursor paging with `hasMore`/`nextPage`, Bearer auth. */
function paperspace(overrides: { page2?: unknown } = {}): FakeHandler {
  return (req) => {
    if (req.headers.authorization !== `Bearer ${KEY}`)
      return { status: 401, body: fixture('paperspace', 'error-unauthorized') };
    if (req.path === '/v1/machines') {
      const after = req.query.get('after');
      if (after === null) return { body: fixture('paperspace', 'machines-page-1') };
      if (after === 'eyJpZCI6InBzMGsyaHE5eiJ9')
        return { body: overrides.page2 ?? fixture('paperspace', 'machines-page-2') };
    }
    return { status: 404, body: { message: 'Not found' } };
  };
}
const api = () => ({ base_url: `${server.url}/v1`, prices: PRICES });

beforeAll(async () => {
  [server, store] = await Promise.all([startFakeServer(), testStore()]);
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.handle(paperspace());
});

describe('paperspace adapter', () => {
  it('lists machines across cursor pages, priced from the connection’s table', async () => {
    const snapshots = await paperspaceAdapter.resources!(adapterContext(paperspaceAdapter, api(), secrets));
    expect(snapshots.map((s) => [s.resource_id, s.status, s.sku, s.hourly_price])).toEqual([
      ['psz5lx0w1', 'ready', 'A100-80G', '3.18'],
      ['ps0k2hq9z', 'serviceready', 'A4000', '0.76'],
      ['psq3w8e7r', 'off', 'C5', '0.08'],
      ['psj6u5y4t', 'ready', 'P5000', null],
    ]);
    expect(snapshots[0]).toMatchObject({
      region: 'ny2',
      vcpus: 12,
      memory_gib: 90,
      gpu_count: 1,
      gpu_model: 'A100-80G',
      price_currency: 'USD',
    });
    expect(server.requests.map((r) => r.url)).toEqual([
      '/v1/machines?limit=100',
      '/v1/machines?limit=100&after=eyJpZCI6InBzMGsyaHE5eiJ9',
    ]);
  });

  it('bills running machines that have a price for the observed window; off and unpriced ones get no rows', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: paperspaceAdapter,
      customerId: 'ps-cost',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 4, cost: 2 } });
    // 15 minutes (first run) of 3.18/h and 0.76/h.
    expect(await storedCostTotal(store, 'ps-cost')).toBe('0.985');
  });

  it('bills scheduled runs for the time between them: three runs add up to the time watched, nothing counted twice', async () => {
    const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
    const scheduled = (now: Date) =>
      collectThroughPipeline({
        store,
        adapter: paperspaceAdapter,
        customerId: 'ps-sched',
        api: api(),
        secrets,
        dataTypes: ['cost'],
        now,
      });
    const first = await scheduled(NOW);
    // The watermark is the previous run's end: no window overlaps another.
    const second = await scheduled(at(45));
    const third = await scheduled(at(90));
    expect([first, second, third].map((r) => r.outcomes[0]?.window)).toEqual([
      { start: '2026-11-20T12:15:00.000Z', end: '2026-11-20T12:30:00.000Z' },
      { start: '2026-11-20T12:30:00.000Z', end: '2026-11-20T13:15:00.000Z' },
      { start: '2026-11-20T13:15:00.000Z', end: '2026-11-20T14:00:00.000Z' },
    ]);
    // 12:15-14:00 (1.75 h) of the running A100-80G (3.18/h) and A4000 (0.76/h): 1.75 × 3.94.
    expect(await storedCostTotal(store, 'ps-sched')).toBe('6.895');
    expect(await storedCostSlices(store, 'ps-sched', 'psz5lx0w1')).toEqual([
      { s: '2026-11-20 12:15:00', e: '2026-11-20 12:30:00', cost: '0.795' },
      { s: '2026-11-20 12:30:00', e: '2026-11-20 13:00:00', cost: '1.59' },
      { s: '2026-11-20 13:00:00', e: '2026-11-20 13:15:00', cost: '0.795' },
      { s: '2026-11-20 13:15:00', e: '2026-11-20 14:00:00', cost: '2.385' },
    ]);
  });

  it('reports an invalid key and writes nothing', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: paperspaceAdapter,
      customerId: 'ps-auth',
      api: api(),
      secrets: { api_key: 'ps-bad-key' },
      dataTypes: ['resource'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toMatch(/\/v1\/machines: HTTP 401 Invalid API key$/);
    expect(await storedCounts(store, 'ps-auth')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('waits out a 429 and continues from the same cursor', async () => {
    const normal = paperspace();
    let throttled = false;
    server.handle((req) => {
      if (req.query.get('after') && !throttled) {
        throttled = true;
        return {
          status: 429,
          headers: { 'retry-after': '0' },
          body: fixture('paperspace', 'error-rate-limit'),
        };
      }
      return normal(req);
    });
    const result = await collectThroughPipeline({
      store,
      adapter: paperspaceAdapter,
      customerId: 'ps-429',
      api: api(),
      secrets,
      dataTypes: ['resource'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 4 } });
    expect(server.requests.map((r) => r.query.get('after'))).toEqual([
      null,
      'eyJpZCI6InBzMGsyaHE5eiJ9',
      'eyJpZCI6InBzMGsyaHE5eiJ9',
    ]);
  });

  it('rejects a page that says there is more without a cursor, and writes nothing', async () => {
    const page2 = fixture<{ hasMore: boolean }>('paperspace', 'machines-page-2');
    page2.hasMore = true;
    server.handle(paperspace({ page2 }));
    const result = await collectThroughPipeline({
      store,
      adapter: paperspaceAdapter,
      customerId: 'ps-bad',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toBe('GET /machines: hasMore is true but nextPage is missing or repeats');
    expect(await storedCounts(store, 'ps-bad')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('rejects a malformed machine', async () => {
    const page2 = fixture<{ items: Record<string, unknown>[] }>('paperspace', 'machines-page-2');
    delete page2.items[0]!.machineType;
    server.handle(paperspace({ page2 }));
    await expect(
      paperspaceAdapter.resources!(adapterContext(paperspaceAdapter, api(), secrets)),
    ).rejects.toThrow(
      'GET /machines: unexpected response at items.0.machineType: Invalid input: expected string, received undefined',
    );
  });

  it('validates the price table', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: paperspaceAdapter,
      customerId: 'ps-cfg',
      api: { ...api(), prices: { A4000: '$0.76' } },
      secrets,
      dataTypes: ['cost'],
    });
    expect(result.errors.cost).toBe(
      'invalid settings for connection "main": api.prices.A4000: must be a decimal such as "3.09"',
    );
  });

  it('asks each page once per run and again in a new run', async () => {
    await collectThroughPipeline({
      store,
      adapter: paperspaceAdapter,
      customerId: 'ps-cache',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(server.requests).toHaveLength(2);
    await collectThroughPipeline({
      store,
      adapter: paperspaceAdapter,
      customerId: 'ps-cache',
      api: api(),
      secrets,
      dataTypes: ['cost'],
    });
    expect(server.requests).toHaveLength(4);
  });
});

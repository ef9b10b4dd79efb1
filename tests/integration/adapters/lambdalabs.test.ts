import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { lambdaLabsAdapter } from '../../../lib/providers/adapters/lambdalabs';
import { type FakeHandler, type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows, testStore } from '../../helpers/store';
import {
  adapterContext,
  collectThroughPipeline,
  fixture,
  HOUR,
  NOW,
  storedCostTotal,
  storedCounts,
} from './helpers';

const KEY = 'secret_lambda_0123456789abcdef.0123456789abcdef';
const secrets = { api_key: KEY };

let server: FakeServer;
let store: Store;

/**
 * Lambda Cloud API v1: `GET /instances` (one page: the API does not paginate) and
 * `GET /instance-types`, Bearer auth.
 */
function lambda(overrides: { instances?: unknown } = {}): FakeHandler {
  return (req) => {
    if (req.headers.authorization !== `Bearer ${KEY}`)
      return { status: 401, body: fixture('lambdalabs', 'error-unauthorized') };
    if (req.path === '/api/v1/instances')
      return { body: overrides.instances ?? fixture('lambdalabs', 'instances') };
    if (req.path === '/api/v1/instance-types') return { body: fixture('lambdalabs', 'instance-types') };
    return { status: 404, body: { error: { code: 'global/object-does-not-exist', message: 'Not found' } } };
  };
}
const api = () => ({ base_url: `${server.url}/api/v1` });

beforeAll(async () => {
  [server, store] = await Promise.all([startFakeServer(), testStore()]);
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.handle(lambda());
});

describe('lambdalabs adapter', () => {
  it('lists instances with their type, GPUs and price', async () => {
    const snapshots = await lambdaLabsAdapter.resources!(adapterContext(lambdaLabsAdapter, api(), secrets));
    expect(snapshots).toHaveLength(3);
    expect(snapshots[0]).toMatchObject({
      resource_id: '0920582c7ff041399e34823a0be62549',
      resource_type: 'instance',
      name: 'pretrain-8x',
      status: 'active',
      region: 'us-east-1',
      sku: 'gpu_8x_h100_sxm5',
      vcpus: 208,
      memory_gib: 1800,
      gpu_count: 8,
      gpu_model: 'H100 (80 GB SXM5)',
      hourly_price: '23.92',
      price_currency: 'USD',
    });
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('bills instances seen running for the time between collections: consecutive runs add up, terminated ones cost nothing', async () => {
    const first = await collectThroughPipeline({
      store,
      adapter: lambdaLabsAdapter,
      customerId: 'ld-cost',
      api: api(),
      secrets,
      dataTypes: ['cost'],
    });
    // First run: 15 minutes back (12:15-12:30): 23.92/h and 0.75/h (booting is billed).
    expect(first).toMatchObject({ status: 'succeeded', rows: { cost: 2 } });
    expect(await storedCostTotal(store, 'ld-cost')).toBe('6.1675');
    const later = new Date(NOW.getTime() + HOUR / 2);
    await collectThroughPipeline({
      store,
      adapter: lambdaLabsAdapter,
      customerId: 'ld-cost',
      api: api(),
      secrets,
      dataTypes: ['cost'],
      now: later,
    });
    // Second run: 12:30-13:00, split at 13:00 → 12.335 more.
    expect(await storedCostTotal(store, 'ld-cost')).toBe('18.5025');
    const periods = await rows<{ s: string; e: string }>(
      store,
      `SELECT toString(charge_period_start) AS s, toString(charge_period_end) AS e FROM costs FINAL
       WHERE x_customer_id = 'ld-cost' AND resource_name = 'pretrain-8x' ORDER BY s`,
    );
    expect(periods).toEqual([
      { s: '2026-11-20 12:15:00', e: '2026-11-20 12:30:00' },
      { s: '2026-11-20 12:30:00', e: '2026-11-20 13:00:00' },
    ]);
  });

  it('reports an invalid key with Lambda’s own message and writes nothing', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: lambdaLabsAdapter,
      customerId: 'ld-auth',
      api: api(),
      secrets: { api_key: 'secret_revoked_key_123' },
      dataTypes: ['resource', 'cost'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toMatch(
      /\/api\/v1\/instances: HTTP 401 API key was invalid, expired, or deleted\.$/,
    );
    expect(await storedCounts(store, 'ld-auth')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('waits out a 429 and then collects', async () => {
    let throttled = false;
    const normal = lambda();
    server.handle((req) => {
      if (!throttled) {
        throttled = true;
        return {
          status: 429,
          headers: { 'retry-after': '1' },
          body: fixture('lambdalabs', 'error-rate-limit'),
        };
      }
      return normal(req);
    });
    const result = await collectThroughPipeline({
      store,
      adapter: lambdaLabsAdapter,
      customerId: 'ld-429',
      api: api(),
      secrets,
      dataTypes: ['resource'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 3 } });
    expect(server.requests).toHaveLength(2);
  });

  it('rejects an instance without a price and writes nothing', async () => {
    const instances = fixture<{ data: { instance_type: Record<string, unknown> }[] }>(
      'lambdalabs',
      'instances',
    );
    delete instances.data[1]!.instance_type.price_cents_per_hour;
    server.handle(lambda({ instances }));
    const result = await collectThroughPipeline({
      store,
      adapter: lambdaLabsAdapter,
      customerId: 'ld-bad',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.cost).toBe(
      'GET /instances: unexpected response at data.1.instance_type.price_cents_per_hour: Invalid input: expected number, received undefined',
    );
    expect(await storedCounts(store, 'ld-bad')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('asks once per run for inventory and cost together, and again in a new run', async () => {
    await collectThroughPipeline({
      store,
      adapter: lambdaLabsAdapter,
      customerId: 'ld-cache',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(server.requests.map((r) => r.path)).toEqual(['/api/v1/instances']);
    await collectThroughPipeline({
      store,
      adapter: lambdaLabsAdapter,
      customerId: 'ld-cache',
      api: api(),
      secrets,
      dataTypes: ['resource'],
    });
    expect(server.requests).toHaveLength(2);
  });

  it('tests the connection with the instance types', async () => {
    await lambdaLabsAdapter.test(adapterContext(lambdaLabsAdapter, api(), secrets));
    expect(server.requests.map((r) => r.path)).toEqual(['/api/v1/instance-types']);
  });
});

describe('lambdalabs adapter, explicit windows', () => {
  it('bills nothing for a past window, since instances carry no launch time', async () => {
    const window = { start: new Date(NOW.getTime() - 5 * HOUR), end: new Date(NOW.getTime() - 4 * HOUR) };
    const rowsForPast = await lambdaLabsAdapter.cost!(
      adapterContext(lambdaLabsAdapter, api(), secrets, { dataType: 'cost', window }),
    );
    expect(rowsForPast).toEqual([]);
  });
});

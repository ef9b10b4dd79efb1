import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { ProviderAuthError } from '../../../lib/errors';
import { PODS_QUERY, runpodAdapter } from '../../../lib/providers/adapters/runpod';
import { type FakeHandler, type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows, testStore } from '../../helpers/store';
import { adapterContext, collectThroughPipeline, fixture, storedCostTotal, storedCounts } from './helpers';

const KEY = 'rpa_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const secrets = { api_key: KEY };

let server: FakeServer;
let store: Store;

/**
 * RunPod's GraphQL API: `POST /graphql`, failures as HTTP 200 with an `errors` array.
 * `myself.pods` is one list (the API does not paginate it).
 */
function runpod(overrides: { pods?: unknown } = {}): FakeHandler {
  return (req) => {
    if (req.method !== 'POST' || req.path !== '/graphql') return { status: 404, body: 'Not Found' };
    if (req.headers.authorization !== `Bearer ${KEY}`)
      return { body: fixture('runpod', 'error-unauthenticated') };
    const { query } = JSON.parse(req.body) as { query: string };
    if (query.includes('pods')) return { body: overrides.pods ?? fixture('runpod', 'pods') };
    return { body: { data: { myself: { id: 'user_2Xk9PqLmN0' } } } };
  };
}
const api = () => ({ base_url: server.url });

beforeAll(async () => {
  [server, store] = await Promise.all([startFakeServer(), testStore()]);
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.handle(runpod());
});

describe('runpod adapter', () => {
  it('sends the pods query with a Bearer key (never the key in the URL) and maps every pod', async () => {
    const snapshots = await runpodAdapter.resources!(adapterContext(runpodAdapter, api(), secrets));
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ query: PODS_QUERY, variables: {} });
    expect(server.requests[0]?.url).toBe('/graphql');
    expect(snapshots.map((s) => [s.resource_id, s.status, s.hourly_price])).toEqual([
      ['x1y2z3abc4de5f', 'running', '5.98'],
      ['k7l8m9nop0qr1s', 'running', '0.39'],
      ['t3u4v5wxy6z7a8', 'exited', '0.44'],
    ]);
    expect(snapshots[0]).toMatchObject({
      resource_type: 'pod',
      name: 'llama-finetune',
      region: 'US-KS-2',
      sku: 'NVIDIA H100 80GB HBM3',
      gpu_model: 'H100 80GB HBM3',
      gpu_count: 2,
      vcpus: 32,
      memory_gib: 250,
      price_currency: 'USD',
    });
  });

  it('stores pods, cost from price × uptime of running pods, and GPU/CPU/memory utilisation', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: runpodAdapter,
      customerId: 'rp-store',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost', 'performance'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 3, cost: 3, performance: 10 } });
    // llama-finetune up since 11:00 at 5.98/h (11:00-12:30); sd-inference up since 12:20 at 0.39/h.
    expect(await storedCostTotal(store, 'rp-store')).toBe('9.035');
    const gpu = await rows<{ dimension: string; value: number }>(
      store,
      `SELECT dimension, value FROM performance_points FINAL
       WHERE customer_id = 'rp-store' AND metric = 'gpu_utilization' AND resource_id = 'x1y2z3abc4de5f' ORDER BY dimension`,
    );
    expect(gpu).toEqual([
      { dimension: 'GPU-4a5b6c7d-0e1f-2a3b-4c5d-6e7f8a9b0c1d', value: 97 },
      { dimension: 'GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0', value: 94 },
    ]);
    expect(server.requests).toHaveLength(1); // one query served all three data types
  });

  it('turns an UNAUTHENTICATED error in a 200 body into a clear auth failure and writes nothing', async () => {
    await expect(
      runpodAdapter.resources!(adapterContext(runpodAdapter, api(), { api_key: 'rpa_wrong' })),
    ).rejects.toThrow(
      new ProviderAuthError('runpod', 'GraphQL error: You must be authenticated to perform this action.'),
    );
    const result = await collectThroughPipeline({
      store,
      adapter: runpodAdapter,
      customerId: 'rp-auth',
      api: api(),
      secrets: { api_key: 'rpa_wrong_key_000' },
      dataTypes: ['resource', 'cost', 'performance'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.cost).toBe('GraphQL error: You must be authenticated to perform this action.');
    expect(await storedCounts(store, 'rp-auth')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('treats HTTP 401 the same way', async () => {
    server.handle(() => ({ status: 401, body: { error: 'Unauthorized' } }));
    await expect(
      runpodAdapter.resources!(adapterContext(runpodAdapter, api(), secrets)),
    ).rejects.toBeInstanceOf(ProviderAuthError);
  });

  it('retries throttling, whether a 429 with Retry-After or a RATE_LIMITED error in the body', async () => {
    const normal = runpod();
    server.handle((req) => {
      const n = server.requests.length;
      if (n === 1)
        return { status: 429, headers: { 'retry-after': '0' }, body: { error: 'Too Many Requests' } };
      if (n === 2) return { body: fixture('runpod', 'error-rate-limit') };
      return normal(req);
    });
    const result = await collectThroughPipeline({
      store,
      adapter: runpodAdapter,
      customerId: 'rp-429',
      api: api(),
      secrets,
      dataTypes: ['resource'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 3 } });
    expect(server.requests).toHaveLength(3);
  });

  it('does not cache a GraphQL error: a later data type asks again', async () => {
    const normal = runpod();
    server.handle((req) =>
      server.requests.length <= 3 ? { body: fixture('runpod', 'error-internal') } : normal(req),
    );
    const result = await collectThroughPipeline({
      store,
      adapter: runpodAdapter,
      customerId: 'rp-500',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(result.status).toBe('partial');
    expect(result.errors.resource).toBe(
      'GraphQL error: Something went wrong. Please try again later or contact support.',
    );
    expect(result.rows).toEqual({ resource: 0, cost: 3 });
    expect(server.requests).toHaveLength(4); // three attempts for resources, then one for cost
  });

  it('rejects malformed pods and writes nothing', async () => {
    const pods = fixture<{ data: { myself: { pods: Record<string, unknown>[] } } }>('runpod', 'pods');
    pods.data.myself.pods[0]!.costPerHr = '5.98/hr';
    server.handle(runpod({ pods }));
    const result = await collectThroughPipeline({
      store,
      adapter: runpodAdapter,
      customerId: 'rp-bad',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost', 'performance'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toBe(
      'pods query: unexpected response at data.myself.pods.0.costPerHr: Invalid input: expected number, received string',
    );
    expect(await storedCounts(store, 'rp-bad')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('asks again in a new run', async () => {
    await collectThroughPipeline({
      store,
      adapter: runpodAdapter,
      customerId: 'rp-cache',
      api: api(),
      secrets,
      dataTypes: ['resource', 'performance'],
    });
    await collectThroughPipeline({
      store,
      adapter: runpodAdapter,
      customerId: 'rp-cache',
      api: api(),
      secrets,
      dataTypes: ['resource'],
    });
    expect(server.requests).toHaveLength(2);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { linodeAdapter } from '../../../lib/providers/adapters/linode';
import { type FakeHandler, type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { testStore } from '../../helpers/store';
import { adapterContext, collectThroughPipeline, fixture, storedCostTotal, storedCounts } from './helpers';

const TOKEN = 'linode-pat-0123456789abcdef0123456789abcdef';
const secrets = { token: TOKEN };

let server: FakeServer;
let store: Store;

/** Linode API v4: collections paged by `page`/`page_size` with `page`/`pages`/`results`, Bearer auth. */
function linode(overrides: { page2?: unknown } = {}): FakeHandler {
  return (req) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return { status: 401, body: fixture('linode', 'error-unauthorized') };
    if (req.path === '/v4/linode/instances') {
      if (req.query.get('page') === '1') return { body: fixture('linode', 'instances-page-1') };
      if (req.query.get('page') === '2')
        return { body: overrides.page2 ?? fixture('linode', 'instances-page-2') };
    }
    if (req.path === '/v4/linode/types' && req.query.get('page') === '1')
      return { body: fixture('linode', 'types') };
    if (req.path === '/v4/profile') return { body: fixture('linode', 'profile') };
    return { status: 404, body: { errors: [{ reason: 'Not found' }] } };
  };
}
const api = () => ({ base_url: server.url });

beforeAll(async () => {
  [server, store] = await Promise.all([startFakeServer(), testStore()]);
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.handle(linode());
});

describe('linode adapter', () => {
  it('lists instances across pages with specs, GPUs and the region price of their type', async () => {
    const snapshots = await linodeAdapter.resources!(adapterContext(linodeAdapter, api(), secrets));
    expect(snapshots.map((s) => [s.resource_id, s.status, s.region, s.sku, s.hourly_price])).toEqual([
      ['50001', 'running', 'us-east', 'g1-gpu-rtx6000-1', '1.5'],
      ['50002', 'offline', 'id-cgk', 'g6-standard-2', '0.043'],
      ['50003', 'running', 'us-east', 'g6-standard-2', '0.036'],
    ]);
    expect(snapshots[0]).toMatchObject({
      vcpus: 8,
      memory_gib: 32,
      gpu_count: 1,
      gpu_model: 'Dedicated 32GB + RTX6000 GPU x1',
      tags: { team: 'ml', gpu: '' },
      created_at: new Date('2026-11-20T10:45:00Z'),
    });
    expect(server.requests.map((r) => r.url).sort()).toEqual([
      '/v4/linode/instances?page=1&page_size=500',
      '/v4/linode/instances?page=2&page_size=500',
      '/v4/linode/types?page=1&page_size=500',
    ]);
  });

  it('stores price × time cost for every instance, offline ones included', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: linodeAdapter,
      customerId: 'li-store',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 3, cost: 6 } });
    // GPU 1.5/h for 11:00-12:30, Jakarta 0.043/h and us-east 0.036/h for the same 1.5 h.
    expect(await storedCostTotal(store, 'li-store')).toBe('2.3685');
  });

  it('reports a rejected token clearly and writes nothing', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: linodeAdapter,
      customerId: 'li-auth',
      api: api(),
      secrets: { token: 'expired-linode-token' },
      dataTypes: ['resource', 'cost'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toMatch(/\/v4\/linode\/(instances|types): HTTP 401 .*Invalid Token/);
    expect(await storedCounts(store, 'li-auth')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('waits out a 429 with Retry-After on a later page, then completes', async () => {
    let throttled = false;
    const normal = linode();
    server.handle((req) => {
      if (req.query.get('page') === '2' && !throttled) {
        throttled = true;
        return {
          status: 429,
          headers: { 'retry-after': '0', 'x-ratelimit-limit': '200', 'x-ratelimit-remaining': '0' },
          body: fixture('linode', 'error-rate-limit'),
        };
      }
      return normal(req);
    });
    const result = await collectThroughPipeline({
      store,
      adapter: linodeAdapter,
      customerId: 'li-429',
      api: api(),
      secrets,
      dataTypes: ['resource'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 3 } });
    expect(server.requests.filter((r) => r.url === '/v4/linode/instances?page=2&page_size=500')).toHaveLength(
      2,
    );
  });

  it('rejects a malformed page and writes nothing', async () => {
    const page2 = fixture<{ data: { specs: Record<string, unknown> }[] }>('linode', 'instances-page-2');
    page2.data[0]!.specs.memory = '4096';
    server.handle(linode({ page2 }));
    const result = await collectThroughPipeline({
      store,
      adapter: linodeAdapter,
      customerId: 'li-bad',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toBe(
      'GET /v4/linode/instances: unexpected response at data.0.specs.memory: Invalid input: expected number, received string',
    );
    expect(await storedCounts(store, 'li-bad')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('refuses a page that is not the one asked for', async () => {
    const page2 = fixture<{ page: number }>('linode', 'instances-page-2');
    page2.page = 1;
    server.handle(linode({ page2 }));
    await expect(linodeAdapter.resources!(adapterContext(linodeAdapter, api(), secrets))).rejects.toThrow(
      'GET /v4/linode/instances: asked for page 2, got page 1',
    );
  });

  it('asks each page once per run and again in a new run', async () => {
    await collectThroughPipeline({
      store,
      adapter: linodeAdapter,
      customerId: 'li-cache',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(server.requests).toHaveLength(3);
    await collectThroughPipeline({
      store,
      adapter: linodeAdapter,
      customerId: 'li-cache',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(server.requests).toHaveLength(6);
  });

  it('tests the connection with the profile endpoint', async () => {
    await linodeAdapter.test(adapterContext(linodeAdapter, api(), secrets));
    expect(server.requests.map((r) => r.path)).toEqual(['/v4/profile']);
  });
});

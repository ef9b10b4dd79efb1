import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { ProviderParseError } from '../../../lib/errors';
import { digitalOceanAdapter } from '../../../lib/providers/adapters/digitalocean';
import { type FakeHandler, type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows, testStore } from '../../helpers/store';
import { adapterContext, collectThroughPipeline, fixture, storedCostTotal, storedCounts } from './helpers';

const TOKEN = 'dop_v1_0123456789abcdef0123456789abcdef';
const secrets = { token: TOKEN };

let server: FakeServer;
let store: Store;

/** DigitalOcean API v2: droplets paged by `page`/`per_page` with absolute `links.pages.next`, Bearer auth. */
function digitalocean(overrides: { page1?: unknown } = {}): FakeHandler {
  return (req) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return { status: 401, body: fixture('digitalocean', 'error-unauthorized') };
    if (req.path === '/v2/droplets') {
      if (req.query.get('page') === '1')
        return { body: overrides.page1 ?? fixture('digitalocean', 'droplets-page-1') };
      if (req.query.get('page') === '2') return { body: fixture('digitalocean', 'droplets-page-2') };
    }
    if (req.path === '/v2/account') return { body: fixture('digitalocean', 'account') };
    return {
      status: 404,
      body: { id: 'not_found', message: 'The resource you requested could not be found.' },
    };
  };
}
const api = () => ({ base_url: server.url });

beforeAll(async () => {
  [server, store] = await Promise.all([startFakeServer(), testStore()]);
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.handle(digitalocean());
});

describe('digitalocean adapter', () => {
  it('lists droplets across pages, following next links on our own base URL only', async () => {
    const snapshots = await digitalOceanAdapter.resources!(
      adapterContext(digitalOceanAdapter, api(), secrets),
    );
    expect(snapshots.map((s) => [s.resource_id, s.status, s.region, s.sku])).toEqual([
      ['3164444', 'active', 'nyc3', 's-1vcpu-1gb'],
      ['3164445', 'active', 'tor1', 'gpu-h100x1-80gb'],
      ['3164450', 'off', 'ams3', 's-2vcpu-4gb'],
    ]);
    expect(snapshots[1]).toMatchObject({
      resource_type: 'droplet',
      vcpus: 20,
      memory_gib: 240,
      gpu_count: 1,
      gpu_model: 'nvidia_h100',
      hourly_price: '3.39',
      price_currency: 'USD',
      tags: { team: 'ml' },
    });
    expect(snapshots[0]?.tags).toEqual({ web: '', env: 'prod' });
    expect(snapshots[0]?.hourly_price).toBe('0.0089299998');
    expect(server.requests.map((r) => r.url)).toEqual([
      '/v2/droplets?page=1&per_page=200',
      '/v2/droplets?page=2&per_page=200',
    ]);
  });

  it('stores droplets and price × time cost (powered-off droplets are billed too)', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: digitalOceanAdapter,
      customerId: 'do-store',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 3, cost: 6 } });
    expect(await storedCostTotal(store, 'do-store')).toBe('2.6094599997');
    const gpu = await rows<{ start: string; billed: string; service: string }>(
      store,
      `SELECT toString(charge_period_start) AS start, toString(billed_cost) AS billed, service_name AS service
       FROM costs FINAL WHERE x_customer_id = 'do-store' AND resource_id = '3164445' ORDER BY charge_period_start`,
    );
    expect(gpu).toEqual([
      { start: '2026-11-20 11:00:00', billed: '0.8475', service: 'GPU Droplets' },
      { start: '2026-11-20 12:00:00', billed: '1.695', service: 'GPU Droplets' },
    ]);
  });

  it('reports a rejected token clearly and writes nothing', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: digitalOceanAdapter,
      customerId: 'do-auth',
      api: api(),
      secrets: { token: 'dop_v1_revoked_token_000000' },
      dataTypes: ['resource'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toMatch(/\/v2\/droplets: HTTP 401 Unable to authenticate you$/);
    expect(await storedCounts(store, 'do-auth')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('backs off on 429 (DigitalOcean sends ratelimit-reset, no Retry-After) and then succeeds', async () => {
    let throttled = false;
    const normal = digitalocean();
    server.handle((req) => {
      if (!throttled) {
        throttled = true;
        return {
          status: 429,
          headers: { 'ratelimit-limit': '250', 'ratelimit-remaining': '0', 'ratelimit-reset': '1795392060' },
          body: fixture('digitalocean', 'error-rate-limit'),
        };
      }
      return normal(req);
    });
    const result = await collectThroughPipeline({
      store,
      adapter: digitalOceanAdapter,
      customerId: 'do-429',
      api: api(),
      secrets,
      dataTypes: ['resource'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 3 } });
    expect(server.requests.map((r) => r.url)).toEqual([
      '/v2/droplets?page=1&per_page=200',
      '/v2/droplets?page=1&per_page=200',
      '/v2/droplets?page=2&per_page=200',
    ]);
  });

  it('rejects a malformed droplet with ProviderParseError and writes nothing', async () => {
    const page1 = fixture<{ droplets: Record<string, unknown>[] }>('digitalocean', 'droplets-page-1');
    page1.droplets[1]!.created_at = 'yesterday';
    server.handle(digitalocean({ page1 }));
    await expect(
      digitalOceanAdapter.cost!(adapterContext(digitalOceanAdapter, api(), secrets, { dataType: 'cost' })),
    ).rejects.toThrow(
      new ProviderParseError(
        'digitalocean',
        'GET /v2/droplets: unexpected response at droplets.1.created_at: not a timestamp: "yesterday"',
      ),
    );
    const result = await collectThroughPipeline({
      store,
      adapter: digitalOceanAdapter,
      customerId: 'do-bad',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(result.status).toBe('failed');
    expect(await storedCounts(store, 'do-bad')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('refuses a next link that does not advance instead of looping', async () => {
    const page1 = fixture<{ links: { pages: { next: string } } }>('digitalocean', 'droplets-page-1');
    page1.links.pages.next = 'https://api.digitalocean.com/v2/droplets?page=1&per_page=200';
    server.handle(digitalocean({ page1 }));
    await expect(
      digitalOceanAdapter.resources!(adapterContext(digitalOceanAdapter, api(), secrets)),
    ).rejects.toThrow(/links\.pages\.next does not advance/);
  });

  it('asks each page once per run and again in a new run', async () => {
    await collectThroughPipeline({
      store,
      adapter: digitalOceanAdapter,
      customerId: 'do-cache',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(server.requests).toHaveLength(2);
    await collectThroughPipeline({
      store,
      adapter: digitalOceanAdapter,
      customerId: 'do-cache',
      api: api(),
      secrets,
      dataTypes: ['cost'],
    });
    expect(server.requests).toHaveLength(4);
  });

  it('tests the connection with the account endpoint', async () => {
    await digitalOceanAdapter.test(adapterContext(digitalOceanAdapter, api(), secrets));
    expect(server.requests.map((r) => r.url)).toEqual(['/v2/account']);
    await expect(
      digitalOceanAdapter.test(adapterContext(digitalOceanAdapter, api(), { token: 'nope-nope' })),
    ).rejects.toThrow(/HTTP 401/);
  });
});

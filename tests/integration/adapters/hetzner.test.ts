import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { ProviderParseError } from '../../../lib/errors';
import { hetznerAdapter } from '../../../lib/providers/adapters/hetzner';
import { type FakeHandler, type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows, testStore } from '../../helpers/store';
import { adapterContext, collectThroughPipeline, fixture, storedCostTotal, storedCounts } from './helpers';

const TOKEN = 'hcloud-token-0123456789abcdef';

let server: FakeServer;
let store: Store;

/** The Hetzner Cloud API as documented: servers paged by `page`/`per_page`, pricing, Bearer auth. */
function hetzner(overrides: { page1?: unknown } = {}): FakeHandler {
  return (req) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return { status: 401, body: fixture('hetzner', 'error-unauthorized') };
    if (req.path === '/v1/servers') {
      const page = req.query.get('page') ?? '1';
      if (page === '1') return { body: overrides.page1 ?? fixture('hetzner', 'servers-page-1') };
      if (page === '2') return { body: fixture('hetzner', 'servers-page-2') };
    }
    if (req.path === '/v1/pricing') return { body: fixture('hetzner', 'pricing') };
    return { status: 404, body: { error: { code: 'not_found', message: 'not found' } } };
  };
}

const api = () => ({ base_url: server.url });
const secrets = { token: TOKEN };

beforeAll(async () => {
  [server, store] = await Promise.all([startFakeServer(), testStore()]);
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.handle(hetzner());
});

describe('hetzner adapter', () => {
  it('lists every server across pages with its type, location, labels and exact price', async () => {
    const snapshots = await hetznerAdapter.resources!(adapterContext(hetznerAdapter, api(), secrets));
    expect(snapshots.map((s) => s.resource_id)).toEqual(['4711', '4712', '4713']);
    expect(snapshots[0]).toMatchObject({
      provider: 'hetzner',
      resource_type: 'server',
      name: 'train-runner-1',
      status: 'running',
      region: 'fsn1',
      zone: 'fsn1-dc14',
      sku: 'ccx33',
      vcpus: 8,
      memory_gib: 32,
      tags: { team: 'ml', env: 'prod' },
      hourly_price: '0.0766',
      price_currency: 'EUR',
    });
    expect(snapshots[2]).toMatchObject({
      status: 'off',
      region: 'hel1',
      sku: 'cax11',
      hourly_price: '0.0064',
    });
    expect(server.requests.map((r) => r.url).sort()).toEqual([
      '/v1/pricing',
      '/v1/servers?page=1&per_page=50',
      '/v1/servers?page=2&per_page=50',
    ]);
  });

  it('stores inventory and price × time cost through the pipeline, and re-collecting changes nothing', async () => {
    const run = () =>
      collectThroughPipeline({
        store,
        adapter: hetznerAdapter,
        customerId: 'hz-store',
        api: api(),
        secrets,
        dataTypes: ['resource', 'cost'],
      });
    const result = await run();
    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ resource: 3, cost: 5 });
    // 4711: 0.0766/h for 11:00-12:00 and half of 12:00-13:00; 4712: 0.006/h the same; 4713 (off, still billed) from 12:00.
    expect(await storedCostTotal(store, 'hz-store')).toBe('0.1271');
    await run();
    expect(await storedCostTotal(store, 'hz-store')).toBe('0.1271');
    const [row] = await rows<Record<string, string>>(
      store,
      `SELECT toString(billed_cost) AS billed, toString(pricing_quantity) AS hours, billing_currency, sku_id, region_id, availability_zone, tags['team'] AS team
       FROM costs FINAL WHERE x_customer_id = 'hz-store' AND resource_id = '4711' AND charge_period_start = '2026-11-20 12:00:00'`,
    );
    expect(row).toEqual({
      billed: '0.0383',
      hours: '0.5',
      billing_currency: 'EUR',
      sku_id: 'ccx33',
      region_id: 'fsn1',
      availability_zone: 'fsn1-dc14',
      team: 'ml',
    });
  });

  it('uses gross prices when the connection asks for them', async () => {
    const ctx = adapterContext(hetznerAdapter, { ...api(), price: 'gross' }, secrets, { dataType: 'cost' });
    const cost = await hetznerAdapter.cost!(ctx);
    expect(cost.filter((c) => c.resource_id === '4711').map((c) => c.billed_cost)).toEqual([
      '0.091154',
      '0.045577',
    ]);
  });

  it('caps a month at the monthly price, as Hetzner bills', async () => {
    const page1 = fixture<{ servers: { server_type: { prices: { price_monthly: { net: string } }[] } }[] }>(
      'hetzner',
      'servers-page-1',
    );
    // api-gateway has run since October: 467 November hours at 0.006 = 2.802 before 11:00.
    for (const p of page1.servers[1]!.server_type.prices) p.price_monthly.net = '2.8050000000';
    server.handle(hetzner({ page1 }));
    const cost = await hetznerAdapter.cost!(
      adapterContext(hetznerAdapter, api(), secrets, { dataType: 'cost' }),
    );
    expect(cost.filter((c) => c.resource_id === '4712').map((c) => [c.billed_cost, c.list_cost])).toEqual([
      ['0.003', '0.006'],
      ['0', '0.003'],
    ]);
  });

  it('reports a rejected token clearly and writes nothing', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: hetznerAdapter,
      customerId: 'hz-auth',
      api: api(),
      secrets: { token: 'hcloud-wrong-token-value' },
      dataTypes: ['resource', 'cost'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toMatch(
      /^127\.0\.0\.1:\d+\/v1\/(servers|pricing): HTTP 401 unable to authenticate$/,
    );
    expect(JSON.stringify(result.errors)).not.toContain('hcloud-wrong-token-value');
    expect(await storedCounts(store, 'hz-auth')).toEqual({ resources: 0, costs: 0, points: 0 });
    expect(server.requests.filter((r) => r.path === '/v1/servers')).toHaveLength(2); // not retried, once per data type
  });

  it('waits out throttling (429 with Retry-After) and then collects everything', async () => {
    let throttled = 0;
    const normal = hetzner();
    server.handle((req) => {
      if (req.path === '/v1/servers' && req.query.get('page') === '2' && throttled++ === 0) {
        return {
          status: 429,
          headers: { 'retry-after': '0', 'ratelimit-remaining': '0' },
          body: fixture('hetzner', 'error-rate-limit'),
        };
      }
      return normal(req);
    });
    const result = await collectThroughPipeline({
      store,
      adapter: hetznerAdapter,
      customerId: 'hz-429',
      api: api(),
      secrets,
      dataTypes: ['resource'],
    });
    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ resource: 3 });
    expect(server.requests.filter((r) => r.url === '/v1/servers?page=2&per_page=50')).toHaveLength(2);
  });

  it('rejects a malformed answer with ProviderParseError naming the field, and writes nothing', async () => {
    const page1 = fixture<{ servers: { server_type: { prices: { price_hourly: { net: unknown } }[] } }[] }>(
      'hetzner',
      'servers-page-1',
    );
    page1.servers[0]!.server_type.prices[0]!.price_hourly.net = 0.0766;
    server.handle(hetzner({ page1 }));
    await expect(hetznerAdapter.resources!(adapterContext(hetznerAdapter, api(), secrets))).rejects.toThrow(
      new ProviderParseError(
        'hetzner',
        'GET /v1/servers: unexpected response at servers.0.server_type.prices.0.price_hourly.net: Invalid input: expected string, received number',
      ),
    );
    const result = await collectThroughPipeline({
      store,
      adapter: hetznerAdapter,
      customerId: 'hz-bad',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.cost).toContain(
      'unexpected response at servers.0.server_type.prices.0.price_hourly.net',
    );
    expect(await storedCounts(store, 'hz-bad')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('rejects a body that is not JSON', async () => {
    server.handle(() => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html>maintenance</html>',
    }));
    await expect(hetznerAdapter.resources!(adapterContext(hetznerAdapter, api(), secrets))).rejects.toThrow(
      /response is not valid JSON/,
    );
  });

  it('asks each URL once per run (cost reuses the inventory pages) and again in a new run', async () => {
    await collectThroughPipeline({
      store,
      adapter: hetznerAdapter,
      customerId: 'hz-cache',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(server.requests.map((r) => r.url).sort()).toEqual([
      '/v1/pricing',
      '/v1/servers?page=1&per_page=50',
      '/v1/servers?page=2&per_page=50',
    ]);
    await collectThroughPipeline({
      store,
      adapter: hetznerAdapter,
      customerId: 'hz-cache',
      api: api(),
      secrets,
      dataTypes: ['resource'],
    });
    expect(server.requests).toHaveLength(6);
  });

  it('names the missing secret and the bad setting before any request', async () => {
    const noToken = await collectThroughPipeline({
      store,
      adapter: hetznerAdapter,
      customerId: 'hz-cfg',
      api: api(),
      secrets: {},
      dataTypes: ['resource'],
    });
    expect(noToken.errors.resource).toBe(
      'connection "main" has no secret "token" (Hetzner Cloud needs: token)',
    );
    const badPrice = await collectThroughPipeline({
      store,
      adapter: hetznerAdapter,
      customerId: 'hz-cfg',
      api: { ...api(), price: 'list' },
      secrets,
      dataTypes: ['resource'],
    });
    expect(badPrice.errors.resource).toMatch(/^invalid settings for connection "main": api\.price: /);
    expect(server.requests).toHaveLength(0);
  });
});

describe('hetzner adapter, on a context built without its settings schema', () => {
  it('fills its own defaults (net prices) and rejects bad settings with the field name', async () => {
    const ctx = adapterContext(hetznerAdapter, api(), secrets);
    const raw = { ...ctx, settings: { base_url: server.url } };
    const [first] = await hetznerAdapter.resources!(raw);
    expect(first?.hourly_price).toBe('0.0766');
    await expect(hetznerAdapter.resources!({ ...ctx, settings: { price: 'list' } })).rejects.toThrow(
      /^invalid settings: api\.price: /,
    );
  });
});

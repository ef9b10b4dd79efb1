import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { clearAzurePriceCache } from '../../../lib/providers/azure/prices';
import { latestSnapshot } from '../../../lib/resources/snapshots';
import type { Runtime } from '../../../lib/runtime';
import {
  AZURE_CLIENT,
  AZURE_SUBSCRIPTION,
  AZURE_TENANT,
  azureTenant,
  isRetailPricesRequest,
  retailPricesQuery,
} from '../../helpers/azure-fake';
import { collectionRuntime, connectionsFor, runJob } from '../../helpers/collect';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { fixture, fixtureText } from '../../helpers/fixtures';
import { snapshotRows } from '../../helpers/snapshots';
import { rows, testStore } from '../../helpers/store';

const CUSTOMERS = [
  'azr-full',
  'azr-throttle',
  'azr-midway',
  'azr-skus',
  'azr-prices',
  'azr-price-cache',
  'azr-price-429',
  'azr-price-500',
  'azr-price-bad',
  'azr-price-unknown',
];
const NOW = '2026-11-20T12:02:00.000Z';
const LATER = '2026-11-20T12:17:00.000Z';
/** A day and an hour after NOW: past the price cache's 24 h. */
const NEXT_DAY = '2026-11-21T13:02:00.000Z';

let server: FakeServer;
let store: Store;
let runtime: Runtime;

beforeAll(async () => {
  server = await startFakeServer();
  store = await testStore();
  const connections = connectionsFor(
    'azure',
    CUSTOMERS,
    {
      tenant_id: AZURE_TENANT,
      client_id: AZURE_CLIENT,
      subscription_ids: [AZURE_SUBSCRIPTION],
      endpoint: server.url,
    },
    { client_secret: 'Qx8Q~fake.client-secret_value~456' },
  );
  runtime = await collectionRuntime(store, connections);
});

afterAll(() => server.close());

// Prices are cached per process; every test starts from an empty cache.
beforeEach(() => clearAzurePriceCache());

const snapshot = (customerId: string, at: string) => snapshotRows(store, customerId, at);

describe('Azure inventory collector (real @azure/arm-compute and identity against an Azure stand-in)', () => {
  it('collects VMs with power state, SKU shapes and GPUs across pages, and managed disks', async () => {
    server.handle(azureTenant());
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'azr-full',
      provider: 'azure',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ resource: 7 });
    expect(server.requests.find((r) => r.path.endsWith('/virtualMachines'))?.query.get('statusOnly')).toBe(
      'true',
    );
    // One SKU list per location in use.
    expect(
      server.requests.filter((r) => r.path.endsWith('/skus')).map((r) => r.query.get('$filter')),
    ).toEqual(["location eq 'eastus'", "location eq 'westeurope'"]);

    const snap = await snapshot('azr-full', NOW);
    const byName = Object.fromEntries(snap.map((r) => [r.name, r]));
    expect(byName['gpu-train-01']).toMatchObject({
      resource_id: `/subscriptions/${AZURE_SUBSCRIPTION}/resourcegroups/ml-training/providers/microsoft.compute/virtualmachines/gpu-train-01`,
      resource_type: 'vm',
      status: 'running',
      region: 'eastus',
      zone: '2',
      sku: 'Standard_NC24ads_A100_v4',
      vcpus: 24,
      memory_gib: 220,
      gpu_count: 1,
      gpu_model: 'NVIDIA A100',
      tags: { team: 'ml', 'cost-center': '4410' },
      created_at: '2026-10-03 14:22:05.123',
      complete: 1,
    });
    expect(JSON.parse(byName['gpu-train-01']?.attributes ?? '{}')).toMatchObject({
      kind: 'azure_vm',
      subscription_id: AZURE_SUBSCRIPTION,
      resource_group: 'ml-training',
      priority: 'Spot',
      os_type: 'Linux',
    });
    // A deallocated VM is not billed for compute; a stopped one would be.
    expect(byName['web-02']).toMatchObject({
      status: 'deallocated',
      vcpus: 4,
      memory_gib: 16,
      gpu_count: 0,
      gpu_model: '',
    });
    expect(byName['infer-t4-01']).toMatchObject({
      region: 'westeurope',
      gpu_count: 1,
      gpu_model: 'NVIDIA T4',
      vcpus: 4,
      memory_gib: 28,
    });
    expect(byName['datasets-cache']).toMatchObject({
      resource_type: 'disk',
      status: 'available',
      sku: 'PremiumV2_LRS',
      zone: '2',
    });
    expect(JSON.parse(byName['datasets-cache']?.attributes ?? '{}')).toMatchObject({
      size_gb: 2048,
      attached_to: '',
    });
    expect(byName['gpu-train-01_OsDisk_1']).toMatchObject({ status: 'in_use' });
    expect(JSON.parse(byName['gpu-train-01_OsDisk_1']?.attributes ?? '{}')).toMatchObject({
      attached_to: 'gpu-train-01',
    });
    expect(byName['web-02_OsDisk_1']).toMatchObject({ status: 'reserved' });
  });

  it('retries throttled ARM reads, then succeeds', async () => {
    let throttled = 0;
    server.handle(
      azureTenant((req) => {
        if (req.path.endsWith('/disks') && throttled < 2) {
          throttled++;
          return {
            status: 429,
            headers: { 'retry-after': '0' },
            body: fixture('azure', 'error-429-too-many-requests.json'),
          };
        }
        return undefined;
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'azr-throttle',
      provider: 'azure',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect(throttled).toBe(2);
    expect(result.rows).toEqual({ resource: 7 });
  });

  it('marks the snapshot incomplete when the VM list fails mid-way, and reports no deletions from it', async () => {
    server.handle(azureTenant());
    await runJob(runtime, { customerId: 'azr-midway', provider: 'azure', dataTypes: ['resource'], now: NOW });
    server.handle(
      azureTenant((req) =>
        req.query.get('$skiptoken')
          ? { status: 500, body: fixture('azure', 'error-500-internal.json') }
          : undefined,
      ),
    );
    const result = await runJob(runtime, {
      customerId: 'azr-midway',
      provider: 'azure',
      dataTypes: ['resource'],
      now: LATER,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toBe(
      `azure collection incomplete, 1 failed: ${AZURE_SUBSCRIPTION} compute:virtualMachines.listAll page 2: InternalServerError: Pagination failed with unexpected statusCode 500`,
    );
    const snap = await snapshot('azr-midway', LATER);
    expect(snap.filter((r) => r.resource_type === 'vm').map((r) => r.name)).toEqual([
      'gpu-train-01',
      'web-01',
      'web-02',
    ]);
    expect(snap.every((r) => r.complete === 0)).toBe(true);
    expect(
      await rows(store, `SELECT * FROM resource_changes FINAL WHERE customer_id = 'azr-midway'`),
    ).toEqual([]);
    expect(await latestSnapshot(store, { customerId: 'azr-midway', provider: 'azure' })).toMatchObject({
      complete: false,
      resources: 6,
    });
  });

  it('leaves out VMs of a location whose SKU list failed, rather than writing them without a size', async () => {
    server.handle(
      azureTenant((req) =>
        req.path.endsWith('/skus') && req.query.get('$filter')?.includes('westeurope')
          ? { status: 403, body: fixture('azure', 'error-403-authorization-failed.json') }
          : undefined,
      ),
    );
    const result = await runJob(runtime, {
      customerId: 'azr-skus',
      provider: 'azure',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toMatch(/compute:resourceSkus.list westeurope: AuthorizationFailed/);
    const vms = (await snapshot('azr-skus', NOW)).filter((r) => r.resource_type === 'vm').map((r) => r.name);
    expect(vms).toEqual(['gpu-train-01', 'web-01', 'web-02']);
  });
});

describe('Azure VM prices (real fetch against a Retail Prices API stand-in)', () => {
  const priceRequests = () => server.requests.filter(isRetailPricesRequest);
  const vmPrices = async (customerId: string, at: string) =>
    Object.fromEntries(
      (await snapshot(customerId, at))
        .filter((r) => r.resource_type === 'vm')
        .map((r) => [r.name, [r.hourly_price, r.price_currency]]),
    );
  const ALL_PRICED = {
    'gpu-train-01': ['1.10187', 'USD'], // Spot VM: the newest Spot item, not the superseded one
    'infer-t4-01': ['0.598', 'USD'], // the westeurope item in effect since 2023-04-01, not 0.526
    'web-01': ['0.192', 'USD'], // Linux, not the 0.2016 announced for 2027
    'web-02': ['0.376', 'USD'], // Windows
  };
  const EASTUS_FILTER =
    "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and priceType eq 'Consumption' and " +
    "(armSkuName eq 'Standard_D4s_v5' or armSkuName eq 'Standard_NC24ads_A100_v4')";
  const collect = (customerId: string, now: string) =>
    runJob(runtime, { customerId, provider: 'azure', dataTypes: ['resource'], now });
  const changes = (customerId: string) =>
    rows<{ change_type: string; name: string }>(
      store,
      `SELECT change_type, name FROM resource_changes FINAL WHERE customer_id = {c:String} ORDER BY name`,
      { c: customerId },
    );

  it('prices every VM for its region, size, OS and priority, with one filtered query per region', async () => {
    server.handle(azureTenant());
    server.requests.length = 0;

    const result = await collect('azr-prices', NOW);

    expect(result.status).toBe('succeeded');
    expect(await vmPrices('azr-prices', NOW)).toEqual(ALL_PRICED);
    const disks = (await snapshot('azr-prices', NOW)).filter((r) => r.resource_type === 'disk');
    expect(disks.map((d) => [d.hourly_price, d.price_currency])).toEqual(disks.map(() => [null, '']));
    // eastus: both sizes in one OR query, its second page through NextPageLink; westeurope: one page.
    const asked = priceRequests().map((r) => ({
      apiVersion: r.query.get('api-version'),
      currency: r.query.get('currencyCode'),
      filter: retailPricesQuery(r).filter,
      skip: r.query.get('$skip'),
    }));
    expect(asked).toEqual([
      { apiVersion: '2023-01-01-preview', currency: "'USD'", filter: EASTUS_FILTER, skip: null },
      { apiVersion: '2023-01-01-preview', currency: "'USD'", filter: EASTUS_FILTER, skip: '100' },
      {
        apiVersion: '2023-01-01-preview',
        currency: "'USD'",
        filter:
          "serviceName eq 'Virtual Machines' and armRegionName eq 'westeurope' and priceType eq 'Consumption' and " +
          "(armSkuName eq 'Standard_NC4as_T4_v3')",
        skip: null,
      },
    ]);
    // The ARM token is for ARM only.
    expect(priceRequests().every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('asks the API again only once the 24-hour cache has expired', async () => {
    server.handle(azureTenant());
    server.requests.length = 0;
    await collect('azr-price-cache', NOW);
    expect(priceRequests()).toHaveLength(3);

    server.requests.length = 0;
    const warm = await collect('azr-price-cache', LATER);
    expect(warm.status).toBe('succeeded');
    expect(priceRequests()).toHaveLength(0);
    expect(server.requests.length).toBeGreaterThan(0);
    expect(await vmPrices('azr-price-cache', LATER)).toEqual(ALL_PRICED);

    server.requests.length = 0;
    await collect('azr-price-cache', NEXT_DAY);
    expect(priceRequests()).toHaveLength(3);
    expect(await vmPrices('azr-price-cache', NEXT_DAY)).toEqual(ALL_PRICED);
    expect(await changes('azr-price-cache')).toEqual([]);
  });

  it('waits out a 429 with Retry-After, then fills the prices', async () => {
    let throttled = 0;
    server.handle(
      azureTenant((req) => {
        if (isRetailPricesRequest(req) && retailPricesQuery(req).region === 'eastus' && throttled < 1) {
          throttled++;
          return {
            status: 429,
            headers: { 'retry-after': '0' },
            body: { error: { code: 'TooManyRequests', message: 'Too many requests. Please retry.' } },
          };
        }
        return undefined;
      }),
    );
    server.requests.length = 0;

    const result = await collect('azr-price-429', NOW);

    expect(result.status).toBe('succeeded');
    expect(throttled).toBe(1);
    expect(priceRequests().filter((r) => retailPricesQuery(r).region === 'eastus')).toHaveLength(3);
    expect(await vmPrices('azr-price-429', NOW)).toEqual(ALL_PRICED);
  });

  it('writes the VMs of a region whose price lookup keeps failing without a price, in a complete snapshot', async () => {
    server.handle(azureTenant());
    await collect('azr-price-500', NOW);
    clearAzurePriceCache();
    // Meanwhile web-01 was deleted, and the price API fails for westeurope.
    server.handle(
      azureTenant((req) => {
        if (isRetailPricesRequest(req) && retailPricesQuery(req).region === 'westeurope') {
          return { status: 500, body: fixture('azure', 'error-500-internal.json') };
        }
        if (req.path.endsWith('/virtualMachines') && !req.query.get('$skiptoken')) {
          const page = fixture<{ value: { name: string }[] }>('azure', 'vms-page1.json');
          return { body: { ...page, value: page.value.filter((vm) => vm.name !== 'web-01') } };
        }
        return undefined;
      }),
    );
    server.requests.length = 0;

    const result = await collect('azr-price-500', LATER);

    expect(result.status).toBe('partial');
    expect(result.errors.resource).toMatch(
      /^azure:retail-prices westeurope: VM price lookup failed, its VMs are written without hourly_price: 127\.0\.0\.1:\d+\/api\/retail\/prices: HTTP 500 /,
    );
    // Retried (4 attempts), once for the run.
    expect(priceRequests().filter((r) => retailPricesQuery(r).region === 'westeurope')).toHaveLength(4);
    expect(await vmPrices('azr-price-500', LATER)).toEqual({
      'gpu-train-01': ['1.10187', 'USD'],
      'infer-t4-01': [null, ''],
      'web-02': ['0.376', 'USD'],
    });
    const snap = await snapshot('azr-price-500', LATER);
    expect(snap.every((r) => r.complete === 1)).toBe(true);
    expect(await latestSnapshot(store, { customerId: 'azr-price-500', provider: 'azure' })).toMatchObject({
      complete: true,
      resources: 6,
    });
    // A complete snapshot still reports the deletion; an unknown price is not a modification.
    expect(await changes('azr-price-500')).toEqual([{ change_type: 'deleted', name: 'web-01' }]);

    // A failed lookup is not cached: the next collection asks about westeurope (only) again.
    server.handle(azureTenant());
    server.requests.length = 0;
    const recovered = await collect('azr-price-500', '2026-11-20T12:32:00.000Z');
    expect(recovered.status).toBe('succeeded');
    expect(priceRequests().map((r) => retailPricesQuery(r).region)).toEqual(['westeurope']);
    expect((await vmPrices('azr-price-500', '2026-11-20T12:32:00.000Z'))['infer-t4-01']).toEqual([
      '0.598',
      'USD',
    ]);
  });

  it('treats a malformed answer as a failed lookup: no prices, a warning per region, no retries', async () => {
    server.handle(
      azureTenant((req) => {
        if (!isRetailPricesRequest(req)) return undefined;
        if (retailPricesQuery(req).region === 'eastus') {
          return {
            headers: { 'content-type': 'text/html' },
            body: '<!DOCTYPE html><html><body>Service Unavailable</body></html>',
          };
        }
        return {
          headers: { 'content-type': 'application/json' },
          body: fixtureText('azure', 'retail-prices/westeurope.json').replace('"retailPrice": 0.598,', ''),
        };
      }),
    );
    server.requests.length = 0;

    const result = await collect('azr-price-bad', NOW);

    expect(result.status).toBe('partial');
    expect(result.errors.resource).toMatch(
      /^azure:retail-prices eastus: VM price lookup failed, its VMs are written without hourly_price: 127\.0\.0\.1:\d+\/api\/retail\/prices: response is not valid JSON \(.*\); azure:retail-prices westeurope: VM price lookup failed, its VMs are written without hourly_price: unexpected response at Items\.1\.retailPrice: /,
    );
    expect(priceRequests()).toHaveLength(2);
    expect(await vmPrices('azr-price-bad', NOW)).toEqual({
      'gpu-train-01': [null, ''],
      'infer-t4-01': [null, ''],
      'web-01': [null, ''],
      'web-02': [null, ''],
    });
    expect((await snapshot('azr-price-bad', NOW)).every((r) => r.complete === 1)).toBe(true);
  });

  it('leaves the price of a size the API does not know empty, without a warning', async () => {
    server.handle(
      azureTenant((req) =>
        isRetailPricesRequest(req) && retailPricesQuery(req).region === 'westeurope'
          ? {
              headers: { 'content-type': 'application/json' },
              body: fixtureText('azure', 'retail-prices/empty.json'),
            }
          : undefined,
      ),
    );

    const result = await collect('azr-price-unknown', NOW);

    expect(result.status).toBe('succeeded');
    expect(result.errors).toEqual({});
    expect(await vmPrices('azr-price-unknown', NOW)).toEqual({ ...ALL_PRICED, 'infer-t4-01': [null, ''] });
  });
});

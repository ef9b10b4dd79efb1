import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { clearComputePriceCache } from '../../../lib/providers/gcp/prices';
import { latestSnapshot } from '../../../lib/resources/snapshots';
import type { Runtime } from '../../../lib/runtime';
import { collectionRuntime, connectionsFor, runJob } from '../../helpers/collect';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { fixture } from '../../helpers/fixtures';
import { COMPUTE_SKUS_PATH, GCP_PROJECT, gcpProject } from '../../helpers/gcp-fake';
import { snapshotRows } from '../../helpers/snapshots';
import { rows, testStore } from '../../helpers/store';

const CUSTOMERS = [
  'gcpr-full',
  'gcpr-throttle',
  'gcpr-midway',
  'gcpr-types',
  'gcpr-price-throttle',
  'gcpr-price-down',
  'gcpr-unpriced',
  'gcpr-cache',
  'gcpr-empty',
];
const NOW = '2026-11-20T12:02:00.000Z';
const LATER = '2026-11-20T12:17:00.000Z';
const NEXT_DAY = '2026-11-21T12:07:00.000Z';

/**
 * Hourly list prices of the fixture instances, from the SKUs in
 * tests/fixtures/gcp/billing/skus-compute-engine-page-*.json (summed by hand and with
 * Python's Decimal when the fixtures were written).
 */
const PRICES = {
  // n2-standard-8, us-central1, on demand: 8 × 0.031611 (N2 Instance Core, Americas)
  // + 32 GiB × 0.004237 (N2 Instance Ram) = 0.252888 + 0.135584
  'api-n2-0': '0.388472',
  // a2-highgpu-1g, SPOT: 12 × 0.00949 (Spot Preemptible A2 Instance Core) + 85 GiB × 0.001271
  // (Spot Preemptible A2 Instance Ram) + 1 × 1.1002 (A100 attached to Spot Preemptible VMs)
  // = 0.11388 + 0.108035 + 1.1002
  'trainer-a100-0': '1.322115',
  // g2-standard-8, stopped (still its list price): 8 × 0.024988 + 32 × 0.002927 + 1 × 0.55984
  // (Nvidia L4 GPU) = 0.199904 + 0.093664 + 0.55984
  'infer-l4-0': '0.853408',
  // n2-custom-4-16384, europe-west4: N2 Custom SKUs of Netherlands, 4 × 0.036547 + 16 × 0.004898
  // = 0.146188 + 0.078368
  'etl-custom-0': '0.224556',
} as const;

const instancesPage = (page: 1 | 2) =>
  fixture<{ items: Record<string, { instances?: Record<string, unknown>[] } & Record<string, unknown>> }>(
    'gcp',
    `compute-instances-aggregated-page${page}.json`,
  );
const catalogReads = () => server.requests.filter((r) => r.path === COMPUTE_SKUS_PATH);
const vmPrices = async (customerId: string, at: string) =>
  Object.fromEntries(
    (await snapshot(customerId, at))
      .filter((r) => r.resource_type === 'vm')
      .map((r) => [r.name, [r.hourly_price, r.price_currency]]),
  );
const priced = (names: (keyof typeof PRICES)[]) =>
  Object.fromEntries(names.map((n) => [n, [PRICES[n], 'USD']]));

let server: FakeServer;
let store: Store;
let runtime: Runtime;

beforeAll(async () => {
  server = await startFakeServer();
  store = await testStore();
  const connections = connectionsFor('gcp', CUSTOMERS, { project_ids: [GCP_PROJECT], endpoint: server.url });
  runtime = await collectionRuntime(store, connections);
});

afterAll(() => server.close());

// The price table is cached per process for 24 h; each test starts with a cold cache.
beforeEach(() => clearComputePriceCache());

const snapshot = (customerId: string, at: string) => snapshotRows(store, customerId, at);

describe('GCP inventory collector (real @google-cloud/compute over REST against a Compute stand-in)', () => {
  it('collects instances across aggregated pages with machine-type shapes and GPUs, and disks', async () => {
    server.handle(gcpProject());
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'gcpr-full',
      provider: 'gcp',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ resource: 9 });

    const instancePages = server.requests.filter((r) => r.path.endsWith('/aggregated/instances'));
    expect(instancePages.map((r) => r.query.get('pageToken'))).toEqual([null, 'Q29tcHV0ZV9QYWdlXzI']);
    expect(instancePages[0]?.query.get('returnPartialSuccess')).toBe('true');
    // Predefined types are looked up once per zone; the custom type is read from its name.
    expect(
      server.requests.filter((r) => r.path.includes('/machineTypes/')).map((r) => r.path.split('/zones/')[1]),
    ).toEqual([
      'us-central1-a/machineTypes/a2-highgpu-1g',
      'us-central1-a/machineTypes/n2-standard-8',
      'us-central1-b/machineTypes/g2-standard-8',
    ]);

    const snap = await snapshot('gcpr-full', NOW);
    const byName = Object.fromEntries(snap.filter((r) => r.resource_type === 'vm').map((r) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(['api-n2-0', 'etl-custom-0', 'infer-l4-0', 'trainer-a100-0']);
    expect(byName['trainer-a100-0']).toMatchObject({
      resource_id: '4527312897634518201',
      status: 'running',
      region: 'us-central1',
      zone: 'us-central1-a',
      sku: 'a2-highgpu-1g',
      vcpus: 12,
      memory_gib: 85,
      gpu_count: 1,
      gpu_model: 'nvidia-tesla-a100',
      tags: { team: 'ml', workload: 'training' },
      created_at: '2026-09-30 10:12:44.512',
      complete: 1,
    });
    expect(JSON.parse(byName['trainer-a100-0']?.attributes ?? '{}')).toEqual({
      kind: 'gce_instance',
      project: GCP_PROJECT,
      provisioning_model: 'SPOT',
      cpu_platform: 'Intel Cascade Lake',
    });
    // GCE's TERMINATED is a stopped VM.
    expect(byName['infer-l4-0']).toMatchObject({
      status: 'stopped',
      vcpus: 8,
      memory_gib: 32,
      gpu_count: 1,
      gpu_model: 'nvidia-l4',
      region: 'us-central1',
    });
    expect(byName['etl-custom-0']).toMatchObject({
      sku: 'n2-custom-4-16384',
      vcpus: 4,
      memory_gib: 16,
      gpu_count: 0,
      region: 'europe-west4',
    });
    expect(byName['api-n2-0']).toMatchObject({ vcpus: 8, memory_gib: 32, gpu_count: 0, gpu_model: '' });

    // Prices: the Compute Engine SKU catalog, read once, every page, in USD.
    expect(
      catalogReads().map((r) => [
        r.query.get('currencyCode'),
        r.query.get('pageSize'),
        r.query.get('pageToken'),
      ]),
    ).toEqual([
      ['USD', '5000', null],
      ['USD', '5000', 'CgwIuYCcqgYQwI3ErgIaDgoMRTI5Qy01OTMzLUE3MjA='],
    ]);
    expect(await vmPrices('gcpr-full', NOW)).toEqual(
      priced(['api-n2-0', 'etl-custom-0', 'infer-l4-0', 'trainer-a100-0']),
    );

    const disks = Object.fromEntries(snap.filter((r) => r.resource_type === 'disk').map((r) => [r.name, r]));
    expect(Object.keys(disks)).toHaveLength(5);
    expect(disks['datasets-archive']).toMatchObject({
      status: 'available',
      sku: 'pd-standard',
      zone: 'us-central1-a',
      tags: { team: 'ml' },
    });
    expect(JSON.parse(disks['datasets-archive']?.attributes ?? '{}')).toEqual({
      kind: 'gce_disk',
      project: GCP_PROJECT,
      size_gb: 4000,
      attached_to: [],
    });
    expect(disks['trainer-a100-0']).toMatchObject({ status: 'in_use', sku: 'pd-ssd' });
    // Disk SKUs are per GiB-month: no hourly price.
    expect(Object.values(disks).every((d) => d.hourly_price === null && d.price_currency === '')).toBe(true);
  });

  it('retries a throttled machine-type lookup, then succeeds', async () => {
    let throttled = 0;
    server.handle(
      gcpProject((req) => {
        if (req.path.includes('/machineTypes/') && throttled < 2) {
          throttled++;
          return { status: 429, body: fixture('gcp', 'error-429-resource-exhausted.json') };
        }
        return undefined;
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'gcpr-throttle',
      provider: 'gcp',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ resource: 9 });
  });

  it('treats an unreachable zone as a failed scope: an incomplete snapshot, no deletions, the other zones kept', async () => {
    server.handle(gcpProject());
    await runJob(runtime, { customerId: 'gcpr-midway', provider: 'gcp', dataTypes: ['resource'], now: NOW });
    server.handle(
      gcpProject((req) => {
        if (!req.path.endsWith('/aggregated/instances') || req.query.get('pageToken')) return undefined;
        const page = fixture<{ items: Record<string, unknown> }>(
          'gcp',
          'compute-instances-aggregated-page1.json',
        );
        page.items['zones/us-central1-b'] = {
          warning: {
            code: 'UNREACHABLE',
            message: "Scope 'zones/us-central1-b' is unreachable.",
            data: [{ key: 'scope', value: 'zones/us-central1-b' }],
          },
        };
        return { body: page };
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'gcpr-midway',
      provider: 'gcp',
      dataTypes: ['resource'],
      now: LATER,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toBe(
      `gcp collection incomplete, 1 failed: ${GCP_PROJECT} compute:instances.aggregatedList zones/us-central1-b: scope warning UNREACHABLE`,
    );
    const snap = await snapshot('gcpr-midway', LATER);
    expect(snap.filter((r) => r.resource_type === 'vm').map((r) => r.name)).toEqual([
      'api-n2-0',
      'etl-custom-0',
      'trainer-a100-0',
    ]);
    expect(snap.every((r) => r.complete === 0)).toBe(true);
    expect(
      await rows(store, `SELECT * FROM resource_changes FINAL WHERE customer_id = 'gcpr-midway'`),
    ).toEqual([]);
    expect(await latestSnapshot(store, { customerId: 'gcpr-midway', provider: 'gcp' })).toMatchObject({
      complete: false,
      resources: 8,
    });
  });

  it('retries a listing that fails mid-way from the start, without duplicating the first page', async () => {
    let failed = 0;
    server.handle(
      gcpProject((req) => {
        if (req.path.endsWith('/aggregated/instances') && req.query.get('pageToken') && failed < 1) {
          failed++;
          return { status: 503, body: fixture('gcp', 'error-503-unavailable.json') };
        }
        return undefined;
      }),
    );
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'gcpr-types',
      provider: 'gcp',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect(server.requests.filter((r) => r.path.endsWith('/aggregated/instances'))).toHaveLength(4);
    expect((await snapshot('gcpr-types', NOW)).filter((r) => r.resource_type === 'vm')).toHaveLength(4);
  });
  it('retries a throttled catalog read (429 RESOURCE_EXHAUSTED), then prices every instance', async () => {
    let throttled = 0;
    server.handle(
      gcpProject((req) => {
        if (req.path === COMPUTE_SKUS_PATH && throttled < 1) {
          throttled++;
          return { status: 429, body: fixture('gcp', 'error-429-resource-exhausted.json') };
        }
        return undefined;
      }),
    );
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'gcpr-price-throttle',
      provider: 'gcp',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect(result.errors).toEqual({});
    // The throttled first page, then both pages again.
    expect(catalogReads().map((r) => r.query.get('pageToken'))).toEqual([
      null,
      null,
      'CgwIuYCcqgYQwI3ErgIaDgoMRTI5Qy01OTMzLUE3MjA=',
    ]);
    expect(await vmPrices('gcpr-price-throttle', NOW)).toEqual(
      priced(['api-n2-0', 'etl-custom-0', 'infer-l4-0', 'trainer-a100-0']),
    );
  });

  it('writes a complete snapshot without prices when the catalog stays unavailable: the run is partial, deletions are still found', async () => {
    server.handle(gcpProject());
    await runJob(runtime, {
      customerId: 'gcpr-price-down',
      provider: 'gcp',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(await vmPrices('gcpr-price-down', NOW)).toEqual(
      priced(['api-n2-0', 'etl-custom-0', 'infer-l4-0', 'trainer-a100-0']),
    );

    // A cold process (e.g. a new Lambda) whose catalog reads all fail; etl-custom-0 is gone.
    clearComputePriceCache();
    server.handle(
      gcpProject((req) => {
        if (req.path === COMPUTE_SKUS_PATH)
          return { status: 503, body: fixture('gcp', 'error-503-unavailable.json') };
        if (req.path.endsWith('/aggregated/instances') && req.query.get('pageToken')) {
          const page = instancesPage(2);
          page.items['zones/europe-west4-a'] = {
            warning: {
              code: 'NO_RESULTS_ON_PAGE',
              message: "There are no results for scope 'zones/europe-west4-a' on this page.",
            },
          };
          return { body: page };
        }
        return undefined;
      }),
    );
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'gcpr-price-down',
      provider: 'gcp',
      dataTypes: ['resource'],
      now: LATER,
    });
    expect(result.status).toBe('partial');
    expect(result.rows).toEqual({ resource: 8 });
    expect(result.errors.resource).toBe(
      'Compute Engine list prices unavailable from the Cloud Billing Catalog, VMs have no hourly_price: ' +
        'billing:listSkus services/6F81-5844-456A: UNAVAILABLE: The service is currently unavailable.',
    );
    // Every attempt of the run's retry policy (4), and only once for the run.
    expect(catalogReads()).toHaveLength(4);

    expect(await vmPrices('gcpr-price-down', LATER)).toEqual({
      'api-n2-0': [null, ''],
      'infer-l4-0': [null, ''],
      'trainer-a100-0': [null, ''],
    });
    expect((await snapshot('gcpr-price-down', LATER)).every((r) => r.complete === 1)).toBe(true);
    expect(await latestSnapshot(store, { customerId: 'gcpr-price-down', provider: 'gcp' })).toMatchObject({
      complete: true,
      resources: 8,
    });
    // The instance that went away is deleted; a price that could not be looked up is no modification.
    expect(
      await rows(
        store,
        `SELECT name, change_type, changes FROM resource_changes FINAL WHERE customer_id = 'gcpr-price-down'`,
      ),
    ).toEqual([{ name: 'etl-custom-0', change_type: 'deleted', changes: [] }]);
  });

  it('leaves unpriced what the catalog cannot price exactly and prices the rest', async () => {
    const zone = `https://www.googleapis.com/compute/v1/projects/${GCP_PROJECT}/zones/us-central1-c`;
    const like = (id: string, name: string, type: string) => ({
      ...instancesPage(1).items['zones/us-central1-a']?.instances?.[1],
      id,
      name,
      zone,
      machineType: `${zone}/machineTypes/${type}`,
      selfLink: `${zone}/instances/${name}`,
    });
    server.handle(
      gcpProject((req) => {
        if (req.path.endsWith('/aggregated/instances') && req.query.get('pageToken')) {
          const page = instancesPage(2);
          page.items['zones/us-central1-c'] = {
            instances: [
              // Z3: no Z3 SKUs in the catalog.
              like('8100000000000000001', 'cache-z3-0', 'z3-highmem-88'),
              // C3: its core SKU has two non-zero tiers, so no single price.
              like('8100000000000000002', 'web-c3-0', 'c3-standard-4'),
              // Shared-core E2: billed for 1 vCPU of its 2 (1 × 0.021811) + 4 GiB × 0.002923
              // = 0.021811 + 0.011692.
              like('8100000000000000003', 'bastion-e2-0', 'e2-medium'),
              // f1-micro is billed per instance, not per vCPU: left unpriced.
              like('8100000000000000004', 'legacy-f1-0', 'f1-micro'),
            ],
          };
          return { body: page };
        }
        return undefined;
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'gcpr-unpriced',
      provider: 'gcp',
      dataTypes: ['resource'],
      now: NOW,
    });
    // An unknown price is not a failure of the run.
    expect(result.status).toBe('succeeded');
    expect(await vmPrices('gcpr-unpriced', NOW)).toEqual({
      ...priced(['api-n2-0', 'etl-custom-0', 'infer-l4-0', 'trainer-a100-0']),
      'bastion-e2-0': ['0.033503', 'USD'],
      'cache-z3-0': [null, ''],
      'legacy-f1-0': [null, ''],
      'web-c3-0': [null, ''],
    });
  });

  it('reuses the price table for 24 h: a collection 15 minutes later does not read the catalog, the next day does', async () => {
    server.handle(gcpProject());
    server.requests.length = 0;
    await runJob(runtime, { customerId: 'gcpr-cache', provider: 'gcp', dataTypes: ['resource'], now: NOW });
    expect(catalogReads()).toHaveLength(2);

    server.requests.length = 0;
    const later = await runJob(runtime, {
      customerId: 'gcpr-cache',
      provider: 'gcp',
      dataTypes: ['resource'],
      now: LATER,
    });
    expect(later.status).toBe('succeeded');
    expect(catalogReads()).toHaveLength(0);
    expect(await vmPrices('gcpr-cache', LATER)).toEqual(
      priced(['api-n2-0', 'etl-custom-0', 'infer-l4-0', 'trainer-a100-0']),
    );

    server.requests.length = 0;
    await runJob(runtime, {
      customerId: 'gcpr-cache',
      provider: 'gcp',
      dataTypes: ['resource'],
      now: NEXT_DAY,
    });
    expect(catalogReads()).toHaveLength(2);
  });

  it('does not read the catalog when a project has no instances', async () => {
    server.handle(
      gcpProject((req) =>
        req.path.endsWith('/aggregated/instances')
          ? {
              body: {
                kind: 'compute#instanceAggregatedList',
                items: {
                  'zones/us-central1-a': {
                    warning: { code: 'NO_RESULTS_ON_PAGE', message: 'There are no results for scope.' },
                  },
                },
              },
            }
          : undefined,
      ),
    );
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'gcpr-empty',
      provider: 'gcp',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ resource: 5 });
    expect(catalogReads()).toHaveLength(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import type { Connection } from '../../../lib/collector/types';
import { latestSnapshot } from '../../../lib/resources/snapshots';
import type { Runtime } from '../../../lib/runtime';
import { AZURE_CLIENT, AZURE_SUBSCRIPTION, AZURE_TENANT, azureTenant } from '../../helpers/azure-fake';
import { collectionRuntime, runJob } from '../../helpers/collect';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { fixture } from '../../helpers/fixtures';
import { rows, testStore } from '../../helpers/store';

const CUSTOMERS = ['azr-full', 'azr-throttle', 'azr-midway', 'azr-skus'];
const NOW = '2026-11-20T12:02:00.000Z';
const LATER = '2026-11-20T12:17:00.000Z';

let server: FakeServer;
let store: Store;
let runtime: Runtime;

beforeAll(async () => {
  server = await startFakeServer();
  store = await testStore();
  const connections: Connection[] = CUSTOMERS.map((customerId) => ({
    id: 'azure-main',
    customerId,
    provider: 'azure',
    enabled: true,
    settings: {
      tenant_id: AZURE_TENANT,
      client_id: AZURE_CLIENT,
      subscription_ids: [AZURE_SUBSCRIPTION],
      endpoint: server.url,
    },
    secrets: { client_secret: 'Qx8Q~fake.client-secret_value~456' },
    source: 'config',
  }));
  runtime = await collectionRuntime(store, connections);
});

afterAll(() => server.close());

interface Row {
  resource_id: string;
  resource_type: string;
  name: string;
  status: string;
  region: string;
  zone: string;
  sku: string;
  vcpus: number | null;
  memory_gib: number | null;
  gpu_count: number;
  gpu_model: string;
  tags: Record<string, string>;
  created_at: string | null;
  attributes: string;
  complete: number;
}

const snapshot = (customerId: string, at: string) =>
  rows<Row>(
    store,
    `SELECT resource_id, resource_type, name, status, region, zone, sku, vcpus, memory_gib, gpu_count, gpu_model, tags,
            toString(created_at) AS created_at, attributes, complete
     FROM resource_snapshots FINAL WHERE customer_id = {c:String} AND snapshot_at = {t:DateTime64(3, 'UTC')}
     ORDER BY resource_type, name`,
    { c: customerId, t: at.replace('T', ' ').replace('Z', '') },
  );

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

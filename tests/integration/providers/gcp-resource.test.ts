import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import type { Connection } from '../../../lib/collector/types';
import { latestSnapshot } from '../../../lib/resources/snapshots';
import type { Runtime } from '../../../lib/runtime';
import { collectionRuntime, runJob } from '../../helpers/collect';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { fixture } from '../../helpers/fixtures';
import { GCP_PROJECT, gcpProject } from '../../helpers/gcp-fake';
import { rows, testStore } from '../../helpers/store';

const CUSTOMERS = ['gcpr-full', 'gcpr-throttle', 'gcpr-midway', 'gcpr-types'];
const NOW = '2026-11-20T12:02:00.000Z';
const LATER = '2026-11-20T12:17:00.000Z';

let server: FakeServer;
let store: Store;
let runtime: Runtime;

beforeAll(async () => {
  server = await startFakeServer();
  store = await testStore();
  const connections: Connection[] = CUSTOMERS.map((customerId) => ({
    id: 'gcp-main',
    customerId,
    provider: 'gcp',
    enabled: true,
    settings: { project_ids: [GCP_PROJECT], endpoint: server.url },
    secrets: {},
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
});

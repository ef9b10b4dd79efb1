import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RESOURCES_HANDLERS } from '../../../lib/api/handlers/resources';
import { RESOURCES_ROUTES } from '../../../lib/api/routes/resources';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter } from '../../../lib/clickhouse/writer';
import type { JobQueue } from '../../../lib/collector/queue';
import type { CollectionJob, Connection, ProviderDefinition } from '../../../lib/collector/types';
import { parseConfig } from '../../../lib/config/schema';
import { createRegistry, PROVIDERS } from '../../../lib/providers/registry';
import { createRuntime, type Runtime } from '../../../lib/runtime';
import type { ResourceSnapshotInput } from '../../../lib/schemas/rows';
import { routeCaller } from '../../helpers/route-call';
import { silentLogger, testStore } from '../../helpers/store';

/** A JSON object from a response body. */
type Row = Record<string, unknown>;

const C = 'res-api-c';
const OTHER = 'res-api-other';
const S1 = '2026-03-01T00:00:00.000Z';
const S2 = '2026-03-02T00:00:00.000Z';

/** A provider whose inventory is one GPU machine, snapshotted at a fixed instant. */
const fakeInventory: ProviderDefinition<unknown> = {
  id: 'fakeinventory',
  displayName: 'Fake inventory',
  category: 'gpu_cloud',
  settingsSchema: z.object({}),
  collectors: {
    async *resource(ctx) {
      yield [
        {
          customer_id: ctx.customerId,
          provider: 'fakeinventory',
          snapshot_at: '2026-04-01T00:00:00Z',
          resource_id: 'pod-1',
          resource_type: 'gpu_pod',
          name: 'pod-1',
          status: 'running',
          gpu_count: 2,
          gpu_model: 'NVIDIA H100',
          task_id: ctx.taskId,
        },
      ];
    },
  },
  async testConnection() {},
};

/** Only performance data: asking it for an inventory is a 400. */
const fakeMetrics: ProviderDefinition<unknown> = {
  id: 'fakemetrics',
  displayName: 'Fake metrics',
  category: 'general_compute',
  settingsSchema: z.object({}),
  collectors: { async *performance() {} },
  async testConnection() {},
};

const connection = (provider: string): Connection => ({
  id: 'main',
  customerId: C,
  provider,
  enabled: true,
  settings: {},
  secrets: {},
  source: 'config',
});

const queued: CollectionJob[] = [];
const queue: JobQueue = {
  async send(jobs) {
    queued.push(...jobs);
  },
};

const snap = (
  provider: string,
  at: string,
  row: Partial<ResourceSnapshotInput> & { resource_id: string },
): ResourceSnapshotInput => ({
  customer_id: C,
  provider,
  snapshot_at: at,
  resource_type: 'instance',
  status: 'running',
  region: 'us-east-1',
  ...row,
});

let store: Store;
let runtime: Runtime;
beforeAll(async () => {
  store = await testStore();
  runtime = await createRuntime(parseConfig({}), {
    mode: 'lambda',
    env: {},
    store,
    logger: silentLogger(),
    registry: createRegistry([...PROVIDERS, fakeInventory, fakeMetrics]),
    queue,
    connections: [connection('fakeinventory'), connection('fakemetrics')],
  });
  const writer = createWriter(store);
  await writer.write('resource_snapshots', [
    snap('aws', S1, { resource_id: 'i-old', name: 'gone' }),
    snap('aws', S2, { resource_id: 'i-1', name: 'web', vcpus: 2, memory_gib: 4 }),
    snap('aws', S2, {
      resource_id: 'g-1',
      name: 'trainer',
      resource_type: 'gpu_instance',
      gpu_count: 4,
      gpu_model: 'NVIDIA A10G',
      vcpus: 48,
      memory_gib: 192,
    }),
    snap('azure', S2, {
      resource_id: '/subscriptions/0000/resourceGroups/ml/providers/Microsoft.Compute/virtualMachines/vm1',
      name: 'vm1',
      region: 'westeurope',
      complete: 0,
    }),
    { ...snap('aws', S2, { resource_id: 'x-1' }), customer_id: OTHER },
  ]);
  await writer.write('resource_changes', [
    {
      customer_id: C,
      provider: 'aws',
      resource_id: 'i-old',
      change_type: 'deleted',
      snapshot_at: S2,
      previous_snapshot_at: S1,
      detected_at: S2,
    },
    {
      customer_id: C,
      provider: 'aws',
      resource_id: 'g-1',
      change_type: 'created',
      snapshot_at: S2,
      previous_snapshot_at: S1,
      detected_at: S2,
    },
    {
      customer_id: C,
      provider: 'aws',
      resource_id: 'i-1',
      change_type: 'modified',
      changes: [{ field: 'status', old_value: 'stopped', new_value: 'running' }],
      snapshot_at: S2,
      previous_snapshot_at: S1,
      detected_at: S2,
    },
  ]);
});

const call = routeCaller(RESOURCES_ROUTES, RESOURCES_HANDLERS, () => runtime, C);

describe('resources routes', () => {
  it('serves every route of the table with a handler and a functions/api file', async () => {
    const base = '/api/v2/resources/{customer_id}/{provider}';
    expect(RESOURCES_ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${base}/inventory`,
      `GET ${base}/list`,
      `GET ${base}/resource/{resource_id}`,
      `GET ${base}/by-type`,
      `GET ${base}/changes`,
      `GET ${base}/summary`,
      'POST /api/v2/resources/trigger-collection',
    ]);
    for (const r of RESOURCES_ROUTES) {
      expect(RESOURCES_HANDLERS[r.name], r.name).toBeTypeOf('function');
      const mod = (await import(`../../../functions/api/${r.name}.ts`)) as { handler: unknown };
      expect(mod.handler, r.name).toBeTypeOf('function');
    }
  });
});

describe('GET .../inventory and .../list', () => {
  it.each(['resources-inventory', 'resources-list'])(
    '%s answers with the latest snapshot and its completeness',
    async (name) => {
      const res = await call(name);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        customer_id: C,
        provider: 'aws',
        snapshots: [{ provider: 'aws', snapshot_at: S2, complete: true, resources: 2 }],
        partial: false,
        total: 2,
        count: 2,
        limit: 1000,
        offset: 0,
      });
      expect(res.body.resources.map((r: Row) => r.resource_id)).toEqual(['g-1', 'i-1']);
    },
  );

  it('flags a partial latest snapshot with provider "all"', async () => {
    const res = await call('resources-inventory', { provider: 'all', query: { resource_type: 'instance' } });
    expect(res.status).toBe(200);
    expect(res.body.partial).toBe(true);
    expect(res.body.snapshots.map((s: Row) => [s.provider, s.complete])).toEqual([
      ['aws', true],
      ['azure', false],
    ]);
    expect(res.body.resources.map((r: Row) => r.name)).toEqual(['web', 'vm1']);
  });

  it('is 403 for another customer, 404 for an unknown provider, 400 for bad paging', async () => {
    expect((await call('resources-inventory', { auth: { customer_id: OTHER } })).status).toBe(403);
    const unknown = await call('resources-inventory', { provider: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const bad = await call('resources-inventory', { query: { limit: '5001' } });
    expect(bad).toEqual({
      status: 400,
      body: {
        error: {
          code: 'bad_request',
          message: 'query parameter limit: must be a whole number from 1 to 5000',
        },
      },
    });
    const offset = await call('resources-inventory', { query: { offset: '-1' } });
    expect(offset.body.error.message).toBe(
      'query parameter offset: must be a whole number from 0 to 1000000',
    );
  });
});

describe('GET .../resource/{resource_id}', () => {
  it('returns a resource whose id has slashes (API Gateway hands it decoded)', async () => {
    const id = '/subscriptions/0000/resourceGroups/ml/providers/Microsoft.Compute/virtualMachines/vm1';
    const res = await call('resources-resource', { provider: 'azure', extraPath: { resource_id: id } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      resource: { resource_id: id, name: 'vm1', region: 'westeurope' },
      in_latest_snapshot: true,
      latest_snapshot: { provider: 'azure', complete: false },
    });
  });

  it('returns its changes, and 404 for an id never seen', async () => {
    const res = await call('resources-resource', { extraPath: { resource_id: 'i-1' } });
    expect(res.body.changes).toEqual([
      {
        provider: 'aws',
        resource_id: 'i-1',
        resource_type: '',
        name: '',
        change_type: 'modified',
        changes: [{ field: 'status', old_value: 'stopped', new_value: 'running' }],
        previous_snapshot_at: S1,
        snapshot_at: S2,
        detected_at: S2,
      },
    ]);
    const missing = await call('resources-resource', { extraPath: { resource_id: 'x-1' } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe(
      'No resource "x-1" in any inventory snapshot of customer "res-api-c" (provider aws).',
    );
  });
});

describe('GET .../by-type, .../changes, .../summary', () => {
  it('groups by type', async () => {
    const res = await call('resources-by-type', { query: { limit: '5' } });
    expect(res.status).toBe(200);
    expect(res.body.types.map((t: Row) => [t.resource_type, t.count, t.gpu_count])).toEqual([
      ['gpu_instance', 1, 4],
      ['instance', 1, 0],
    ]);
  });

  it('lists changes in the period and validates change_type', async () => {
    const res = await call('resources-changes', {
      query: { start: '2026-03-02', end: '2026-03-03', change_type: 'created,deleted' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      period: { start: S2, end: '2026-03-03T00:00:00.000Z' },
      counts: { created: 1, deleted: 1, modified: 0 },
      total: 2,
      truncated: false,
    });
    expect(res.body.changes.map((c: Row) => [c.resource_id, c.change_type])).toEqual([
      ['g-1', 'created'],
      ['i-old', 'deleted'],
    ]);
    const earlier = await call('resources-changes', { query: { start: '2026-02-01', end: '2026-03-02' } });
    expect(earlier.body.total).toBe(0);
    const bad = await call('resources-changes', { query: { change_type: 'renamed' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe(
      'query parameter change_type: "renamed" is not one of created, deleted, modified',
    );
  });

  it('summarises the latest inventory with GPUs', async () => {
    const res = await call('resources-summary', { provider: 'all' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      partial: true,
      total: 3,
      by_provider: { aws: 2, azure: 1 },
      by_type: { gpu_instance: 1, instance: 2 },
      by_region: { 'us-east-1': 2, westeurope: 1 },
      compute: { vcpus: 50, memory_gib: 196 },
      gpus: { total: 4, resources_with_gpus: 1, by_model: { 'NVIDIA A10G': 4 } },
    });
    expect((await call('resources-summary', { query: { days: '7' } })).status).toBe(400);
  });
});

describe('POST /api/v2/resources/trigger-collection', () => {
  it('queues a resource-only job (202)', async () => {
    queued.length = 0;
    const res = await call('resources-trigger', { body: { customer_id: C, provider: ['fakeinventory'] } });
    expect(res.status).toBe(202);
    expect(res.body.tasks).toEqual([
      {
        task_id: queued[0]!.taskId,
        provider: 'fakeinventory',
        data_types: ['resource'],
        status_url: `/api/v1/collect/status/${queued[0]!.taskId}`,
      },
    ]);
  });

  it('runs in the request when async_mode is false; the snapshot becomes the inventory', async () => {
    const res = await call('resources-trigger', {
      body: { customer_id: C, provider: 'fakeinventory', async_mode: false },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', rows_collected: { resource: 1 } });
    const inv = await call('resources-inventory', { provider: 'fakeinventory' });
    expect(inv.body.resources.map((r: Row) => [r.resource_id, r.gpu_count, r.gpu_model])).toEqual([
      ['pod-1', 2, 'NVIDIA H100'],
    ]);
  });

  it('is 400 for a provider without inventory, 403 for another customer', async () => {
    const res = await call('resources-trigger', { body: { customer_id: C, provider: 'fakemetrics' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'Provider "fakemetrics" does not collect resource data (it collects: performance).',
    );
    expect(
      (await call('resources-trigger', { body: { customer_id: C }, auth: { customer_id: OTHER } })).status,
    ).toBe(403);
    expect((await call('resources-trigger', { body: 'not json' })).status).toBe(400);
  });
});

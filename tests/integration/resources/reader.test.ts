import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter } from '../../../lib/clickhouse/writer';
import {
  readByType,
  readChanges,
  readInventory,
  readInventorySummary,
  readResource,
} from '../../../lib/resources/reader';
import type { ResourceChangeInput, ResourceSnapshotInput } from '../../../lib/schemas/rows';
import { testStore } from '../../helpers/store';

const A = 'res-reader-a';
const B = 'res-reader-b';
const S1 = '2026-03-01T00:00:00.000Z';
const S2 = '2026-03-02T00:00:00.000Z';
const G1 = '2026-03-01T12:00:00.000Z';

const snap = (
  provider: string,
  at: string,
  row: Partial<ResourceSnapshotInput> & { resource_id: string },
  customer = A,
): ResourceSnapshotInput => ({
  customer_id: customer,
  provider,
  snapshot_at: at,
  resource_type: 'instance',
  status: 'running',
  region: 'us-east-1',
  ...row,
});

const change = (
  provider: string,
  at: string,
  previous: string | null,
  row: Partial<ResourceChangeInput> & {
    resource_id: string;
    change_type: ResourceChangeInput['change_type'];
  },
): ResourceChangeInput => ({
  customer_id: A,
  provider,
  resource_type: 'instance',
  previous_snapshot_at: previous,
  snapshot_at: at,
  detected_at: at,
  ...row,
});

/*
 * Customer A:
 *   aws snapshot S1 (complete): i-1 web-1, i-2 (stopped), db-1
 *   aws snapshot S2 (complete, latest): i-1 renamed web-1b, gpu-1 (8 × A100), db-1 — i-2 is gone.
 *     i-1's S2 row is written twice (a retried batch with a newer version): one row.
 *   gcp snapshot G1 (partial, latest for gcp): vm-1 (1 × L4), vm-2 (terminated, sizes unknown)
 * Customer B: one aws resource, never visible to A.
 */
let store: Store;
beforeAll(async () => {
  store = await testStore();
  const writer = createWriter(store);
  await writer.write('resource_snapshots', [
    snap('aws', S1, { resource_id: 'i-1', name: 'web-1', vcpus: 4, memory_gib: 16 }),
    snap('aws', S1, { resource_id: 'i-2', name: 'batch', status: 'stopped', vcpus: 2, memory_gib: 8 }),
    snap('aws', S1, {
      resource_id: 'db-1',
      name: 'orders',
      resource_type: 'db_instance',
      status: 'available',
      vcpus: 2,
      memory_gib: 8,
    }),
    snap('aws', S2, { resource_id: 'i-1', name: 'web-1-stale', vcpus: 4, memory_gib: 16 }),
    snap('aws', S2, {
      resource_id: 'gpu-1',
      name: 'trainer',
      resource_type: 'gpu_instance',
      region: 'us-west-2',
      zone: 'us-west-2a',
      sku: 'p4d.24xlarge',
      vcpus: 96,
      memory_gib: 1152,
      gpu_count: 8,
      gpu_model: 'NVIDIA A100',
      tags: { team: 'ml' },
      created_at: '2026-02-20T08:00:00Z',
      hourly_price: '32.7726',
      price_currency: 'USD',
      attributes: { lifecycle: 'on-demand' },
    }),
    snap('aws', S2, {
      resource_id: 'db-1',
      name: 'orders',
      resource_type: 'db_instance',
      status: 'available',
      vcpus: 2,
      memory_gib: 8,
    }),
    snap('gcp', G1, {
      resource_id: 'vm-1',
      name: 'infer',
      region: 'europe-west4',
      vcpus: 8,
      memory_gib: 32,
      gpu_count: 1,
      gpu_model: 'NVIDIA L4',
      complete: 0,
    }),
    snap('gcp', G1, {
      resource_id: 'vm-2',
      name: 'old',
      region: 'europe-west4',
      status: 'terminated',
      complete: 0,
    }),
    snap('aws', S2, { resource_id: 'x-1', name: 'other-customer' }, B),
  ]);
  await writer.write('resource_snapshots', [
    snap('aws', S2, { resource_id: 'i-1', name: 'web-1b', vcpus: 4, memory_gib: 16 }),
  ]);
  await writer.write('resource_changes', [
    change('aws', '2026-02-01T00:00:00.000Z', null, { resource_id: 'old-1', change_type: 'created' }),
    change('aws', S1, null, { resource_id: 'i-1', name: 'web-1', change_type: 'created' }),
    change('aws', S1, null, { resource_id: 'i-2', name: 'batch', change_type: 'created' }),
    change('aws', S1, null, {
      resource_id: 'db-1',
      resource_type: 'db_instance',
      name: 'orders',
      change_type: 'created',
    }),
    change('aws', S2, S1, { resource_id: 'i-2', name: 'batch', change_type: 'deleted' }),
    change('aws', S2, S1, {
      resource_id: 'gpu-1',
      resource_type: 'gpu_instance',
      name: 'trainer',
      change_type: 'created',
    }),
    change('aws', S2, S1, {
      resource_id: 'i-1',
      name: 'web-1b',
      change_type: 'modified',
      changes: [{ field: 'name', old_value: 'web-1', new_value: 'web-1b' }],
    }),
  ]);
  // The change detector ran twice for S2: the same change again, counted once.
  await writer.write('resource_changes', [
    change('aws', S2, S1, { resource_id: 'i-2', name: 'batch', change_type: 'deleted' }),
  ]);
});

const aws = { customerId: A, provider: 'aws' };
const all = { customerId: A, provider: 'all' };

describe('readInventory', () => {
  it("is the latest snapshot's rows, each rewritten row once", async () => {
    const inv = await readInventory(store, aws, { limit: 100, offset: 0 });
    expect(inv.snapshots).toEqual([{ provider: 'aws', snapshot_at: S2, complete: true, resources: 3 }]);
    expect(inv.partial).toBe(false);
    expect(inv.total).toBe(3);
    expect(inv.resources.map((r) => [r.resource_type, r.resource_id, r.name])).toEqual([
      ['db_instance', 'db-1', 'orders'],
      ['gpu_instance', 'gpu-1', 'trainer'],
      ['instance', 'i-1', 'web-1b'],
    ]);
    expect(inv.resources[1]).toEqual({
      provider: 'aws',
      resource_id: 'gpu-1',
      resource_type: 'gpu_instance',
      name: 'trainer',
      status: 'running',
      region: 'us-west-2',
      zone: 'us-west-2a',
      sku: 'p4d.24xlarge',
      vcpus: 96,
      memory_gib: 1152,
      gpu_count: 8,
      gpu_model: 'NVIDIA A100',
      tags: { team: 'ml' },
      created_at: '2026-02-20T08:00:00.000Z',
      hourly_price: '32.7726',
      price_currency: 'USD',
      attributes: { lifecycle: 'on-demand' },
      snapshot_at: S2,
    });
  });

  it('takes the latest snapshot of each provider for "all", and flags a partial one', async () => {
    const inv = await readInventory(store, all, { limit: 100, offset: 0 });
    expect(inv.snapshots).toEqual([
      { provider: 'aws', snapshot_at: S2, complete: true, resources: 3 },
      { provider: 'gcp', snapshot_at: G1, complete: false, resources: 2 },
    ]);
    expect(inv.partial).toBe(true);
    expect(inv.resources.map((r) => `${r.provider}/${r.resource_id}`)).toEqual([
      'aws/db-1',
      'aws/gpu-1',
      'aws/i-1',
      'gcp/vm-1',
      'gcp/vm-2',
    ]);
    expect(inv.resources[4]).toMatchObject({
      vcpus: null,
      memory_gib: null,
      hourly_price: null,
      created_at: null,
    });
  });

  it('filters by type, region and status, counts all matches and pages', async () => {
    const byType = await readInventory(store, all, { resourceType: 'instance', limit: 2, offset: 1 });
    expect(byType.total).toBe(3);
    expect(byType.resources.map((r) => r.resource_id)).toEqual(['vm-1', 'vm-2']);
    const filtered = await readInventory(store, all, {
      region: 'europe-west4',
      status: 'terminated',
      limit: 10,
      offset: 0,
    });
    expect([filtered.total, filtered.resources.map((r) => r.resource_id)]).toEqual([1, ['vm-2']]);
  });

  it('is empty after a complete snapshot that found nothing (known from its header), not the stale one before it', async () => {
    const writer = createWriter(store);
    const C = 'res-reader-emptied';
    await writer.write('resource_snapshots', [snap('aws', S1, { resource_id: 'i-gone' }, C)]);
    await writer.write('resource_snapshot_runs', [
      {
        customer_id: C,
        provider: 'aws',
        snapshot_at: S1,
        complete: 1,
        resources: 1,
        created: 0,
        modified: 0,
        deleted: 0,
        recorded_at: S1,
      },
      {
        customer_id: C,
        provider: 'aws',
        snapshot_at: S2,
        complete: 1,
        resources: 0,
        created: 0,
        modified: 0,
        deleted: 1,
        recorded_at: S2,
      },
    ]);
    expect(await readInventory(store, { customerId: C, provider: 'aws' }, { limit: 10, offset: 0 })).toEqual({
      snapshots: [{ provider: 'aws', snapshot_at: S2, complete: true, resources: 0 }],
      partial: false,
      total: 0,
      resources: [],
    });
  });

  it('is empty, not partial, without any snapshot', async () => {
    expect(
      await readInventory(
        store,
        { customerId: 'res-reader-none', provider: 'all' },
        { limit: 10, offset: 0 },
      ),
    ).toEqual({
      snapshots: [],
      partial: false,
      total: 0,
      resources: [],
    });
  });
});

describe('readResource', () => {
  it('gives the resource as last seen, when first seen, and its changes', async () => {
    const r = await readResource(store, { ...aws, resourceId: 'i-1' });
    expect(r).toMatchObject({ first_seen: S1, last_seen: S2, in_latest_snapshot: true });
    expect(r!.resource).toMatchObject({ resource_id: 'i-1', name: 'web-1b', vcpus: 4 });
    expect(r!.latest_snapshot).toEqual({ provider: 'aws', snapshot_at: S2, complete: true, resources: 3 });
    expect(r!.changes.map((c) => [c.change_type, c.snapshot_at, c.changes])).toEqual([
      ['modified', S2, [{ field: 'name', old_value: 'web-1', new_value: 'web-1b' }]],
      ['created', S1, []],
    ]);
  });

  it('says when a resource is missing from the latest snapshot', async () => {
    const r = await readResource(store, { ...all, resourceId: 'i-2' });
    expect(r).toMatchObject({ first_seen: S1, last_seen: S1, in_latest_snapshot: false });
    expect(r!.resource.status).toBe('stopped');
    expect(r!.changes.map((c) => c.change_type)).toEqual(['deleted', 'created']);
  });

  it("is null for an unknown id or another customer's resource", async () => {
    expect(await readResource(store, { ...all, resourceId: 'nope' })).toBeNull();
    expect(await readResource(store, { ...all, resourceId: 'x-1' })).toBeNull();
    expect(await readResource(store, { customerId: A, provider: 'gcp', resourceId: 'i-1' })).toBeNull();
  });
});

describe('readByType', () => {
  it('groups the latest inventory by type with counts, sizes and members', async () => {
    const r = await readByType(store, all, { perType: 1 });
    expect(r.partial).toBe(true);
    expect(
      r.types.map((t) => [
        t.resource_type,
        t.count,
        t.by_status,
        t.vcpus,
        t.memory_gib,
        t.gpu_count,
        t.resources.map((m) => m.resource_id),
        t.truncated,
      ]),
    ).toEqual([
      ['db_instance', 1, { available: 1 }, 2, 8, 0, ['db-1'], false],
      ['gpu_instance', 1, { running: 1 }, 96, 1152, 8, ['gpu-1'], false],
      ['instance', 3, { running: 2, terminated: 1 }, 12, 48, 1, ['i-1'], true],
    ]);
    expect(r.types[1]!.resources[0]).toEqual({
      provider: 'aws',
      resource_id: 'gpu-1',
      name: 'trainer',
      status: 'running',
      region: 'us-west-2',
      sku: 'p4d.24xlarge',
      gpu_count: 8,
    });
  });
});

describe('readChanges', () => {
  const period = { start: new Date(S1), end: new Date('2026-03-03T00:00:00Z') };

  it('lists the changes in the period, newest first, each once, with counts', async () => {
    const r = await readChanges(store, aws, { period, limit: 100 });
    expect(r.counts).toEqual({ created: 4, deleted: 1, modified: 1 });
    expect(r.total).toBe(6);
    expect(r.truncated).toBe(false);
    expect(r.changes.map((c) => [c.snapshot_at, c.resource_id, c.change_type])).toEqual([
      [S2, 'gpu-1', 'created'],
      [S2, 'i-1', 'modified'],
      [S2, 'i-2', 'deleted'],
      [S1, 'db-1', 'created'],
      [S1, 'i-1', 'created'],
      [S1, 'i-2', 'created'],
    ]);
    expect(r.changes[2]).toEqual({
      provider: 'aws',
      resource_id: 'i-2',
      resource_type: 'instance',
      name: 'batch',
      change_type: 'deleted',
      changes: [],
      previous_snapshot_at: S1,
      snapshot_at: S2,
      detected_at: S2,
    });
  });

  it('applies the period (start inclusive, end exclusive), change type and resource filters', async () => {
    const last = await readChanges(store, aws, {
      period: { start: new Date(S2), end: new Date('2026-03-03T00:00:00Z') },
      limit: 100,
    });
    expect(last.total).toBe(3);
    const before = await readChanges(store, aws, {
      period: { start: new Date('2026-02-01T00:00:00Z'), end: new Date(S1) },
      limit: 100,
    });
    expect(before.changes.map((c) => c.resource_id)).toEqual(['old-1']);
    const types = await readChanges(store, all, { period, changeTypes: ['deleted', 'modified'], limit: 100 });
    expect(types.changes.map((c) => c.resource_id)).toEqual(['i-1', 'i-2']);
    expect(types.counts).toEqual({ created: 0, deleted: 1, modified: 1 });
    const typed = await readChanges(store, aws, { period, resourceType: 'db_instance', limit: 100 });
    expect(typed.changes.map((c) => c.resource_id)).toEqual(['db-1']);
    const page = await readChanges(store, aws, { period, limit: 2 });
    expect([page.changes.length, page.total, page.truncated]).toEqual([2, 6, true]);
    expect((await readChanges(store, { customerId: B, provider: 'all' }, { period, limit: 10 })).total).toBe(
      0,
    );
  });
});

describe('readInventorySummary', () => {
  it('counts the latest inventory by type, status and region, with compute and GPUs', async () => {
    expect(await readInventorySummary(store, aws)).toEqual({
      snapshots: [{ provider: 'aws', snapshot_at: S2, complete: true, resources: 3 }],
      partial: false,
      total: 3,
      by_provider: { aws: 3 },
      by_type: { db_instance: 1, gpu_instance: 1, instance: 1 },
      by_status: { available: 1, running: 2 },
      by_region: { 'us-east-1': 2, 'us-west-2': 1 },
      compute: { vcpus: 102, memory_gib: 1176 },
      gpus: { total: 8, resources_with_gpus: 1, by_model: { 'NVIDIA A100': 8 } },
    });
  });

  it('adds every provider for "all" and carries the partial flag', async () => {
    const s = await readInventorySummary(store, all);
    expect(s).toMatchObject({
      partial: true,
      total: 5,
      by_provider: { aws: 3, gcp: 2 },
      by_type: { db_instance: 1, gpu_instance: 1, instance: 3 },
      by_status: { available: 1, running: 3, terminated: 1 },
      by_region: { 'us-east-1': 2, 'us-west-2': 1, 'europe-west4': 2 },
      compute: { vcpus: 110, memory_gib: 1208 },
      gpus: { total: 9, resources_with_gpus: 2, by_model: { 'NVIDIA A100': 8, 'NVIDIA L4': 1 } },
    });
  });
});

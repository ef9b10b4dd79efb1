import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStore, type Store } from '../../../lib/clickhouse/client';
import { getRun } from '../../../lib/clickhouse/repos/runs';
import { createWriter } from '../../../lib/clickhouse/writer';
import { runCollection } from '../../../lib/collector/run';
import type { CollectionJob, ProviderDefinition } from '../../../lib/collector/types';
import { parseConfig } from '../../../lib/config/schema';
import { ProviderUnavailableError } from '../../../lib/errors';
import { createRegistry } from '../../../lib/providers/registry';
import { createResourceSink } from '../../../lib/resources/sink';
import { latestSnapshot } from '../../../lib/resources/snapshots';
import { createRuntime, type Runtime } from '../../../lib/runtime';
import type { ResourceSnapshotInput } from '../../../lib/schemas/rows';
import { rows, silentLogger, TEST_DATA_DIR, testStore } from '../../helpers/store';

/** What the fake inventory collector yields next: batches, then optionally a failure. */
interface Plan {
  batches: Partial<ResourceSnapshotInput>[][];
  failWith?: Error;
}

const plans = new Map<string, Plan>();

/** A provider whose inventory the test dictates, per customer. */
const inventoryProvider: ProviderDefinition<Record<string, never>> = {
  id: 'invcloud',
  displayName: 'Inventory test cloud',
  category: 'general_compute',
  settingsSchema: z.object({}),
  collectors: {
    async *resource(ctx) {
      const plan = plans.get(ctx.customerId);
      if (!plan) throw new Error('no plan');
      for (const batch of plan.batches) {
        yield batch.map((r) => ({
          customer_id: ctx.customerId,
          provider: 'invcloud',
          snapshot_at: ctx.now(),
          resource_type: 'vm',
          status: 'running',
          region: 'r1',
          ...r,
          resource_id: r.resource_id as string,
        }));
      }
      if (plan.failWith) throw plan.failWith;
    },
  },
  async testConnection() {},
};

let store: Store;
let runtime: Runtime;

beforeAll(async () => {
  store = await testStore();
  runtime = await createRuntime(
    parseConfig({ RETRY_MAX_ATTEMPTS: '2', RETRY_BASE_MS: '1', RETRY_CAP_MS: '2' }),
    {
      mode: 'lambda',
      env: {},
      store,
      logger: silentLogger(),
      registry: createRegistry([inventoryProvider as ProviderDefinition<unknown>]),
      connections: ['acme', 'beta', 'gamma', 'delta', 'eps', 'zeta', 'eta'].map((customerId) => ({
        id: 'main',
        customerId,
        provider: 'invcloud',
        enabled: true,
        settings: {},
        secrets: {},
        source: 'config' as const,
      })),
    },
  );
});

/** Runs one resource collection through the real runtime (its default resource sink) at `at`. */
async function snapshot(customerId: string, at: string, plan: Plan) {
  plans.set(customerId, plan);
  const job: CollectionJob = {
    taskId: randomUUID(),
    customerId,
    provider: 'invcloud',
    dataTypes: ['resource'],
    trigger: 'scheduled',
    queuedAt: at,
  };
  const result = await runCollection(job, { ...runtime.runDeps, now: () => new Date(at) });
  return { job, result };
}

interface ChangeRow {
  resource_id: string;
  change_type: string;
  changes: { field: string; old_value: string; new_value: string }[];
  previous_snapshot_at: string | null;
  snapshot_at: string;
  name: string;
}

async function changes(customerId: string, snapshotAt?: string): Promise<ChangeRow[]> {
  const all = await rows<ChangeRow>(
    store,
    `SELECT resource_id, change_type, changes, toString(previous_snapshot_at) AS previous_snapshot_at,
            toString(snapshot_at) AS snapshot_at, name
     FROM resource_changes FINAL
     WHERE customer_id = {c:String}
     ORDER BY snapshot_at, resource_id, change_type`,
    { c: customerId },
  );
  const at = snapshotAt?.replace('T', ' ').replace('Z', '');
  return at ? all.filter((r) => r.snapshot_at === at) : all;
}

async function snapshotRows(customerId: string) {
  return rows<{
    resource_id: string;
    snapshot_at: string;
    complete: number;
    status: string;
    task_id: string;
  }>(
    store,
    `SELECT resource_id, toString(snapshot_at) AS snapshot_at, complete, status, task_id
     FROM resource_snapshots FINAL WHERE customer_id = {c:String} ORDER BY snapshot_at, resource_id`,
    { c: customerId },
  );
}

const ch = (field: string, old_value: string, new_value: string) => ({ field, old_value, new_value });

const T1 = '2026-11-20T10:00:00.000Z';
const T2 = '2026-11-20T10:15:00.000Z';
const T3 = '2026-11-20T10:30:00.000Z';
const T4 = '2026-11-20T10:45:00.000Z';

describe('inventory change tracking', () => {
  it('reports created, modified and deleted resources across three snapshots', async () => {
    // Prepare / Act: S1 {a, b}; S2 {a, b changed, c new}; S3 {a, c}
    const s1 = await snapshot('acme', T1, {
      batches: [
        [{ resource_id: 'a', name: 'alpha', sku: 'm5.large' }],
        [{ resource_id: 'b', name: 'bravo', tags: { team: 'ml' } }],
      ],
    });
    const s2 = await snapshot('acme', T2, {
      batches: [
        [
          { resource_id: 'a', name: 'alpha', sku: 'm5.large' },
          { resource_id: 'b', name: 'bravo', status: 'stopped', tags: { team: 'research', env: 'prod' } },
          { resource_id: 'c', name: 'charlie', hourly_price: '0.0960', price_currency: 'USD' },
        ],
      ],
    });
    const s3 = await snapshot('acme', T3, {
      batches: [
        [
          { resource_id: 'a', name: 'alpha', sku: 'm5.large' },
          { resource_id: 'c', name: 'charlie', hourly_price: '0.096', price_currency: 'USD' },
        ],
      ],
    });

    // Assess
    expect([s1, s2, s3].map((s) => s.result.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(s2.result.rows).toEqual({ resource: 3 });
    expect(await changes('acme')).toEqual([
      {
        resource_id: 'b',
        change_type: 'modified',
        name: 'bravo',
        snapshot_at: '2026-11-20 10:15:00.000',
        previous_snapshot_at: '2026-11-20 10:00:00.000',
        changes: [
          ch('status', 'running', 'stopped'),
          ch('tags.env', '', 'prod'),
          ch('tags.team', 'ml', 'research'),
        ],
      },
      {
        resource_id: 'c',
        change_type: 'created',
        name: 'charlie',
        snapshot_at: '2026-11-20 10:15:00.000',
        previous_snapshot_at: '2026-11-20 10:00:00.000',
        changes: [],
      },
      {
        resource_id: 'b',
        change_type: 'deleted',
        name: 'bravo',
        snapshot_at: '2026-11-20 10:30:00.000',
        previous_snapshot_at: '2026-11-20 10:15:00.000',
        changes: [],
      },
    ]);
    const snaps = await snapshotRows('acme');
    expect(snaps.map((r) => `${r.snapshot_at} ${r.resource_id} ${r.complete}`)).toEqual([
      '2026-11-20 10:00:00.000 a 1',
      '2026-11-20 10:00:00.000 b 1',
      '2026-11-20 10:15:00.000 a 1',
      '2026-11-20 10:15:00.000 b 1',
      '2026-11-20 10:15:00.000 c 1',
      '2026-11-20 10:30:00.000 a 1',
      '2026-11-20 10:30:00.000 c 1',
    ]);
    expect(
      snaps
        .filter((r) => r.snapshot_at.startsWith('2026-11-20 10:15'))
        .every((r) => r.task_id === s2.job.taskId),
    ).toBe(true);
    const heads = await rows<{
      snapshot_at: string;
      complete: number;
      resources: number;
      created: number;
      modified: number;
      deleted: number;
    }>(
      store,
      `SELECT toString(snapshot_at) AS snapshot_at, complete, resources, created, modified, deleted
       FROM resource_snapshot_runs FINAL WHERE customer_id = 'acme' ORDER BY snapshot_at`,
    );
    expect(heads).toEqual([
      {
        snapshot_at: '2026-11-20 10:00:00.000',
        complete: 1,
        resources: 2,
        created: 0,
        modified: 0,
        deleted: 0,
      },
      {
        snapshot_at: '2026-11-20 10:15:00.000',
        complete: 1,
        resources: 3,
        created: 1,
        modified: 1,
        deleted: 0,
      },
      {
        snapshot_at: '2026-11-20 10:30:00.000',
        complete: 1,
        resources: 2,
        created: 0,
        modified: 0,
        deleted: 1,
      },
    ]);
  });

  it('never reports deletions from a snapshot whose collector failed mid-way, and keeps created/modified', async () => {
    await snapshot('beta', T1, {
      batches: [[{ resource_id: 'a' }, { resource_id: 'b' }, { resource_id: 'c' }]],
    });
    // S2: a region answers (a changed, d new), then the next call keeps failing.
    const s2 = await snapshot('beta', T2, {
      batches: [[{ resource_id: 'a', status: 'stopped' }, { resource_id: 'd' }]],
      failWith: new ProviderUnavailableError(
        'invcloud',
        'eu-west-1 DescribeInstances: HTTP 503 after 4 attempts',
      ),
    });
    expect(s2.result.status).toBe('failed');
    expect(s2.result.rows).toEqual({ resource: 2 });
    const run = await getRun(store, s2.job.taskId);
    expect(run?.errors.resource).toBe('eu-west-1 DescribeInstances: HTTP 503 after 4 attempts');
    expect(await changes('beta', T2)).toEqual([
      {
        resource_id: 'a',
        change_type: 'modified',
        name: '',
        snapshot_at: '2026-11-20 10:15:00.000',
        previous_snapshot_at: '2026-11-20 10:00:00.000',
        changes: [ch('status', 'running', 'stopped')],
      },
      {
        resource_id: 'd',
        change_type: 'created',
        name: '',
        snapshot_at: '2026-11-20 10:15:00.000',
        previous_snapshot_at: '2026-11-20 10:00:00.000',
        changes: [],
      },
    ]);
    expect(
      (await snapshotRows('beta'))
        .filter((r) => r.snapshot_at.startsWith('2026-11-20 10:15'))
        .map((r) => r.complete),
    ).toEqual([0, 0]);
    expect(await latestSnapshot(store, { customerId: 'beta', provider: 'invcloud' })).toEqual({
      snapshotAt: '2026-11-20 10:15:00.000',
      complete: false,
      resources: 2,
    });

    // S3 complete: b is gone (reported now, against the last complete snapshot); c is
    // still there; a and d are neither re-modified nor re-created.
    await snapshot('beta', T3, {
      batches: [[{ resource_id: 'a', status: 'stopped' }, { resource_id: 'c' }, { resource_id: 'd' }]],
    });
    expect(await changes('beta', T3)).toEqual([
      {
        resource_id: 'b',
        change_type: 'deleted',
        name: '',
        snapshot_at: '2026-11-20 10:30:00.000',
        previous_snapshot_at: '2026-11-20 10:00:00.000',
        changes: [],
      },
    ]);
  });

  it('records nothing for a collector that fails before finding any resource', async () => {
    await snapshot('gamma', T1, { batches: [[{ resource_id: 'a' }, { resource_id: 'b' }]] });
    const s2 = await snapshot('gamma', T2, {
      batches: [],
      failWith: new ProviderUnavailableError('invcloud', 'HTTP 503'),
    });
    expect(s2.result.status).toBe('failed');
    expect(await latestSnapshot(store, { customerId: 'gamma', provider: 'invcloud' })).toEqual({
      snapshotAt: '2026-11-20 10:00:00.000',
      complete: true,
      resources: 2,
    });
    await snapshot('gamma', T3, { batches: [[{ resource_id: 'a' }]] });
    expect((await changes('gamma')).map((c) => `${c.snapshot_at} ${c.resource_id} ${c.change_type}`)).toEqual(
      ['2026-11-20 10:30:00.000 b deleted'],
    );
  });

  it('records an empty complete snapshot, so every resource is reported deleted and the latest inventory is empty', async () => {
    await snapshot('delta', T1, { batches: [[{ resource_id: 'a' }, { resource_id: 'b' }]] });
    const s2 = await snapshot('delta', T2, { batches: [] });
    expect(s2.result.status).toBe('succeeded');
    expect((await changes('delta')).map((c) => `${c.resource_id} ${c.change_type}`)).toEqual([
      'a deleted',
      'b deleted',
    ]);
    expect(await latestSnapshot(store, { customerId: 'delta', provider: 'invcloud' })).toEqual({
      snapshotAt: '2026-11-20 10:15:00.000',
      complete: true,
      resources: 0,
    });
  });

  it('records no changes for the first snapshot, nor for an unchanged re-collection', async () => {
    const same = {
      batches: [
        [
          {
            resource_id: 'a',
            name: 'alpha',
            hourly_price: '1.50',
            vcpus: 0.25,
            memory_gib: 1.5,
            attributes: { disks: [1, 2] },
          },
        ],
      ],
    };
    await snapshot('eps', T1, same);
    await snapshot('eps', T2, same);
    await snapshot('eps', T3, same);
    expect(await changes('eps')).toEqual([]);
    expect((await snapshotRows('eps')).length).toBe(3);
  });

  it('rejects a row of another customer and writes nothing', async () => {
    plans.set('zeta', { batches: [] });
    const s1 = await snapshot('zeta', T4, { batches: [[{ resource_id: 'a', customer_id: 'acme' }]] });
    expect(s1.result.status).toBe('failed');
    expect(s1.result.errors.resource).toMatch(/row 0: row belongs to acme\/invcloud, not zeta\/invcloud/);
    expect(await snapshotRows('zeta')).toEqual([]);
    expect(await latestSnapshot(store, { customerId: 'zeta', provider: 'invcloud' })).toBeNull();
  });

  it('fails the data type with the storage error when the snapshot cannot be recorded', async () => {
    // A database without the tables: reading the previous inventory fails.
    const bare = await createStore({ database: `bare_${Date.now()}`, dataDir: TEST_DATA_DIR });
    plans.set('eta', { batches: [[{ resource_id: 'a' }]] });
    const job: CollectionJob = {
      taskId: randomUUID(),
      customerId: 'eta',
      provider: 'invcloud',
      dataTypes: ['resource'],
      trigger: 'manual',
      queuedAt: T1,
    };
    const result = await runCollection(job, {
      ...runtime.runDeps,
      sinks: { resource: createResourceSink({ store: bare, writer: createWriter(bare) }) },
      now: () => new Date(T1),
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toMatch(/resource_snapshot_runs/);
    expect(await getRun(store, job.taskId)).toMatchObject({ status: 'failed' });
    expect(await snapshotRows('eta')).toEqual([]);
  });
});

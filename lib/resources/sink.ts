import type { Store } from '../clickhouse/client';
import type { Writer } from '../clickhouse/writer';
import type { DataSink, SinkContext } from '../collector/types';
import { errorMessage, RowValidationError } from '../errors';
import {
  type ResourceChangeInput,
  type ResourceSnapshotInput,
  ResourceSnapshotSchema,
} from '../schemas/rows';
import { fromClickHouseTime, toClickHouseTime } from '../time';
import { comparableFields, diffInventory, type InventoryChange, type ResourceState } from './diff';
import { loadPreviousInventory } from './snapshots';

interface PendingSnapshot {
  rows: Map<string, ResourceSnapshotInput>;
  states: Map<string, ResourceState>;
  /** Set once persisting started: the runner calls finish again (ok: false) if it throws. */
  persisting?: boolean;
}

/**
 * The `resource` data type's sink: inventory snapshots with change tracking.
 *
 * A collector's batches are buffered (inventories are thousands of rows, not millions)
 * and only written when the collector has finished, so a snapshot lands whole and knows
 * whether it is complete:
 * 1. every row gets the snapshot's time (`snapshot_at` = the data type's start time), the
 *    task id, and `complete` = 1 if the collector finished without error, else 0;
 * 2. the rows are compared with the previous inventory (see `diffInventory`): created and
 *    modified resources are recorded from any snapshot, deleted ones only from a complete
 *    snapshot — a resource missing because a call failed or was throttled is never
 *    reported deleted;
 * 3. rows, then changes (resource_changes), then the snapshot's header
 *    (resource_snapshot_runs) are written.
 *
 * The first snapshot of a customer × provider records no changes (there is nothing to
 * compare with). A collector that fails before yielding any row records nothing: an empty
 * incomplete snapshot says nothing about the inventory.
 *
 * @example
 * const runtime = await createRuntime(config, { mode: 'lambda', env, sinks: { resource: createResourceSink({ store, writer }) } });
 */
export function createResourceSink(deps: { store: Store; writer: Writer; now?: () => Date }): DataSink {
  const now = deps.now ?? (() => new Date());
  const pending = new Map<string, PendingSnapshot>();
  const keyOf = (ctx: SinkContext) => `${ctx.taskId}\u0000${ctx.customerId}\u0000${ctx.provider}`;

  return {
    async write(rows, ctx) {
      const key = keyOf(ctx);
      let snap = pending.get(key);
      if (!snap) {
        snap = { rows: new Map(), states: new Map() };
        pending.set(key, snap);
      }
      const issues: { index: number; message: string }[] = [];
      const accepted: [ResourceSnapshotInput, ReturnType<typeof ResourceSnapshotSchema.parse>][] = [];
      rows.forEach((raw, index) => {
        const row = { ...(raw as ResourceSnapshotInput), snapshot_at: ctx.startedAt, task_id: ctx.taskId };
        if (row.customer_id !== ctx.customerId || row.provider !== ctx.provider) {
          issues.push({
            index,
            message: `row belongs to ${row.customer_id}/${row.provider}, not ${ctx.customerId}/${ctx.provider}`,
          });
          return;
        }
        const parsed = ResourceSnapshotSchema.safeParse(row);
        if (!parsed.success) {
          const first = parsed.error.issues[0];
          issues.push({ index, message: `${first?.path.join('.') || '(row)'}: ${first?.message}` });
          return;
        }
        accepted.push([row, parsed.data]);
      });
      if (issues.length > 0) throw new RowValidationError('resource_snapshots', issues);
      for (const [row, out] of accepted) {
        snap.rows.set(out.resource_id, row);
        snap.states.set(out.resource_id, {
          resourceId: out.resource_id,
          resourceType: out.resource_type,
          name: out.name,
          snapshotAt: out.snapshot_at,
          fields: comparableFields(out),
        });
      }
      return accepted.length;
    },

    async finish(ctx, outcome) {
      const key = keyOf(ctx);
      const snap: PendingSnapshot = pending.get(key) ?? { rows: new Map(), states: new Map() };
      if (snap.persisting) {
        // The runner's second call after persisting this snapshot failed: the failure is
        // already the data type's error, and what was written stays as written.
        pending.delete(key);
        return;
      }
      if (snap.rows.size === 0 && !outcome.ok) {
        pending.delete(key);
        ctx.logger.warn('inventory snapshot not recorded: the collector failed before finding any resource');
        return;
      }
      snap.persisting = true;
      pending.set(key, snap);
      await persist(ctx, snap, outcome.ok, outcome.ok ? '' : errorMessage(outcome.error));
      pending.delete(key);
    },
  };

  async function persist(
    ctx: SinkContext,
    snap: PendingSnapshot,
    complete: boolean,
    error: string,
  ): Promise<void> {
    const ref = { customerId: ctx.customerId, provider: ctx.provider };
    const previous = await loadPreviousInventory(deps.store, ref, ctx.startedAt);
    const rows = [...snap.rows.values()].map((r) => ({
      ...r,
      complete: complete ? (1 as const) : (0 as const),
    }));
    if (rows.length > 0) await deps.writer.write('resource_snapshots', rows);

    const changes =
      previous.lastSnapshotAt === null
        ? []
        : diffInventory({
            baseline: previous.baseline,
            current: snap.states,
            complete,
            previousSnapshotAt: previous.lastSnapshotAt,
          });
    const detectedAt = now();
    if (changes.length > 0) {
      await deps.writer.write(
        'resource_changes',
        changes.map((c) => changeRow(c, ctx, detectedAt)),
      );
    }
    const count = (t: InventoryChange['changeType']) => changes.filter((c) => c.changeType === t).length;
    await deps.writer.write('resource_snapshot_runs', [
      {
        customer_id: ctx.customerId,
        provider: ctx.provider,
        snapshot_at: ctx.startedAt,
        complete: complete ? 1 : 0,
        resources: rows.length,
        created: count('created'),
        modified: count('modified'),
        deleted: count('deleted'),
        error: error.slice(0, 4096),
        task_id: ctx.taskId,
        recorded_at: detectedAt,
      },
    ]);
    ctx.logger.info('inventory snapshot recorded', {
      snapshot_at: toClickHouseTime(ctx.startedAt),
      complete,
      resources: rows.length,
      created: count('created'),
      modified: count('modified'),
      deleted: count('deleted'),
      first_snapshot: previous.lastSnapshotAt === null,
    });
  }
}

function changeRow(c: InventoryChange, ctx: SinkContext, detectedAt: Date): ResourceChangeInput {
  return {
    customer_id: ctx.customerId,
    provider: ctx.provider,
    resource_id: c.resourceId,
    resource_type: c.resourceType,
    name: c.name,
    change_type: c.changeType,
    changes: c.changes,
    previous_snapshot_at: c.previousSnapshotAt === null ? null : fromClickHouseTime(c.previousSnapshotAt),
    snapshot_at: ctx.startedAt,
    detected_at: detectedAt,
    task_id: ctx.taskId,
  };
}

import type { Store } from '../clickhouse/client';
import { toClickHouseTime } from '../time';
import { type ComparableRow, comparableFields, type ResourceState } from './diff';

export interface SnapshotRef {
  customerId: string;
  provider: string;
}

/** What change tracking compares a new snapshot with. */
export interface PreviousInventory {
  /** The latest earlier snapshot (complete or not), or null for a first snapshot. */
  lastSnapshotAt: string | null;
  /** The latest earlier complete snapshot, or null if there was none. */
  lastCompleteAt: string | null;
  /** Each resource's newest state since the last complete snapshot (inclusive). */
  baseline: Map<string, ResourceState>;
}

interface StoredRow extends ComparableRow {
  resource_id: string;
  seen_at: string;
}

/**
 * The known inventory before `before`: the last complete snapshot overlaid with every
 * later snapshot (those are incomplete, or they would be the last complete one), each
 * resource at its newest state. Two range reads on the tables' sort keys.
 */
export async function loadPreviousInventory(
  store: Store,
  ref: SnapshotRef,
  before: Date,
): Promise<PreviousInventory> {
  const params = { c: ref.customerId, p: ref.provider, t: toClickHouseTime(before) };
  const heads = await store.client.query({
    query: `SELECT toString(maxOrNull(snapshot_at)) AS last_any,
                   toString(maxIfOrNull(snapshot_at, complete = 1)) AS last_complete
            FROM resource_snapshot_runs FINAL
            WHERE customer_id = {c:String} AND provider = {p:String} AND snapshot_at < {t:DateTime64(3, 'UTC')}`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const [head] = await heads.json<{ last_any: string | null; last_complete: string | null }>();
  const lastSnapshotAt = head?.last_any ?? null;
  const lastCompleteAt = head?.last_complete ?? null;
  const baseline = new Map<string, ResourceState>();
  if (lastSnapshotAt === null) return { lastSnapshotAt, lastCompleteAt, baseline };

  const rs = await store.client.query({
    query: `SELECT resource_id, resource_type, name, status, region, zone, sku, vcpus, memory_gib, gpu_count,
                   gpu_model, tags, toString(hourly_price) AS hourly_price, price_currency, attributes,
                   toString(snapshot_at) AS seen_at
            FROM resource_snapshots FINAL
            WHERE customer_id = {c:String} AND provider = {p:String}
              AND snapshot_at >= {from:DateTime64(3, 'UTC')} AND snapshot_at < {t:DateTime64(3, 'UTC')}
            ORDER BY resource_id, snapshot_at DESC
            LIMIT 1 BY resource_id`,
    query_params: { ...params, from: lastCompleteAt ?? '1970-01-01 00:00:00.000' },
    format: 'JSONEachRow',
  });
  for (const row of await rs.json<StoredRow>()) {
    baseline.set(row.resource_id, {
      resourceId: row.resource_id,
      resourceType: row.resource_type,
      name: row.name,
      snapshotAt: row.seen_at,
      fields: comparableFields({
        ...row,
        vcpus: row.vcpus === null ? null : Number(row.vcpus),
        memory_gib: row.memory_gib === null ? null : Number(row.memory_gib),
        gpu_count: Number(row.gpu_count),
      }),
    });
  }
  return { lastSnapshotAt, lastCompleteAt, baseline };
}

/** The latest recorded snapshot of a customer × provider (complete or not), or null. */
export async function latestSnapshot(
  store: Store,
  ref: SnapshotRef,
): Promise<{ snapshotAt: string; complete: boolean; resources: number } | null> {
  const rs = await store.client.query({
    query: `SELECT toString(snapshot_at) AS at, complete, resources
            FROM resource_snapshot_runs FINAL
            WHERE customer_id = {c:String} AND provider = {p:String}
            ORDER BY snapshot_at DESC LIMIT 1`,
    query_params: { c: ref.customerId, p: ref.provider },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ at: string; complete: number; resources: number }>();
  return row
    ? { snapshotAt: row.at, complete: Number(row.complete) === 1, resources: Number(row.resources) }
    : null;
}

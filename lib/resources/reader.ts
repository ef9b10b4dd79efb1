import type { Store } from '../clickhouse/client';
import { FINAL_READ_SETTINGS, selectRows } from '../clickhouse/query';
import type { Period } from '../performance/params';
import { clickHouseTimeToIso, toClickHouseTime } from '../time';

/**
 * Read queries over `resource_snapshots` and `resource_changes`.
 *
 * The inventory of a customer at one provider is the set of rows of that provider's
 * latest `snapshot_at` (the contract with the collectors: every row of one snapshot shares
 * `snapshot_at`); for provider 'all', the latest snapshot of each provider. A latest
 * snapshot with `complete` = 0 was taken while some provider call failed, so it may miss
 * resources: every answer built from it says so (`partial`), rather than silently falling
 * back to an older snapshot whose contents may be just as wrong.
 *
 * Reads use `FINAL` (rows re-written for the same snapshot count once) with
 * `do_not_merge_across_partitions_select_final`, safe because `snapshot_at` is both the
 * partition source and in the sort key. Every value is a `{name:Type}` parameter.
 */

export interface ResourceScope {
  customerId: string;
  /** A provider id, or 'all'. */
  provider: string;
}

export interface InventoryFilter {
  resourceType?: string | undefined;
  region?: string | undefined;
  status?: string | undefined;
}

const select = <T>(store: Store, query: string, params: Record<string, unknown>) =>
  selectRows<T>(store, query, params, FINAL_READ_SETTINGS);

function scopeParams(s: ResourceScope): { providerSql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = { customer_id: s.customerId };
  if (s.provider === 'all') return { providerSql: '', params };
  params.provider = s.provider;
  return { providerSql: ' AND provider = {provider:String}', params };
}

/**
 * The latest snapshot of each provider in scope: from the snapshot headers
 * (resource_snapshot_runs, written by change tracking), which also know snapshots that
 * found nothing, and from the rows themselves (snapshots written without a header).
 */
function latestSnapshots(providerSql: string): string {
  return `SELECT provider, max(snapshot_at) FROM (
      SELECT provider, snapshot_at FROM resource_snapshot_runs
      WHERE customer_id = {customer_id:String}${providerSql}
      UNION ALL
      SELECT provider, snapshot_at FROM resource_snapshots
      WHERE customer_id = {customer_id:String}${providerSql})
    GROUP BY provider`;
}

/** Rows of the latest snapshot of each provider in scope (a WHERE clause on resource_snapshots). */
function latestSnapshotWhere(providerSql: string): string {
  return `customer_id = {customer_id:String}${providerSql}
    AND (provider, snapshot_at) IN (${latestSnapshots(providerSql)})`;
}

function filterSql(f: InventoryFilter, params: Record<string, unknown>): string {
  const parts: string[] = [];
  if (f.resourceType !== undefined) {
    parts.push('resource_type = {resource_type:String}');
    params.resource_type = f.resourceType;
  }
  if (f.region !== undefined) {
    parts.push('region = {region:String}');
    params.region = f.region;
  }
  if (f.status !== undefined) {
    parts.push('status = {status:String}');
    params.status = f.status;
  }
  return parts.length > 0 ? parts.join(' AND ') : '1';
}

const iso = (t: string | null) => clickHouseTimeToIso(t);

/** The snapshot an inventory answer comes from, per provider. */
export interface SnapshotInfo {
  provider: string;
  snapshot_at: string;
  /** False when the snapshot was taken while some provider call failed. */
  complete: boolean;
  resources: number;
}

export interface Resource {
  provider: string;
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
  /** Exact decimal text, as stored; null when unknown. */
  hourly_price: string | null;
  price_currency: string;
  attributes: unknown;
  snapshot_at: string;
}

const RESOURCE_COLUMNS = `provider, resource_id, resource_type, name, status, region, zone, sku, vcpus, memory_gib,
  gpu_count, gpu_model, tags, toString(created_at) AS created_text, toString(hourly_price) AS price_text,
  price_currency, attributes, toString(snapshot_at) AS snapshot_text`;

// Text renderings get aliases of their own: an alias named like its column would replace
// the column everywhere in the query, WHERE and ORDER BY included.
type ResourceRow = Omit<Resource, 'attributes' | 'created_at' | 'hourly_price' | 'snapshot_at'> & {
  attributes: string;
  created_text: string | null;
  price_text: string | null;
  snapshot_text: string;
};

function toResource(r: ResourceRow): Resource {
  let attributes: unknown = {};
  try {
    attributes = JSON.parse(r.attributes || '{}');
  } catch {
    attributes = { raw: r.attributes };
  }
  return {
    provider: r.provider,
    resource_id: r.resource_id,
    resource_type: r.resource_type,
    name: r.name,
    status: r.status,
    region: r.region,
    zone: r.zone,
    sku: r.sku,
    vcpus: r.vcpus === null ? null : Number(r.vcpus),
    memory_gib: r.memory_gib === null ? null : Number(r.memory_gib),
    gpu_count: Number(r.gpu_count),
    gpu_model: r.gpu_model,
    tags: r.tags,
    created_at: iso(r.created_text),
    hourly_price: r.price_text,
    price_currency: r.price_currency,
    attributes,
    snapshot_at: iso(r.snapshot_text) as string,
  };
}

async function snapshotInfo(
  store: Store,
  scope: ResourceScope,
  filter: InventoryFilter = {},
): Promise<{ snapshots: SnapshotInfo[]; matching: number }> {
  const { providerSql, params } = scopeParams(scope);
  // The latest snapshot of each provider, its header when it has one (a snapshot that
  // found nothing has only that), and what its rows hold.
  const [latest, headers, rows] = await Promise.all([
    select<{ provider: string; snapshot_text: string }>(
      store,
      `SELECT provider, toString(snapshot_at) AS snapshot_text
       FROM (${latestSnapshots(providerSql)}) AS l (provider, snapshot_at) ORDER BY provider`,
      params,
    ),
    select<{ provider: string; snapshot_text: string; complete: number; resources: number }>(
      store,
      `SELECT provider, toString(snapshot_at) AS snapshot_text, complete, resources
       FROM resource_snapshot_runs FINAL
       WHERE ${latestSnapshotWhere(providerSql)}`,
      params,
    ),
    select<{
      provider: string;
      snapshot_text: string;
      complete: number;
      resources: number;
      matching: number;
    }>(
      store,
      `SELECT provider, toString(snapshot_at) AS snapshot_text, min(complete) AS complete, count() AS resources,
              countIf(${filterSql(filter, params)}) AS matching
       FROM resource_snapshots FINAL
       WHERE ${latestSnapshotWhere(providerSql)}
       GROUP BY provider, snapshot_at`,
      params,
    ),
  ]);
  const key = (r: { provider: string; snapshot_text: string }) => `${r.provider}\u0000${r.snapshot_text}`;
  const headerOf = new Map(headers.map((h) => [key(h), h]));
  const rowsOf = new Map(rows.map((r) => [key(r), r]));
  return {
    snapshots: latest.map((l) => {
      const header = headerOf.get(key(l));
      const counted = rowsOf.get(key(l));
      return {
        provider: l.provider,
        snapshot_at: iso(l.snapshot_text) as string,
        complete: Number(header?.complete ?? counted?.complete ?? 0) === 1,
        resources: Number(counted?.resources ?? header?.resources ?? 0),
      };
    }),
    matching: rows.reduce((a, r) => a + Number(r.matching), 0),
  };
}

export interface InventoryPage {
  snapshots: SnapshotInfo[];
  /** True when any latest snapshot in scope is partial. */
  partial: boolean;
  /** Resources matching the filters (all pages). */
  total: number;
  resources: Resource[];
}

/**
 * The current inventory: the latest snapshot's rows per provider, filtered, in provider,
 * type and id order, one page (`limit`, `offset`) at a time.
 */
export async function readInventory(
  store: Store,
  scope: ResourceScope,
  opts: InventoryFilter & { limit: number; offset: number },
): Promise<InventoryPage> {
  const info = await snapshotInfo(store, scope, opts);
  if (info.snapshots.length === 0) return { snapshots: [], partial: false, total: 0, resources: [] };
  const { providerSql, params } = scopeParams(scope);
  const rows = await select<ResourceRow>(
    store,
    `SELECT ${RESOURCE_COLUMNS}
     FROM resource_snapshots FINAL
     WHERE ${latestSnapshotWhere(providerSql)} AND ${filterSql(opts, params)}
     ORDER BY provider, resource_type, resource_id
     LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    { ...params, limit: opts.limit, offset: opts.offset },
  );
  return {
    snapshots: info.snapshots,
    partial: info.snapshots.some((s) => !s.complete),
    total: info.matching,
    resources: rows.map(toResource),
  };
}

export interface ResourceDetail {
  resource: Resource;
  first_seen: string;
  last_seen: string;
  /** Whether the resource is in its provider's latest snapshot. */
  in_latest_snapshot: boolean;
  latest_snapshot: SnapshotInfo | null;
  /** The newest changes recorded for the resource (at most `changesLimit`). */
  changes: ResourceChange[];
}

/**
 * One resource as last seen, whether the latest snapshot still has it (if it does not
 * and that snapshot is partial, the resource may still exist), and its recent changes.
 * Null when no snapshot ever had it.
 */
export async function readResource(
  store: Store,
  scope: ResourceScope & { resourceId: string },
  opts: { changesLimit: number } = { changesLimit: 20 },
): Promise<ResourceDetail | null> {
  const { providerSql, params } = scopeParams(scope);
  params.resource_id = scope.resourceId;
  const rows = await select<ResourceRow & { first_seen_text: string }>(
    store,
    `SELECT ${RESOURCE_COLUMNS},
            toString(min(snapshot_at) OVER (PARTITION BY provider)) AS first_seen_text
     FROM resource_snapshots FINAL
     WHERE customer_id = {customer_id:String}${providerSql} AND resource_id = {resource_id:String}
     ORDER BY snapshot_at DESC, provider
     LIMIT 1`,
    params,
  );
  const row = rows[0];
  if (!row) return null;
  const resource = toResource(row);
  const { snapshots } = await snapshotInfo(store, {
    customerId: scope.customerId,
    provider: resource.provider,
  });
  const latest = snapshots[0] ?? null;
  const { changes } = await readChanges(
    store,
    { customerId: scope.customerId, provider: resource.provider },
    { resourceId: scope.resourceId, limit: opts.changesLimit },
  );
  return {
    resource,
    first_seen: iso(row.first_seen_text) as string,
    last_seen: resource.snapshot_at,
    in_latest_snapshot: latest !== null && latest.snapshot_at === resource.snapshot_at,
    latest_snapshot: latest,
    changes,
  };
}

export interface TypeGroup {
  resource_type: string;
  count: number;
  by_status: Record<string, number>;
  vcpus: number;
  memory_gib: number;
  gpu_count: number;
  /** The first `perType` resources of the type, by provider and id. */
  resources: Pick<
    Resource,
    'provider' | 'resource_id' | 'name' | 'status' | 'region' | 'sku' | 'gpu_count'
  >[];
  truncated: boolean;
}

/** The latest inventory grouped by resource type, with counts and up to `perType` resources each. */
export async function readByType(
  store: Store,
  scope: ResourceScope,
  opts: InventoryFilter & { perType: number },
): Promise<{ snapshots: SnapshotInfo[]; partial: boolean; types: TypeGroup[] }> {
  const info = await snapshotInfo(store, scope, opts);
  if (info.snapshots.length === 0) return { snapshots: [], partial: false, types: [] };
  const { providerSql, params } = scopeParams(scope);
  const where = `${latestSnapshotWhere(providerSql)} AND ${filterSql(opts, params)}`;
  const [counts, members] = await Promise.all([
    select<{
      resource_type: string;
      status: string;
      count: number;
      vcpus: number;
      memory_gib: number;
      gpu_count: number;
    }>(
      store,
      `SELECT resource_type, status, count() AS count, sum(ifNull(vcpus, 0)) AS vcpus,
              sum(ifNull(memory_gib, 0)) AS memory_gib, sum(gpu_count) AS gpu_count
       FROM resource_snapshots FINAL WHERE ${where}
       GROUP BY resource_type, status ORDER BY resource_type, status`,
      params,
    ),
    select<TypeGroup['resources'][number] & { resource_type: string }>(
      store,
      `SELECT resource_type, provider, resource_id, name, status, region, sku, gpu_count
       FROM resource_snapshots FINAL WHERE ${where}
       ORDER BY resource_type, provider, resource_id
       LIMIT {per_type:UInt32} BY resource_type`,
      { ...params, per_type: opts.perType },
    ),
  ]);
  const types = new Map<string, TypeGroup>();
  for (const c of counts) {
    let g = types.get(c.resource_type);
    if (!g) {
      g = {
        resource_type: c.resource_type,
        count: 0,
        by_status: {},
        vcpus: 0,
        memory_gib: 0,
        gpu_count: 0,
        resources: [],
        truncated: false,
      };
      types.set(c.resource_type, g);
    }
    g.count += Number(c.count);
    g.by_status[c.status] = Number(c.count);
    g.vcpus += Number(c.vcpus);
    g.memory_gib += Number(c.memory_gib);
    g.gpu_count += Number(c.gpu_count);
  }
  for (const m of members) {
    const { resource_type, ...rest } = m;
    types.get(resource_type)?.resources.push({ ...rest, gpu_count: Number(rest.gpu_count) });
  }
  for (const g of types.values()) g.truncated = g.resources.length < g.count;
  return {
    snapshots: info.snapshots,
    partial: info.snapshots.some((s) => !s.complete),
    types: [...types.values()],
  };
}

export interface ResourceChange {
  provider: string;
  resource_id: string;
  resource_type: string;
  name: string;
  change_type: 'created' | 'deleted' | 'modified';
  changes: { field: string; old_value: string; new_value: string }[];
  previous_snapshot_at: string | null;
  snapshot_at: string;
  detected_at: string;
}

export const CHANGE_TYPES = ['created', 'deleted', 'modified'] as const;

type RawChange = Omit<ResourceChange, 'changes' | 'previous_snapshot_at' | 'snapshot_at' | 'detected_at'> & {
  changes: ({ field: string; old_value: string; new_value: string } | [string, string, string])[];
  previous_text: string | null;
  snapshot_text: string;
  detected_text: string;
};

/**
 * Changes whose snapshot falls in the period (all time without one), newest first, at
 * most `limit`; `counts` covers every matching change, not only the page.
 */
export async function readChanges(
  store: Store,
  scope: ResourceScope,
  opts: {
    period?: Period;
    changeTypes?: readonly ResourceChange['change_type'][] | undefined;
    resourceType?: string | undefined;
    resourceId?: string | undefined;
    limit: number;
  },
): Promise<{
  counts: Record<ResourceChange['change_type'], number>;
  total: number;
  changes: ResourceChange[];
  truncated: boolean;
}> {
  const { providerSql, params } = scopeParams(scope);
  const where = [`customer_id = {customer_id:String}${providerSql}`];
  if (opts.period) {
    where.push(`snapshot_at >= {start:DateTime64(3, 'UTC')}`, `snapshot_at < {end:DateTime64(3, 'UTC')}`);
    params.start = toClickHouseTime(opts.period.start);
    params.end = toClickHouseTime(opts.period.end);
  }
  if (opts.changeTypes && opts.changeTypes.length > 0) {
    where.push('change_type IN {change_types:Array(String)}');
    params.change_types = [...opts.changeTypes];
  }
  if (opts.resourceType !== undefined) {
    where.push('resource_type = {resource_type:String}');
    params.resource_type = opts.resourceType;
  }
  if (opts.resourceId !== undefined) {
    where.push('resource_id = {resource_id:String}');
    params.resource_id = opts.resourceId;
  }
  const w = where.join(' AND ');
  const [countRows, rows] = await Promise.all([
    select<{ change_type: ResourceChange['change_type']; n: number }>(
      store,
      `SELECT change_type, count() AS n FROM resource_changes FINAL WHERE ${w} GROUP BY change_type`,
      params,
    ),
    select<RawChange>(
      store,
      `SELECT provider, resource_id, resource_type, name, change_type, changes,
              toString(previous_snapshot_at) AS previous_text, toString(snapshot_at) AS snapshot_text,
              toString(detected_at) AS detected_text
       FROM resource_changes FINAL WHERE ${w}
       ORDER BY snapshot_at DESC, provider, resource_id, change_type
       LIMIT {limit:UInt32}`,
      { ...params, limit: opts.limit },
    ),
  ]);
  const counts = { created: 0, deleted: 0, modified: 0 };
  for (const c of countRows) counts[c.change_type] = Number(c.n);
  const total = counts.created + counts.deleted + counts.modified;
  return {
    counts,
    total,
    truncated: rows.length < total,
    changes: rows.map((r) => ({
      provider: r.provider,
      resource_id: r.resource_id,
      resource_type: r.resource_type,
      name: r.name,
      change_type: r.change_type,
      changes: r.changes.map((c) =>
        Array.isArray(c) ? { field: c[0], old_value: c[1], new_value: c[2] } : c,
      ),
      previous_snapshot_at: iso(r.previous_text),
      snapshot_at: iso(r.snapshot_text) as string,
      detected_at: iso(r.detected_text) as string,
    })),
  };
}

export interface InventorySummary {
  snapshots: SnapshotInfo[];
  partial: boolean;
  total: number;
  by_provider: Record<string, number>;
  by_type: Record<string, number>;
  by_status: Record<string, number>;
  by_region: Record<string, number>;
  compute: { vcpus: number; memory_gib: number };
  gpus: { total: number; resources_with_gpus: number; by_model: Record<string, number> };
}

/**
 * Counts over the latest inventory: by provider, type, status and region; vCPUs and
 * memory; GPUs in total, per model, and how many resources carry any. One scan grouped
 * by all of those at once (few combinations), rolled up here.
 */
export async function readInventorySummary(store: Store, scope: ResourceScope): Promise<InventorySummary> {
  const info = await snapshotInfo(store, scope);
  const { providerSql, params } = scopeParams(scope);
  const rows =
    info.snapshots.length === 0
      ? []
      : await select<{
          provider: string;
          resource_type: string;
          status: string;
          region: string;
          gpu_model: string;
          n: number;
          vcpus: number;
          memory_gib: number;
          gpus: number;
          with_gpus: number;
        }>(
          store,
          `SELECT provider, resource_type, status, region, gpu_model, count() AS n,
                  sum(ifNull(vcpus, 0)) AS vcpus, sum(ifNull(memory_gib, 0)) AS memory_gib,
                  sum(gpu_count) AS gpus, countIf(gpu_count > 0) AS with_gpus
           FROM resource_snapshots FINAL
           WHERE ${latestSnapshotWhere(providerSql)}
           GROUP BY provider, resource_type, status, region, gpu_model`,
          params,
        );
  const add = (m: Record<string, number>, k: string, n: number) => {
    m[k] = (m[k] ?? 0) + n;
  };
  const out: InventorySummary = {
    snapshots: info.snapshots,
    partial: info.snapshots.some((s) => !s.complete),
    total: 0,
    by_provider: {},
    by_type: {},
    by_status: {},
    by_region: {},
    compute: { vcpus: 0, memory_gib: 0 },
    gpus: { total: 0, resources_with_gpus: 0, by_model: {} },
  };
  for (const r of rows) {
    const n = Number(r.n);
    out.total += n;
    add(out.by_provider, r.provider, n);
    add(out.by_type, r.resource_type, n);
    add(out.by_status, r.status, n);
    add(out.by_region, r.region, n);
    out.compute.vcpus += Number(r.vcpus);
    out.compute.memory_gib += Number(r.memory_gib);
    const gpus = Number(r.gpus);
    out.gpus.total += gpus;
    out.gpus.resources_with_gpus += Number(r.with_gpus);
    if (gpus > 0) add(out.gpus.by_model, r.gpu_model, gpus);
  }
  return out;
}

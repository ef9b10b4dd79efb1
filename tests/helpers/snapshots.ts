import type { Store } from '../../lib/clickhouse/client';
import { rows } from './store';

/** A stored inventory row as provider tests compare it (times and prices as ClickHouse prints them). */
export interface SnapshotRow {
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
  hourly_price: string | null;
  price_currency: string;
  attributes: string;
  complete: number;
  at: string;
}

const ORDER = {
  'type-name': 'resource_type, name',
  'region-type-id': 'region, resource_type, resource_id',
} as const;

/**
 * The rows of the snapshot `customerId` took at `at` (ISO time), latest version of each.
 *
 * @example
 * const snap = await snapshotRows(store, 'acme', '2026-11-20T12:00:00.000Z');
 */
export function snapshotRows(
  store: Store,
  customerId: string,
  at: string,
  order: keyof typeof ORDER = 'type-name',
): Promise<SnapshotRow[]> {
  return rows<SnapshotRow>(
    store,
    `SELECT resource_id, resource_type, name, status, region, zone, sku, vcpus, memory_gib, gpu_count, gpu_model,
            tags, toString(created_at) AS created_at, toString(hourly_price) AS hourly_price, price_currency,
            attributes, complete, toString(snapshot_at) AS at
     FROM resource_snapshots FINAL
     WHERE customer_id = {c:String} AND snapshot_at = {t:DateTime64(3, 'UTC')}
     ORDER BY ${ORDER[order]}`,
    { c: customerId, t: at.replace('T', ' ').replace('Z', '') },
  );
}

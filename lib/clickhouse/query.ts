import type { ClickHouseSettings } from '@clickhouse/client';
import type { Store } from './client';

/**
 * For reads with FINAL of tables partitioned by a function of a sort-key column (every
 * fact table here: toYYYYMM of its time column): a key never spans partitions, so
 * ClickHouse may finalize each partition on its own, which is exact and much faster.
 */
export const FINAL_READ_SETTINGS = { do_not_merge_across_partitions_select_final: 1 } as const;

/**
 * Runs a parameterised read and returns its rows. Every value goes in `params` as a
 * `{name:Type}` placeholder; the result stream is always consumed.
 *
 * @example
 * const rows = await selectRows<{ n: number }>(store, 'SELECT count() AS n FROM costs FINAL WHERE x_customer_id = {c:String}', { c: 'acme' });
 */
export async function selectRows<T>(
  store: Store,
  query: string,
  params: Record<string, unknown>,
  settings?: ClickHouseSettings,
): Promise<T[]> {
  const rs = await store.client.query({
    query,
    query_params: params,
    format: 'JSONEachRow',
    ...(settings ? { clickhouse_settings: settings } : {}),
  });
  return rs.json<T>();
}

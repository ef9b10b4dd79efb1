import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type Store } from '../../lib/clickhouse/client';
import { runMigrations } from '../../lib/clickhouse/migrate';
import { createWriter, type Writer } from '../../lib/clickhouse/writer';
import { createLogger, type Logger } from '../../lib/logger';

/** The data folder of this test process (libchdb binds one per process). */
export const TEST_DATA_DIR = join(tmpdir(), `optiinfra-test-${process.pid}`);

let shared: Promise<Store> | undefined;

/**
 * A real embedded ClickHouse with every migration applied, in a database of its own.
 * One per test file (vitest runs each file in its own process).
 */
export function testStore(): Promise<Store> {
  shared ??= (async () => {
    const store = await createStore({
      database: `t_${randomBytes(4).toString('hex')}`,
      dataDir: TEST_DATA_DIR,
    });
    await runMigrations(store);
    return store;
  })();
  return shared;
}

export async function testWriter(): Promise<Writer> {
  return createWriter(await testStore());
}

export function silentLogger(): Logger {
  return createLogger({ level: 'SILENT' });
}

/** Rows of a query, with query params. */
export async function rows<T = Record<string, unknown>>(
  store: Store,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await store.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

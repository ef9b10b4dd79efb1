import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { DataFolderLockedError } from '../errors';
import { createEmbeddedConnection } from './embedded';

export interface StoreOptions {
  /** http(s) URL of a ClickHouse server; absent means embedded chDB in `dataDir`. */
  url?: string | undefined;
  user?: string;
  password?: string;
  database: string;
  dataDir?: string;
  requestTimeoutMs?: number;
  idleSocketTtlMs?: number;
}

export interface Store {
  readonly client: ClickHouseClient;
  readonly database: string;
  readonly kind: 'http' | 'embedded';
  /** Creates the database if it is missing (migrations call this; request paths never do). */
  ensureDatabase(): Promise<void>;
  close(): Promise<void>;
}

/** Settings every query and insert carries, on both transports. */
const COMMON_SETTINGS = {
  date_time_input_format: 'best_effort',
  // Decimals and 64-bit integers as JSON strings would need parsing everywhere; we read
  // money with toString() explicitly where exactness matters.
  output_format_json_quote_64bit_integers: 0,
} as const;

/**
 * One ClickHouse client for the whole process, created at module scope by the composition
 * root. Over HTTP(S) it is tuned for Lambda: keep-alive sockets are dropped well before a
 * server's 3 s idle timeout (`idle_socket_ttl` 2.5 s default), a request timeout bounds
 * every call, and stale sockets from a frozen sandbox are destroyed eagerly. Without a
 * URL it runs embedded chDB on `dataDir` through the same `@clickhouse/client` API.
 *
 * @example
 * const store = await createStore({ url: process.env.CLICKHOUSE_URL, database: 'optiinfra', dataDir: '.optiinfra/data' });
 * const rs = await store.client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' });
 */
export async function createStore(opts: StoreOptions): Promise<Store> {
  if (opts.url) {
    const client = createClient({
      url: opts.url,
      username: opts.user ?? 'default',
      password: opts.password ?? '',
      database: opts.database,
      request_timeout: opts.requestTimeoutMs ?? 30_000,
      keep_alive: {
        enabled: true,
        idle_socket_ttl: opts.idleSocketTtlMs ?? 2_500,
        eagerly_destroy_stale_sockets: true,
      },
      clickhouse_settings: { ...COMMON_SETTINGS },
      application: 'optiinfra',
      // Failures surface as errors that our JSON logs record; the client's own console logs would duplicate them unstructured.
      log: { level: ClickHouseLogLevel.OFF },
    });
    return {
      client,
      database: opts.database,
      kind: 'http',
      async ensureDatabase() {
        const admin = createClient({
          url: opts.url,
          username: opts.user ?? 'default',
          password: opts.password ?? '',
          request_timeout: opts.requestTimeoutMs ?? 30_000,
        });
        try {
          await admin.command({ query: `CREATE DATABASE IF NOT EXISTS \`${opts.database}\`` });
        } finally {
          await admin.close();
        }
      },
      close: () => client.close(),
    };
  }

  const dataDir = resolve(opts.dataDir ?? '.optiinfra/data');
  mkdirSync(dataDir, { recursive: true });
  let connection: Awaited<ReturnType<typeof createEmbeddedConnection>>;
  try {
    connection = await createEmbeddedConnection(`${dataDir}/clickhouse`, opts.database);
  } catch (err) {
    if (/lock|already running|another.*instance/i.test(String((err as Error)?.message))) {
      throw new DataFolderLockedError(
        `The embedded ClickHouse data folder ${dataDir} is in use by another process.`,
        { cause: err },
      );
    }
    throw err;
  }
  const client = createClient({
    connection,
    clickhouse_settings: { ...COMMON_SETTINGS },
    log: { level: ClickHouseLogLevel.OFF },
  });
  return {
    client,
    database: opts.database,
    kind: 'embedded',
    async ensureDatabase() {
      // createEmbeddedConnection already created it.
    },
    close: () => client.close(),
  };
}

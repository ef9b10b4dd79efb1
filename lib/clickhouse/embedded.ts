import type { ClickHouseClientConfigOptions } from '@clickhouse/client';

type Connection = NonNullable<ClickHouseClientConfigOptions['connection']>;
type Params = { query: string; clickhouse_settings?: Record<string, unknown> };

/**
 * Embedded ClickHouse (chDB) as an `@clickhouse/client` connection, made to behave like
 * the HTTP transport in the two ways our code relies on.
 *
 * chdb/connection turns per-request `clickhouse_settings` into `SET k = v;` statements on
 * one shared engine session, so a setting outlives the request that set it. With
 * `insert_deduplication_token` that is data loss: the next, unrelated insert inherits the
 * token and is silently dropped as a duplicate (reproduced in
 * tests/integration/clickhouse/embedded.test.ts). Over HTTP each request's settings die
 * with it. So every operation here runs alone (one engine, one queue), names its
 * database itself (`USE db;` — the HTTP `database` option has no chDB counterpart), and
 * resets the settings it set before the next operation starts.
 *
 * chdb is imported dynamically so that it never enters a Lambda bundle.
 */
export async function createEmbeddedConnection(path: string, database: string): Promise<Connection> {
  const { createChdbConnection } = await import('chdb/connection');
  const inner = createChdbConnection({ path }) as unknown as Connection;
  const conn = new SerializedEmbeddedConnection(inner, database);
  await inner.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\``, query_id: 'init' } as never);
  return conn as unknown as Connection;
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs `fn` after every operation queued before it, on any embedded connection. */
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

class SerializedEmbeddedConnection {
  readonly connectionName = 'chdb';
  constructor(
    private readonly inner: Connection,
    private readonly database: string,
  ) {}

  private run<P extends Params, R>(op: (p: P) => Promise<R>, params: P): Promise<R> {
    return exclusive(async () => {
      const scoped = { ...params, query: `USE \`${this.database}\`; ${params.query}` };
      try {
        return await op.call(this.inner, scoped);
      } finally {
        const keys = Object.entries(params.clickhouse_settings ?? {})
          .filter(([k, v]) => v !== undefined && !HTTP_ONLY.has(k) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
          .map(([k]) => `${k} = DEFAULT`);
        if (keys.length > 0) {
          await this.inner.command({ query: `SET ${keys.join(', ')}`, query_id: 'reset' } as never);
        }
      }
    });
  }

  ping(params: never) {
    return exclusive(() => this.inner.ping(params));
  }
  query(params: Params) {
    return this.run(this.inner.query as never, params);
  }
  command(params: Params) {
    return this.run(this.inner.command as never, params);
  }
  exec(params: Params) {
    return this.run(this.inner.exec as never, params);
  }
  insert(params: Params) {
    return this.run(this.inner.insert as never, params);
  }
  close() {
    return exclusive(() => this.inner.close());
  }
}

/** Settings the HTTP protocol consumes and chdb drops (mirrors chdb/connection). */
const HTTP_ONLY = new Set([
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_response_buffer_size',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
  'default_format',
]);

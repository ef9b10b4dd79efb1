import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { drainStream } from '@clickhouse/client';
import { AppError, RowValidationError } from '../errors';
import { refreshHourly } from '../performance/rollup';
import { TABLES, type TableInput, type TableName } from '../schemas/rows';
import { nextVersion } from '../time';
import type { Store } from './client';
import { FAST_ROWS } from './fast-rows';

export interface WriteOptions {
  /**
   * Recompute the hourly performance aggregates after writing performance_points (default
   * true; lib/performance/rollup.ts). Only the bench turns it off, to time the write alone.
   */
  refreshAggregates?: boolean;
  /** Rows per INSERT. ClickHouse wants 1k–100k rows per insert and few inserts per second. */
  batchSize?: number;
}

export interface Writer {
  /**
   * Validates every row, then inserts them in batches. Each batch carries a deduplication
   * token derived from its content, so a transport retry of the same batch is dropped by
   * ClickHouse while a restated batch (different figures) goes in. Rows without a version
   * get this process's next version, so re-collected facts replace older ones.
   * Resolves to the number of rows written; an invalid row rejects with
   * `RowValidationError` before anything is written.
   */
  write<T extends TableName>(table: T, rows: readonly TableInput<T>[]): Promise<number>;
}

async function insertBatch(store: Store, table: string, body: string, token: string): Promise<void> {
  try {
    // exec, not insert: insert() would re-serialize what we already serialized once for
    // the token. The response stream is drained so no socket is left half-read.
    const result = await store.client.exec({
      query: `INSERT INTO ${table} FORMAT JSONEachRow`,
      values: Readable.from([Buffer.from(body)], { objectMode: false }),
      clickhouse_settings: { insert_deduplication_token: token },
    });
    await drainStream(result.stream);
  } catch (err) {
    throw new ClickHouseWriteError(table, (err as Error).message, { cause: err });
  }
}

export class ClickHouseWriteError extends AppError {
  constructor(table: string, message: string, options?: ErrorOptions) {
    super('clickhouse_write_failed', `writing ${table} failed: ${message}`, options);
    this.name = 'ClickHouseWriteError';
  }
}

const MAX_REPORTED_ISSUES = 20;

/**
 * @example
 * const writer = createWriter(store);
 * await writer.write('performance_points', points);
 */
export function createWriter(store: Store, opts: WriteOptions = {}): Writer {
  const batchSize = opts.batchSize ?? 100_000;
  return {
    async write(table, rows) {
      const { schema, versionColumn } = TABLES[table];
      const fast = FAST_ROWS[table];
      const clean: Record<string, unknown>[] = new Array(rows.length);
      const issues: { index: number; message: string }[] = [];
      for (let i = 0; i < rows.length; i++) {
        // Rows already in their final shape pass the compiled check; the rest (and every
        // invalid row, so its reason is named) go through the schema.
        const quick = fast?.(rows[i]);
        if (quick) {
          if (quick[versionColumn] === undefined) quick[versionColumn] = nextVersion();
          clean[i] = quick;
          continue;
        }
        const parsed = schema.safeParse(rows[i]);
        if (!parsed.success) {
          const first = parsed.error.issues[0];
          issues.push({ index: i, message: `${first?.path.join('.') || '(row)'}: ${first?.message}` });
          if (issues.length >= MAX_REPORTED_ISSUES) break;
          continue;
        }
        const row = parsed.data as Record<string, unknown>;
        if (row[versionColumn] === undefined) row[versionColumn] = nextVersion();
        clean[i] = row;
      }
      if (issues.length > 0) throw new RowValidationError(table, issues);

      // Serialise batch k+1 while batch k is being ingested (the insert itself runs on
      // ClickHouse's side, or on chDB's native threads), so the JS thread and the engine overlap.
      let inFlight: Promise<void> | undefined;
      for (let start = 0; start < clean.length; start += batchSize) {
        const chunk = clean.slice(start, start + batchSize);
        let body = '';
        for (const row of chunk) body += `${JSON.stringify(row)}\n`;
        const token = createHash('sha256').update(table).update('\n').update(body).digest('hex');
        if (inFlight) await inFlight;
        inFlight = insertBatch(store, table, body, token);
      }
      if (inFlight) await inFlight;
      // Hourly aggregates are recomputed from the deduplicated raw rows once the points are in (lib/performance/rollup.ts).
      if (table === 'performance_points' && opts.refreshAggregates !== false)
        await refreshHourly(store, clean);
      return clean.length;
    },
  };
}

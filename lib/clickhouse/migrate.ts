import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MigrationError } from '../errors';
import type { Logger } from '../logger';
import { toClickHouseTime } from '../time';
import type { Store } from './client';

/** Where the project's migrations live (also copied next to the migrate Lambda). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.sql$/;

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: string[];
  skipped: string[];
}

/** Reads `NNNN_name.sql` files in version order; any other file name is an error. */
export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const m = FILE_PATTERN.exec(name);
    if (!m) throw new MigrationError(name, 'file name must look like 0001_create_things.sql');
    const sql = await readFile(join(dir, name), 'utf8');
    const version = Number(m[1]);
    if (files.some((f) => f.version === version)) {
      throw new MigrationError(name, `version ${m[1]} is used by another file`);
    }
    files.push({ version, name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return files;
}

/** Splits a file into statements at semicolons that end a line; comments are dropped. */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

async function ensureLedger(store: Store): Promise<void> {
  await store.client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))
      ENGINE = ReplacingMergeTree ORDER BY version`,
  });
}

async function appliedMigrations(store: Store): Promise<Map<number, { name: string; checksum: string }>> {
  const rs = await store.client.query({
    query: 'SELECT version, name, checksum FROM schema_migrations FINAL ORDER BY version',
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ version: number; name: string; checksum: string }>();
  return new Map(rows.map((r) => [Number(r.version), { name: r.name, checksum: r.checksum }]));
}

/**
 * Applies, in order, every migration not yet recorded in `schema_migrations`, recording
 * each one after it succeeds. Safe to run twice (and concurrently: every statement is
 * idempotent). Stops at the first failing file with its name and ClickHouse's message.
 * A recorded migration whose file has changed since is an error: write a new one instead.
 *
 * @example
 * const report = await runMigrations(store, { logger });
 * // report.applied: ['0001_create_costs.sql', ...]
 */
export async function runMigrations(
  store: Store,
  opts: { dir?: string; logger?: Logger } = {},
): Promise<MigrationReport> {
  const files = await loadMigrations(opts.dir);
  await store.ensureDatabase();
  await ensureLedger(store);
  const done = await appliedMigrations(store);
  const report: MigrationReport = { applied: [], skipped: [] };
  for (const file of files) {
    const prior = done.get(file.version);
    if (prior) {
      if (prior.checksum !== file.checksum) {
        throw new MigrationError(
          file.name,
          'was changed after it was applied; add a new migration instead of editing this one',
        );
      }
      report.skipped.push(file.name);
      continue;
    }
    for (const statement of splitStatements(file.sql)) {
      try {
        await store.client.command({ query: statement });
      } catch (err) {
        throw new MigrationError(file.name, (err as Error).message, { cause: err });
      }
    }
    await store.client.insert({
      table: 'schema_migrations',
      values: [
        {
          version: file.version,
          name: file.name,
          checksum: file.checksum,
          applied_at: toClickHouseTime(new Date()),
        },
      ],
      format: 'JSONEachRow',
    });
    report.applied.push(file.name);
    opts.logger?.info('migration applied', { migration: file.name });
  }
  return report;
}

/** Names of migration files not yet applied (empty when the schema is current). */
export async function pendingMigrations(store: Store, dir?: string): Promise<string[]> {
  const files = await loadMigrations(dir);
  let done: Map<number, unknown>;
  try {
    done = await appliedMigrations(store);
  } catch {
    return files.map((f) => f.name);
  }
  return files.filter((f) => !done.has(f.version)).map((f) => f.name);
}

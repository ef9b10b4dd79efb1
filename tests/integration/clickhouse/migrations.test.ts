import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import {
  loadMigrations,
  MIGRATIONS_DIR,
  pendingMigrations,
  runMigrations,
  splitStatements,
} from '../../../lib/clickhouse/migrate';
import { MigrationError } from '../../../lib/errors';
import { rows, testStore } from '../../helpers/store';

let store: Store;
beforeAll(async () => {
  store = await testStore(); // already migrated once
});

async function schema(): Promise<string> {
  const cols = await rows<{ table: string; name: string; type: string }>(
    store,
    `SELECT table, name, type FROM system.columns WHERE database = currentDatabase() ORDER BY table, position`,
  );
  const tables = await rows<{ name: string; engine_full: string }>(
    store,
    `SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() ORDER BY name`,
  );
  return JSON.stringify({ cols, tables });
}

describe('runMigrations', () => {
  it('applies twice without changing anything the second time', async () => {
    const before = await schema();
    const report = await runMigrations(store);
    expect(report.applied).toEqual([]);
    expect(report.skipped).toEqual((await loadMigrations()).map((m) => m.name));
    expect(await schema()).toBe(before);
    expect(await pendingMigrations(store)).toEqual([]);
    const ledger = await rows<{ n: number }>(store, 'SELECT count() AS n FROM schema_migrations FINAL');
    expect(Number(ledger[0]?.n)).toBe((await loadMigrations()).length);
  });

  it('creates every table the architecture names, each led by the customer id in its sort key', async () => {
    const tables = await rows<{ name: string; sorting_key: string; engine: string }>(
      store,
      `SELECT name, sorting_key, engine FROM system.tables WHERE database = currentDatabase() AND name != 'schema_migrations' ORDER BY name`,
    );
    const names = tables.map((t) => t.name);
    for (const t of [
      'costs',
      'performance_points',
      'resource_snapshots',
      'resource_changes',
      'application_evaluations',
      'collection_runs',
      'watermarks',
      'provider_connections',
      'api_keys',
    ]) {
      expect(names).toContain(t);
    }
    // Tables about the deployment itself rather than a customer's data (the judge's own
    // accuracy on the shipped calibration set) have no customer to lead their key; nor does
    // the embedded SecretStore, addressed like Secrets Manager by a secret's name (the
    // connection id, unique across customers; lib/connections/secret-store.ts).
    const DEPLOYMENT_WIDE = new Set(['judge_calibrations', 'connection_secrets']);
    for (const t of tables) {
      expect(t.engine, t.name).toBe('ReplacingMergeTree');
      if (!DEPLOYMENT_WIDE.has(t.name)) expect(t.sorting_key, t.name).toMatch(/^(x_)?customer_id,/);
    }
  });

  it('stops at a bad file with its name and ClickHouse\u2019s message, having applied the good ones before it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mig-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    writeFileSync(
      join(dir, '9000_create_good.sql'),
      'CREATE TABLE IF NOT EXISTS good_one (customer_id String) ENGINE = MergeTree ORDER BY customer_id',
    );
    writeFileSync(
      join(dir, '9001_create_broken.sql'),
      'CREATE TABLE broken (customer_id Strin) ENGINE = MergeTree ORDER BY customer_id',
    );
    const err = await runMigrations(store, { dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as MigrationError).message).toMatch(/^9001_create_broken\.sql: .*Strin/);
    expect(await pendingMigrations(store, dir)).toEqual(['9001_create_broken.sql']);
  });

  it('refuses a migration that was edited after it was applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mig-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    writeFileSync(
      join(dir, '0007_create_watermarks.sql'),
      'CREATE TABLE IF NOT EXISTS watermarks (x String) ENGINE = MergeTree ORDER BY x',
    );
    await expect(runMigrations(store, { dir })).rejects.toThrow(
      /^0007_create_watermarks\.sql: was changed after it was applied/,
    );
  });

  it('rejects file names that do not follow NNNN_name.sql', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mig-'));
    writeFileSync(join(dir, 'create_things.sql'), 'SELECT 1');
    await expect(loadMigrations(dir)).rejects.toThrow(/create_things\.sql: file name must look like/);
  });
});

describe('splitStatements', () => {
  it('splits at semicolons that end a line and drops comment lines', () => {
    expect(
      splitStatements("-- a comment\nCREATE TABLE a (x String) ENGINE = Memory;\n\nSELECT 'a;b';\n"),
    ).toEqual(['CREATE TABLE a (x String) ENGINE = Memory', "SELECT 'a;b'"]);
  });
});

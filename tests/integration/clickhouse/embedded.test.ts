import { describe, expect, it } from 'vitest';
import { rows, testStore } from '../../helpers/store';

describe('embedded ClickHouse transport', () => {
  it('does not let one insert\u2019s dedup token leak into the next insert (chdb/connection keeps SET state)', async () => {
    const store = await testStore();
    await store.client.command({
      query: `CREATE TABLE IF NOT EXISTS leak_probe (n UInt32) ENGINE = MergeTree ORDER BY n
              SETTINGS non_replicated_deduplication_window = 100`,
    });
    await store.client.insert({
      table: 'leak_probe',
      values: [{ n: 1 }],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: 'token-a' },
    });
    await store.client.insert({ table: 'leak_probe', values: [{ n: 2 }], format: 'JSONEachRow' });
    await store.client.insert({ table: 'leak_probe', values: [{ n: 3 }], format: 'JSONEachRow' });
    const r = await rows<{ n: number }>(store, 'SELECT n FROM leak_probe ORDER BY n');
    expect(r.map((x) => x.n)).toEqual([1, 2, 3]);
    const setting = await rows<{ t: string }>(store, "SELECT getSetting('insert_deduplication_token') AS t");
    expect(setting).toEqual([{ t: '' }]);
  });

  it('scopes every statement to the store\u2019s database', async () => {
    const store = await testStore();
    const r = await rows<{ db: string }>(store, 'SELECT currentDatabase() AS db');
    expect(r).toEqual([{ db: store.database }]);
  });
});

import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiKey, verifyApiKey } from '../auth/keys';
import type { Store } from '../clickhouse/client';
import type { Writer } from '../clickhouse/writer';

/**
 * The local admin key: created on first run, kept in `<dataDir>/admin-key` readable by
 * the owner only, reused while it still verifies (recreated if the database was reset).
 */
export async function ensureAdminKey(
  store: Store,
  writer: Writer,
  dataDir: string,
): Promise<{ key: string; path: string; created: boolean }> {
  const path = join(dataDir, 'admin-key');
  if (existsSync(path)) {
    const key = readFileSync(path, 'utf8').trim();
    const ctx = await verifyApiKey(store, key);
    if (ctx?.is_admin) {
      chmodSync(path, 0o600);
      return { key, path, created: false };
    }
  }
  const created = await createApiKey(writer, { admin: true, label: 'local admin (npm start)' });
  writeFileSync(path, `${created.key}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { key: created.key, path, created: true };
}

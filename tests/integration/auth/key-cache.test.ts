import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApiKey, KEY_CACHE_TTL_MS, revokeApiKey, verifyApiKey } from '../../../lib/auth/keys';
import { rows, testStore, testWriter } from '../../helpers/store';

/**
 * Key lookups are cached (issue #14) so authentication does not cost a query per request;
 * a revoked key must still stop working: at once when revoked through this process, within
 * KEY_CACHE_TTL_MS when another process revoked it.
 */
describe('API key cache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('stops a key revoked through this process at once', async () => {
    const store = await testStore();
    const writer = await testWriter();
    const key = await createApiKey(writer, { customerId: 'cache-a' });
    expect(await verifyApiKey(store, key.key)).toMatchObject({ customer_id: 'cache-a' });
    expect(await verifyApiKey(store, key.key)).toMatchObject({ customer_id: 'cache-a' });
    await revokeApiKey(store, writer, key.key_id);
    expect(await verifyApiKey(store, key.key)).toBeNull();
  });

  it('stops a key revoked by another process within the documented bound, and never accepts a wrong secret', async () => {
    const store = await testStore();
    const writer = await testWriter();
    const key = await createApiKey(writer, { customerId: 'cache-b' });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-12-01T00:00:00Z'));
    expect(await verifyApiKey(store, key.key)).toMatchObject({ customer_id: 'cache-b' });
    // Another process revokes it: a row written straight to the table, not through revokeApiKey.
    const [row] = await rows<{
      customer_id: string;
      key_id: string;
      key_hash: string;
      is_admin: 0 | 1;
      label: string;
      created_at: string;
    }>(store, 'SELECT * EXCEPT (revoked_at, version) FROM api_keys FINAL WHERE key_id = {id:String}', {
      id: key.key_id,
    });
    await writer.write('api_keys', [{ ...row!, is_admin: row!.is_admin ? 1 : 0, revoked_at: new Date() }]);
    const wrong =
      `${key.key.slice(0, -4)}AAAA` === key.key
        ? `${key.key.slice(0, -4)}BBBB`
        : `${key.key.slice(0, -4)}AAAA`;
    expect(await verifyApiKey(store, wrong)).toBeNull();
    vi.setSystemTime(Date.parse('2026-12-01T00:00:00Z') + KEY_CACHE_TTL_MS);
    expect(await verifyApiKey(store, key.key)).toBeNull();
  });
});

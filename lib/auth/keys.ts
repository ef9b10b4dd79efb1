import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../clickhouse/client';
import type { Writer } from '../clickhouse/writer';
import { type BearerError, UnauthorizedError } from '../errors';
import type { AuthContext } from '../http/types';

/**
 * API keys look like `oik_<key id: 16 hex>_<secret: 43 base64url chars>`. Only the
 * SHA-256 of the secret is stored; with 256 random bits a slow hash adds nothing.
 * The key id finds the row, the hash comparison is constant-time.
 */
const KEY_PATTERN = /^oik_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

export interface CreatedKey {
  key: string;
  key_id: string;
  customer_id: string | null;
  is_admin: boolean;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export async function createApiKey(
  writer: Writer,
  opts: { customerId?: string | null; admin?: boolean; label?: string },
): Promise<CreatedKey> {
  const admin = opts.admin === true;
  if (!admin && !opts.customerId) throw new Error('a customer key needs a customer id');
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  await writer.write('api_keys', [
    {
      customer_id: admin ? '' : (opts.customerId as string),
      key_id: keyId,
      key_hash: sha256(secret),
      is_admin: admin ? 1 : 0,
      label: opts.label ?? '',
      created_at: new Date(),
    },
  ]);
  return {
    key: `oik_${keyId}_${secret}`,
    key_id: keyId,
    customer_id: admin ? null : (opts.customerId as string),
    is_admin: admin,
  };
}

interface KeyRow {
  customer_id: string;
  key_id: string;
  key_hash: string;
  is_admin: number;
  label: string;
  created_at: string;
  revoked_at: string | null;
}

async function findKey(store: Store, keyId: string): Promise<KeyRow | null> {
  const rs = await store.client.query({
    query: `SELECT customer_id, key_id, key_hash, is_admin, label, created_at, revoked_at
      FROM api_keys FINAL WHERE key_id = {key_id:String} LIMIT 1`,
    query_params: { key_id: keyId },
    format: 'JSONEachRow',
  });
  return (await rs.json<KeyRow>())[0] ?? null;
}

/** Who a key belongs to (revoked or not), or null when there is no such key. */
export async function findApiKeyOwner(
  store: Store,
  keyId: string,
): Promise<{ customer_id: string; is_admin: boolean } | null> {
  const row = await findKey(store, keyId);
  return row ? { customer_id: row.customer_id, is_admin: Number(row.is_admin) === 1 } : null;
}

/**
 * How long a key looked up for authentication is trusted without asking ClickHouse again:
 * a key revoked by another process (another Lambda, the CLI) stops working within this
 * bound; one revoked through {@link revokeApiKey} in this process stops at once. Without
 * the cache every API request costs one more query (issue #14: the local server and the
 * authorizer answer many requests per key).
 */
export const KEY_CACHE_TTL_MS = 10_000;
const KEY_CACHE_MAX = 10_000;

/** Found keys per store: key id → row and when it was read. Unknown keys are never cached. */
const keyCache = new WeakMap<Store, Map<string, { row: KeyRow; at: number }>>();

async function findKeyCached(store: Store, keyId: string): Promise<KeyRow | null> {
  let cache = keyCache.get(store);
  if (!cache) {
    cache = new Map();
    keyCache.set(store, cache);
  }
  const now = Date.now();
  const hit = cache.get(keyId);
  if (hit && now - hit.at < KEY_CACHE_TTL_MS && now >= hit.at) return hit.row;
  const row = await findKey(store, keyId);
  cache.delete(keyId);
  if (row) {
    if (cache.size >= KEY_CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(keyId, { row, at: now });
  }
  return row;
}

/** The caller behind a presented key, or null when the key is unknown, malformed or revoked. */
export async function verifyApiKey(store: Store, presented: string): Promise<AuthContext | null> {
  const m = KEY_PATTERN.exec(presented.trim());
  if (!m) return null;
  const [, keyId, secret] = m as unknown as [string, string, string];
  const row = await findKeyCached(store, keyId);
  if (!row || row.revoked_at) return null;
  const expected = Buffer.from(row.key_hash, 'hex');
  const actual = Buffer.from(sha256(secret), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  return { customer_id: row.customer_id, is_admin: Number(row.is_admin) === 1, key_id: row.key_id };
}

/** Marks a key revoked (idempotent). Resolves to null when there is no such key. */
export async function revokeApiKey(
  store: Store,
  writer: Writer,
  keyId: string,
): Promise<{ customer_id: string; is_admin: boolean } | null> {
  keyCache.get(store)?.delete(keyId);
  const row = await findKey(store, keyId);
  if (!row) return null;
  if (!row.revoked_at) {
    await writer.write('api_keys', [
      {
        customer_id: row.customer_id,
        key_id: row.key_id,
        key_hash: row.key_hash,
        is_admin: Number(row.is_admin) === 1 ? 1 : 0,
        label: row.label,
        created_at: row.created_at,
        revoked_at: new Date(),
      },
    ]);
  }
  keyCache.get(store)?.delete(keyId);
  return { customer_id: row.customer_id, is_admin: Number(row.is_admin) === 1 };
}

/** Extracts the key from `Authorization: Bearer <key>`; null when absent or another scheme. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? (m[1] as string) : null;
}

/**
 * The Lambda authorizer's decision for API Gateway HTTP API (simple responses, payload 2.0);
 * the local server runs the same function.
 */
export async function authorize(
  store: Store,
  authorizationHeader: string | undefined | null,
): Promise<{ isAuthorized: boolean; context?: AuthContext; error?: BearerError }> {
  if (!authorizationHeader?.trim()) return { isAuthorized: false };
  const token = bearerToken(authorizationHeader);
  if (!token || !KEY_PATTERN.test(token)) return { isAuthorized: false, error: 'invalid_request' };
  const ctx = await verifyApiKey(store, token);
  return ctx ? { isAuthorized: true, context: ctx } : { isAuthorized: false, error: 'invalid_token' };
}

/** The 401 for an authorization failure (RFC 6750: missing, malformed or unknown credentials). */
export function unauthorizedFor(error: string | undefined): UnauthorizedError {
  if (error === 'invalid_request') {
    return new UnauthorizedError(
      'The Authorization header is malformed: expected "Bearer <key>" with an OptiInfra API key.',
      'invalid_request',
    );
  }
  if (error === 'invalid_token') {
    return new UnauthorizedError('The API key is unknown or revoked.', 'invalid_token');
  }
  return new UnauthorizedError();
}

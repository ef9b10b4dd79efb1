import { randomBytes } from 'node:crypto';
import type { Store } from '../clickhouse/client';
import { clickHouseTimeToIso, nextVersion, toClickHouseTime } from '../time';

/** What the API keeps beside a connection's settings: never a secret, only when each was set. */
export interface ConnectionMeta {
  name?: string;
  created_by?: string;
  updated_by?: string;
  /** secret name → ISO time it was last set */
  secrets?: Record<string, string>;
}

/** A `provider_connections` row, settings kept as the user sent them. */
export interface ConnectionRow {
  customer_id: string;
  provider: string;
  connection_id: string;
  settings: Record<string, unknown>;
  /** secret name → reference (`env:VAR` or `store:<secret name>`) */
  secret_ref: Record<string, string>;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  meta: ConnectionMeta;
}

const parseJson = <T>(text: string, fallback: T): T => {
  try {
    return (JSON.parse(text || 'null') as T) ?? fallback;
  } catch {
    return fallback;
  }
};

interface RawRow {
  customer_id: string;
  provider: string;
  connection_id: string;
  settings: string;
  secret_ref: string;
  enabled: number;
  created_at: string;
  updated_at: string;
  meta: string;
}

const toRow = (r: RawRow): ConnectionRow => ({
  customer_id: r.customer_id,
  provider: r.provider,
  connection_id: r.connection_id,
  settings: parseJson(r.settings, {}),
  secret_ref: parseJson(r.secret_ref, {}),
  enabled: Number(r.enabled) === 1,
  created_at: clickHouseTimeToIso(r.created_at) ?? '',
  updated_at: clickHouseTimeToIso(r.updated_at) ?? '',
  meta: parseJson(r.meta, {}),
});

/** Live connections in the table; by customer, provider or id (each optional). */
export async function listConnectionRows(
  store: Store,
  f: { customerId?: string | undefined; provider?: string | undefined; id?: string | undefined } = {},
): Promise<ConnectionRow[]> {
  const rs = await store.client.query({
    query: `SELECT customer_id, provider, connection_id, settings, secret_ref, enabled, created_at, updated_at, meta
      FROM provider_connections FINAL
      WHERE ({c:String} = '' OR customer_id = {c:String})
        AND ({p:String} = '' OR provider = {p:String})
        AND ({id:String} = '' OR connection_id = {id:String})
      ORDER BY customer_id, provider, connection_id`,
    query_params: { c: f.customerId ?? '', p: f.provider ?? '', id: f.id ?? '' },
    format: 'JSONEachRow',
  });
  return (await rs.json<RawRow>()).map(toRow);
}

export async function writeConnectionRow(store: Store, row: ConnectionRow, deleted = false): Promise<void> {
  await store.client.insert({
    table: 'provider_connections',
    values: [
      {
        customer_id: row.customer_id,
        provider: row.provider,
        connection_id: row.connection_id,
        settings: JSON.stringify(row.settings),
        secret_ref: JSON.stringify(row.secret_ref),
        enabled: row.enabled ? 1 : 0,
        created_at: toClickHouseTime(row.created_at),
        updated_at: toClickHouseTime(row.updated_at),
        meta: JSON.stringify(row.meta),
        version: nextVersion(),
        is_deleted: deleted ? 1 : 0,
      },
    ],
    format: 'JSONEachRow',
  });
}

export const newConnectionId = () => `conn_${randomBytes(8).toString('hex')}`;

// ---------------------------------------------------------------- events

export interface ConnectionEvent {
  event_id: string;
  at: string;
  key_id: string;
  action: string;
  fields: string[];
  ok: boolean | null;
  latency_ms: number | null;
  message: string;
}

export async function recordConnectionEvent(
  store: Store,
  e: {
    customerId: string;
    connectionId: string;
    keyId: string;
    action: string;
    fields?: string[];
    ok?: boolean;
    latencyMs?: number;
    message?: string;
    at?: Date;
  },
): Promise<ConnectionEvent> {
  const at = e.at ?? new Date();
  const row = {
    customer_id: e.customerId,
    connection_id: e.connectionId,
    event_id: randomBytes(8).toString('hex'),
    at: toClickHouseTime(at),
    key_id: e.keyId,
    action: e.action,
    fields: e.fields ?? [],
    ok: e.ok === undefined ? null : e.ok ? 1 : 0,
    latency_ms: e.latencyMs ?? null,
    message: e.message ?? '',
  };
  await store.client.insert({ table: 'connection_events', values: [row], format: 'JSONEachRow' });
  return {
    event_id: row.event_id,
    at: at.toISOString(),
    key_id: row.key_id,
    action: row.action,
    fields: row.fields,
    ok: e.ok ?? null,
    latency_ms: e.latencyMs ?? null,
    message: row.message,
  };
}

export async function listConnectionEvents(
  store: Store,
  customerId: string,
  connectionId: string,
  opts: { action?: string; limit?: number } = {},
): Promise<ConnectionEvent[]> {
  const rs = await store.client.query({
    query: `SELECT event_id, at, key_id, action, fields, ok, latency_ms, message FROM connection_events
      WHERE customer_id = {c:String} AND connection_id = {id:String}
        AND ({a:String} = '' OR action = {a:String})
      ORDER BY at DESC, event_id DESC LIMIT {limit:UInt32}`,
    query_params: { c: customerId, id: connectionId, a: opts.action ?? '', limit: opts.limit ?? 100 },
    format: 'JSONEachRow',
  });
  return (
    await rs.json<{
      event_id: string;
      at: string;
      key_id: string;
      action: string;
      fields: string[];
      ok: number | null;
      latency_ms: number | null;
      message: string;
    }>()
  ).map((r) => ({
    ...r,
    at: clickHouseTimeToIso(r.at) ?? r.at,
    ok: r.ok === null ? null : Number(r.ok) === 1,
    latency_ms: r.latency_ms === null ? null : Number(r.latency_ms),
  }));
}

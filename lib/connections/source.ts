import type { Store } from '../clickhouse/client';
import type { Connection } from '../collector/types';
import { resolveSecretRefs } from './secrets';

export interface ConnectionFilter {
  customerId?: string | undefined;
  provider?: string | undefined;
}

/** Where a customer's provider connections come from (config file, database, built-ins). */
export interface ConnectionSource {
  list(filter?: ConnectionFilter): Promise<Connection[]>;
}

const matches = (c: Connection, f: ConnectionFilter) =>
  (!f.customerId || c.customerId === f.customerId) && (!f.provider || c.provider === f.provider);

export function staticConnections(connections: readonly Connection[]): ConnectionSource {
  return { list: async (f = {}) => connections.filter((c) => matches(c, f)) };
}

/** Merges sources; a later source's connection replaces an earlier one with the same identity. */
export function combineSources(...sources: ConnectionSource[]): ConnectionSource {
  return {
    async list(f = {}) {
      const merged = new Map<string, Connection>();
      for (const source of sources) {
        for (const c of await source.list(f))
          merged.set(`${c.customerId}\u0000${c.provider}\u0000${c.id}`, c);
      }
      return [...merged.values()];
    },
  };
}

/**
 * Connections stored in ClickHouse (`provider_connections`). Their `secret_ref` is a JSON
 * object of secret name → reference (`env:NAME`); secrets themselves are never stored.
 */
export function databaseConnections(store: Store, env: Record<string, string | undefined>): ConnectionSource {
  return {
    async list(f = {}) {
      const rs = await store.client.query({
        query: `SELECT customer_id, provider, connection_id, settings, secret_ref, enabled
          FROM provider_connections FINAL
          WHERE ({c:String} = '' OR customer_id = {c:String}) AND ({p:String} = '' OR provider = {p:String})`,
        query_params: { c: f.customerId ?? '', p: f.provider ?? '' },
        format: 'JSONEachRow',
      });
      const rows = await rs.json<{
        customer_id: string;
        provider: string;
        connection_id: string;
        settings: string;
        secret_ref: string;
        enabled: number;
      }>();
      return rows.map((r) => ({
        id: r.connection_id,
        customerId: r.customer_id,
        provider: r.provider,
        enabled: Number(r.enabled) === 1,
        settings: safeJson(r.settings),
        secrets: resolveSecretRefs(
          safeJson(r.secret_ref) as Record<string, string>,
          env,
          `connection ${r.connection_id}`,
        ),
        source: 'database' as const,
      }));
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text || '{}');
  } catch {
    return {};
  }
}

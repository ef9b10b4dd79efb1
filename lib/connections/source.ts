import type { Store } from '../clickhouse/client';
import type { Connection } from '../collector/types';
import { ConfigError } from '../errors';
import { listConnectionRows } from './repo';
import type { SecretStore } from './secret-store';
import { resolveSecretRefs, STORE_REF } from './secrets';

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
 * object of secret name → reference: `env:NAME` (an environment variable) or
 * `store:<secret name>` (the connection's secret in the SecretStore, field of the same
 * name). Secrets themselves are never stored in the table.
 */
export function databaseConnections(
  store: Store,
  env: Record<string, string | undefined>,
  secretStore?: SecretStore,
): ConnectionSource {
  return {
    async list(f = {}) {
      const rows = await listConnectionRows(store, f);
      return Promise.all(
        rows.map(async (r) => ({
          id: r.connection_id,
          customerId: r.customer_id,
          provider: r.provider,
          enabled: r.enabled,
          settings: r.settings,
          secrets: await resolveRefs(r.secret_ref, env, secretStore, `connection ${r.connection_id}`),
          source: 'database' as const,
        })),
      );
    },
  };
}

async function resolveRefs(
  refs: Record<string, string>,
  env: Record<string, string | undefined>,
  secretStore: SecretStore | undefined,
  where: string,
): Promise<Record<string, string>> {
  const envRefs = Object.fromEntries(Object.entries(refs).filter(([, r]) => !r.startsWith(STORE_REF)));
  const out = resolveSecretRefs(envRefs, env, where);
  const stored = Object.entries(refs).filter(([, r]) => r.startsWith(STORE_REF));
  if (stored.length === 0) return out;
  if (!secretStore)
    throw new ConfigError(`${where}: its secrets are in the secret store, which is not configured`);
  const values = new Map<string, Record<string, string> | undefined>();
  for (const [field, ref] of stored) {
    const name = ref.slice(STORE_REF.length);
    if (!values.has(name)) values.set(name, await secretStore.get(name));
    const v = values.get(name)?.[field];
    if (v !== undefined) out[field] = v;
  }
  return out;
}

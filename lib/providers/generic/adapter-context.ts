import type { CollectContext } from '../../collector/types';
import { ProviderConfigError } from '../../errors';
import type { AdapterContext, CachedHttp, ProviderAdapter } from '../adapters/types';
import type { CatalogEntry } from './catalog';
import type { GenericSettings } from './settings';

/** Builds the adapters' HTTP client for one collection (lib/providers/generic/run-http.ts by default). */
export type CachedHttpFactory = (collect: CollectContext<unknown>, provider: string) => CachedHttp;

/**
 * Whether a connection uses the provider's API adapter: it has an `api:` block or any of
 * the adapter's secrets. Without either it is a Prometheus-only connection, which is a
 * complete way to use any provider (performance only, no billing or inventory).
 */
export function adapterActive(
  adapter: ProviderAdapter | undefined,
  connection: { settings: GenericSettings; secrets: Readonly<Record<string, string>> },
): adapter is ProviderAdapter {
  if (!adapter) return false;
  return connection.settings.api !== undefined || adapter.secretNames.some((n) => connection.secrets[n]);
}

/**
 * The context an adapter runs in: its `api:` settings, the base URL (the connection's
 * `api.base_url`, else the adapter's default, else the catalog's `endpoints.api`), only
 * the secrets it declared, and the run's cached HTTP client. Missing secrets are a
 * configuration error naming them.
 */
export function createAdapterContext(
  collect: CollectContext<GenericSettings>,
  adapter: ProviderAdapter,
  entry: CatalogEntry,
  http: CachedHttpFactory,
): AdapterContext {
  const { settings, secrets: all } = collect.connection;
  const missing = adapter.secretNames.filter((n) => !all[n]);
  if (missing.length > 0) {
    throw new ProviderConfigError(
      entry.id,
      `connection "${collect.connection.id}" uses the ${entry.display_name} API but lacks secret(s) ${missing.join(', ')} (list them under secrets, as env:VARIABLE)`,
    );
  }
  const secrets = Object.fromEntries(adapter.secretNames.map((n) => [n, all[n] as string]));
  const baseUrl = settings.api?.base_url || adapter.defaultBaseUrl || entry.endpoints.api;
  if (!baseUrl) {
    throw new ProviderConfigError(
      entry.id,
      `no API base URL for ${entry.display_name}: set api.base_url on the connection`,
    );
  }
  return {
    collect: collect as CollectContext<unknown>,
    settings: settings.api ?? {},
    baseUrl,
    secrets,
    http: http(collect as CollectContext<unknown>, entry.id),
  };
}

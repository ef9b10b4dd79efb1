import { z } from 'zod';
import type { DataType, ProviderDefinition } from '../collector/types';
import { genericOrigin } from '../providers/generic/compose';
import type { ProviderRegistry } from '../providers/registry';

export interface SecretField {
  name: string;
  label: string;
  required: boolean;
}

/**
 * The secrets each dedicated provider module reads from `connection.secrets` (the modules
 * name them in their clients). Generic providers' come from providers.yaml (`auth.secrets`)
 * and their API adapter (`secretNames`).
 */
const DEDICATED_SECRETS: Record<string, readonly SecretField[]> = {
  aws: [
    { name: 'access_key_id', label: 'Access key id (only without a role)', required: false },
    { name: 'secret_access_key', label: 'Secret access key (only without a role)', required: false },
    { name: 'session_token', label: 'Session token', required: false },
  ],
  gcp: [{ name: 'service_account_key', label: 'Service account key (JSON)', required: true }],
  azure: [{ name: 'client_secret', label: 'Client secret of the service principal', required: true }],
  vultr: [{ name: 'api_key', label: 'API key', required: true }],
  local: [],
};

const labelOf = (name: string) =>
  name
    .replace(/_/g, ' ')
    .replace(/^\w/, (c) => c.toUpperCase())
    .replace(/\bapi\b/i, 'API');

export function secretFieldsOf(def: ProviderDefinition): SecretField[] {
  const dedicated = DEDICATED_SECRETS[def.id];
  if (dedicated) return [...dedicated];
  const origin = genericOrigin(def);
  // Without the API's secrets a catalog provider is a Prometheus-only connection, which is
  // complete on its own: none of its secrets is required.
  const names = new Set([...(origin?.entry.auth.secrets ?? []), ...(origin?.adapter?.secretNames ?? [])]);
  return [...names].map((name) => ({ name, label: labelOf(name), required: false }));
}

export function docsAnchorOf(def: ProviderDefinition): string {
  if (def.id in DEDICATED_SECRETS)
    return def.id === 'local' ? 'README.md#quick-start' : `docs/connections.md#${def.id}`;
  return `docs/providers.md#${def.id}`;
}

/** The JSON Schema of what a connection's settings may be, as a user writes them (zod input side). */
export function settingsJsonSchema(def: ProviderDefinition): Record<string, unknown> {
  return z.toJSONSchema(def.settingsSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}

export interface CatalogProvider {
  id: string;
  display_name: string;
  category: string;
  data_types: DataType[];
  docs: string;
  settings_schema: Record<string, unknown>;
  secret_fields: SecretField[];
}

/** Every provider the build knows, for forms: generated from each provider's own schemas. */
export function providerCatalog(registry: ProviderRegistry): CatalogProvider[] {
  return registry.list().map((def) => ({
    id: def.id,
    display_name: def.displayName,
    category: def.category,
    data_types: registry.dataTypes(def.id),
    docs: docsAnchorOf(def),
    settings_schema: settingsJsonSchema(def),
    secret_fields: secretFieldsOf(def),
  }));
}

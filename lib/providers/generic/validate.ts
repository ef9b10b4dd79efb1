import { readConnectionsDocument } from '../../connections/file';
import { ConfigError } from '../../errors';
import type { ProviderAdapter } from '../adapters/types';
import { fillExternalId } from '../aws/external-id';
import type { ProviderRegistry } from '../registry';
import { type Catalog, formatPath } from './catalog';
import { adapterActive, genericOrigin } from './compose';
import { type GenericSettings, secretReferences } from './settings';

/**
 * Checks a connections file against the providers this build ships, without resolving
 * secrets (so it runs at deploy, where the variables may not be set): each provider is
 * known, each `settings` block passes its provider's schema (an adapter's `api:` settings
 * included), every secret a setting names is listed under `secrets:`, and a connection
 * that uses an API adapter lists the adapter's secrets and has the settings it requires. Throws one ConfigError naming the file, the path and the problem of
 * every mistake found (up to ten).
 *
 * @example
 * checkConnectionsFile('connections.yaml', createRegistry(), { externalIdSecret: env.OPTIINFRA_EXTERNAL_ID_SECRET });
 */
export function checkConnectionsFile(
  path: string,
  registry: ProviderRegistry,
  opts: { externalIdSecret?: string | undefined } = {},
): { connections: number } {
  const document = readConnectionsDocument(path);
  const problems: string[] = [];
  document.connections.forEach((c, i) => {
    const at = (...p: PropertyKey[]) => `${path}: ${formatPath(['connections', i, ...p])}`;
    const def = registry.get(c.provider);
    if (!def) {
      problems.push(
        `${at('provider')}: unknown provider "${c.provider}" (known: ${registry
          .list()
          .map((d) => d.id)
          .join(', ')})`,
      );
      return;
    }
    // AWS role connections get their ExternalId from OptiInfra (lib/providers/aws/external-id.ts)
    // when the deployment has the secret; validate what the collector will actually use.
    const effective = fillExternalId(
      {
        id: c.id ?? c.provider,
        customerId: c.customer_id,
        provider: c.provider,
        enabled: c.enabled,
        settings: c.settings,
        secrets: {},
        source: 'config',
      },
      opts.externalIdSecret,
    );
    const settings = def.settingsSchema.safeParse(effective.settings);
    if (!settings.success) {
      for (const issue of settings.error.issues.slice(0, 3))
        problems.push(`${at('settings', ...issue.path)}: ${issue.message}`);
      return;
    }
    const origin = genericOrigin(def);
    if (!origin) return;
    const s = settings.data as GenericSettings;
    for (const ref of secretReferences(s)) {
      if (!(ref.name in c.secrets)) {
        problems.push(
          `${at('settings')}.${ref.path}: names secret "${ref.name}", but secrets: has no such entry`,
        );
      }
    }
    const { adapter } = origin;
    if (adapterActive(adapter, { settings: s, secrets: c.secrets })) {
      const missing = adapter.secretNames.filter((n) => !(n in c.secrets));
      if (missing.length > 0) {
        problems.push(
          `${at('secrets')}: the ${origin.entry.display_name} API needs ${missing.join(', ')} (list them under secrets, as env:VARIABLE)`,
        );
      }
      // Secrets without an api: block use the adapter with its defaults: they must do.
      const defaults = s.api === undefined ? adapter.settingsSchema?.safeParse({}) : undefined;
      for (const issue of defaults?.error?.issues.slice(0, 3) ?? []) {
        problems.push(
          `${at('settings', 'api', ...issue.path)}: ${issue.message} (the connection has the ${origin.entry.display_name} API's secrets, so it uses the API)`,
        );
      }
    }
  });
  if (problems.length > 0) {
    const more = problems.length > 10 ? ` (and ${problems.length - 10} more)` : '';
    throw new ConfigError(`${problems.slice(0, 10).join('; ')}${more}`);
  }
  return { connections: document.connections.length };
}

/**
 * Where the catalog and the shipped adapters disagree: an adapter without a catalog entry
 * (it would never be registered), or secret names or category that differ (operators
 * configure what providers.yaml and docs/providers.md say). Empty when they agree.
 */
export function checkAdapterCatalog(
  catalog: Catalog,
  adapters: readonly Pick<ProviderAdapter, 'id' | 'category' | 'secretNames'>[],
): string[] {
  const problems: string[] = [];
  for (const a of adapters) {
    const entry = catalog.providers.find((p) => (p.adapter ?? p.id) === a.id);
    if (!entry) {
      problems.push(`adapter "${a.id}" has no entry in providers.yaml (add one with id: ${a.id})`);
      continue;
    }
    const want = [...a.secretNames].sort();
    const have = [...entry.auth.secrets].sort();
    if (want.join(',') !== have.join(',')) {
      problems.push(
        `providers.yaml: ${entry.id}.auth.secrets is [${have.join(', ')}] but the ${a.id} adapter reads [${want.join(', ')}]`,
      );
    }
    if (a.category !== entry.category) {
      problems.push(
        `providers.yaml: ${entry.id}.category is ${entry.category} but the ${a.id} adapter says ${a.category}`,
      );
    }
  }
  return problems;
}

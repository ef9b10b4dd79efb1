import type { Connection } from '../collector/types';
import { ConfigError } from '../errors';
import { KNOWN_PROVIDER_IDS, type ProviderRegistry } from '../providers/registry';

/**
 * Checks configured connections against their providers' settings schemas at start-up, so
 * a typo in the connections file stops the deployment with the file, the entry and the
 * field named, instead of failing every scheduled run later. Returns the connections with
 * defaults filled in. Providers this build does not ship are left to the runner (it
 * records them as unavailable); ids nobody knows are an error.
 *
 * @example
 * validateConnections(loadConnectionsFile(path, env), registry, path);
 * // ConfigError: connections.yaml: connections[2].settings.tenant_id: must be a GUID
 */
export function validateConnections(
  connections: readonly Connection[],
  registry: ProviderRegistry,
  where: string,
): Connection[] {
  return connections.map((c, i) => {
    const provider = registry.get(c.provider);
    if (!provider) {
      if ((KNOWN_PROVIDER_IDS as readonly string[]).includes(c.provider)) return c;
      throw new ConfigError(
        `${where}: connections[${i}].provider: unknown provider "${c.provider}" (known: ${KNOWN_PROVIDER_IDS.join(', ')})`,
      );
    }
    const parsed = provider.settingsSchema.safeParse(c.settings);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.length ? `.${issue.path.map(String).join('.')}` : '';
      throw new ConfigError(`${where}: connections[${i}].settings${field}: ${issue?.message ?? 'invalid'}`);
    }
    return { ...c, settings: parsed.data };
  });
}

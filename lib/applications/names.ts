import { z } from 'zod';
import { NotFoundError } from '../errors';
import { KNOWN_PROVIDER_IDS, type ProviderRegistry } from '../providers/registry';

/** Application names are sort-key prefixes and query values: printable, short, no spaces. */
export const APPLICATION_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const ApplicationNameSchema = z
  .string()
  .regex(
    APPLICATION_NAME_PATTERN,
    'must be 1-128 characters: letters, digits and . _ : - (starting with a letter or digit)',
  );

/**
 * Where an application may run: every provider id of the vocabulary (an app can run on
 * a cloud this deployment does not collect from, e.g. CoreWeave without its adapter),
 * plus any provider module this build registers. Hosted model APIs (OpenAI, Anthropic)
 * are not providers: tag a sample with the provider your app's compute runs on.
 */
export function isApplicationProvider(registry: ProviderRegistry, id: string): boolean {
  return (KNOWN_PROVIDER_IDS as readonly string[]).includes(id) || registry.get(id) !== undefined;
}

export function applicationProviderIds(registry: ProviderRegistry): string[] {
  return [...new Set([...KNOWN_PROVIDER_IDS, ...registry.list().map((p) => p.id)])].sort();
}

/** 404 for a `{provider}` path segment that is neither `all` nor a legal application provider. */
export function assertApplicationProvider(registry: ProviderRegistry, provider: string): void {
  if (provider === 'all' || isApplicationProvider(registry, provider)) return;
  throw new NotFoundError(
    `Unknown provider "${provider}". Applications run on: ${applicationProviderIds(registry).join(', ')} (or "all").`,
  );
}

import type { DataType, ProviderDefinition } from '../collector/types';
import { awsProvider } from './aws';
import { azureProvider } from './azure';
import { gcpProvider } from './gcp';
import { GENERIC_PROVIDERS } from './generic';
import { localProvider } from './local';
import { vultrProvider } from './vultr';

/**
 * Every provider id the product knows (ARCHITECTURE.md vocabulary). A known id without a
 * module yet is still "unknown" to the collector API: only registered modules collect.
 */
export const KNOWN_PROVIDER_IDS = [
  'aws',
  'gcp',
  'azure',
  'vultr',
  'runpod',
  'lambdalabs',
  'coreweave',
  'digitalocean',
  'linode',
  'hetzner',
  'paperspace',
  'ovh',
  'kubernetes',
  'docker',
  'onprem',
  'local',
  'prometheus',
] as const;

/** The provider modules this build ships. Adding a provider: a folder and one line here. */
// biome-ignore lint/suspicious/noExplicitAny: each module has its own settings type
export const PROVIDERS: readonly ProviderDefinition<any>[] = [
  localProvider,
  awsProvider,
  gcpProvider,
  azureProvider,
  vultrProvider,
  ...GENERIC_PROVIDERS,
];

export interface ProviderRegistry {
  get(id: string): ProviderDefinition | undefined;
  list(): readonly ProviderDefinition[];
  dataTypes(id: string): DataType[];
}

export function createRegistry(definitions: readonly ProviderDefinition<unknown>[] = PROVIDERS): ProviderRegistry {
  const byId = new Map(definitions.map((d) => [d.id, d]));
  if (byId.size !== definitions.length) throw new Error('duplicate provider id in registry');
  return {
    get: (id) => byId.get(id),
    list: () => [...byId.values()],
    dataTypes: (id) => Object.keys(byId.get(id)?.collectors ?? {}) as DataType[],
  };
}

import type {
  CollectionJob,
  Collector,
  DataType,
  ProviderDefinition,
  WindowPolicy,
} from '../collector/types';
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

/**
 * A data type whose data the customer brings rather than a provider's API returns:
 * application evaluation judges the LLM interactions a customer sent (or a probe sampled),
 * each tagged with the provider its app runs on. Such a source serves every provider id of
 * the vocabulary, needs no connection, and plans jobs from its own backlog (one per
 * customer x provider with work waiting) instead of from connections.
 */
export interface CustomerDataSource<D extends DataType = DataType> {
  readonly dataType: D;
  readonly collect: Collector<unknown, D>;
  /** The window each job looks at (e.g. a fixed backlog horizon instead of "since the watermark"). */
  readonly window?: WindowPolicy;
  /** Provider ids a job may name: where the customer's things can run. */
  isProvider(id: string): boolean;
  /**
   * Jobs to run: one per customer x provider with work waiting (optionally for one
   * customer); when a customer and providers are named, one per named provider.
   */
  planJobs(args: {
    trigger: CollectionJob['trigger'];
    now: Date;
    customerId?: string;
    providers?: readonly string[];
  }): Promise<CollectionJob[]>;
}

export interface ProviderRegistry {
  get(id: string): ProviderDefinition | undefined;
  list(): readonly ProviderDefinition[];
  /** Data types the provider's own module collects. */
  dataTypes(id: string): DataType[];
  /** The customer-data source of a data type, when this runtime has one. */
  customerSource?(dataType: DataType): CustomerDataSource | undefined;
}

export function createRegistry(
  definitions: readonly ProviderDefinition<unknown>[] = PROVIDERS,
  customerSources: readonly CustomerDataSource[] = [],
): ProviderRegistry {
  const byId = new Map(definitions.map((d) => [d.id, d]));
  if (byId.size !== definitions.length) throw new Error('duplicate provider id in registry');
  const sources = new Map<DataType, CustomerDataSource>(customerSources.map((s) => [s.dataType, s]));
  return {
    get: (id) => byId.get(id),
    list: () => [...byId.values()],
    dataTypes: (id) => Object.keys(byId.get(id)?.collectors ?? {}) as DataType[],
    customerSource: (dataType) => sources.get(dataType),
  };
}

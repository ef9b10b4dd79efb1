import type { ProviderDefinition } from '../../collector/types';
import { ADAPTERS } from '../adapters';
import { defaultCatalogPath, loadCatalog } from './catalog';
import { buildGenericProviders } from './compose';
import type { GenericSettings } from './settings';

export { type Catalog, type CatalogEntry, defaultCatalogPath, loadCatalog, parseCatalog } from './catalog';
export { buildGenericProvider, buildGenericProviders, type GenericDeps } from './compose';
export type { GenericSettings } from './settings';

/**
 * The providers of providers.yaml, each combining Prometheus/DCGM collection with its API
 * adapter when this build ships one. Loaded and validated when the registry is first
 * imported, so a broken catalog stops the process at start-up with the file, the path
 * and the problem.
 */
export const GENERIC_PROVIDERS: readonly ProviderDefinition<GenericSettings>[] = buildGenericProviders(
  loadCatalog(defaultCatalogPath()),
  { adapters: ADAPTERS },
);

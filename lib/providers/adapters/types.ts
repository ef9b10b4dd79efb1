import type { CollectContext, ProviderCategory } from '../../collector/types';
import type { CostRowInput, PerformancePointInput, ResourceSnapshotInput } from '../../schemas/rows';

/**
 * A small API adapter for a GPU or general cloud (RunPod, Lambda, DigitalOcean, …) or a
 * self-hosted platform (Kubernetes, Docker). It knows what the machines are and what they
 * cost; how hard they work comes from Prometheus/DCGM (lib/providers/generic/), which
 * composes adapters with the catalog (providers.yaml) into ProviderDefinitions.
 */
export interface ProviderAdapter {
  /** Provider id, as in providers.yaml and the registry. */
  readonly id: string;
  readonly displayName: string;
  readonly category: ProviderCategory;
  /** The API's production base URL; a connection's `api.base_url` overrides it (tests). */
  readonly defaultBaseUrl: string;
  /** Secret names this adapter reads from the connection (e.g. ['api_key']). */
  readonly secretNames: readonly string[];
  /** Inventory snapshot rows (complete = 1 only if every call succeeded). */
  resources?(ctx: AdapterContext): Promise<ResourceSnapshotInput[]>;
  /** Billing rows, or price x running time where the provider has no billing API. */
  cost?(ctx: AdapterContext): Promise<CostRowInput[]>;
  /** Utilisation the provider's own API reports (e.g. RunPod gpuUtilPercent). */
  performance?(ctx: AdapterContext): Promise<PerformancePointInput[]>;
  /** Cheapest authenticated call; throws ProviderAuthError on bad credentials. */
  test(ctx: AdapterContext): Promise<void>;
}

/** Settings under a connection's `api:` key. */
export interface AdapterSettings {
  base_url?: string;
  [key: string]: unknown;
}

export interface AdapterContext {
  readonly collect: CollectContext<unknown>;
  readonly settings: AdapterSettings;
  readonly baseUrl: string;
  readonly secrets: Readonly<Record<string, string>>;
  /** JSON over HTTP with provider error classes, retried, cached for the run (5-minute TTL). */
  readonly http: CachedHttp;
}

export interface CachedHttp {
  getJson<T>(url: string, opts?: { headers?: Record<string, string> }): Promise<T>;
  postJson<T>(url: string, body: unknown, opts?: { headers?: Record<string, string>; cacheable?: boolean }): Promise<T>;
}

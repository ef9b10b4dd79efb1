import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { CollectContext, ProviderCategory, WindowPolicy } from '../../collector/types';
import type { CostRowInput, PerformancePointInput, ResourceSnapshotInput } from '../../schemas/rows';

/**
 * A small API adapter for a GPU or general cloud (RunPod, Lambda, DigitalOcean, …) or a
 * self-hosted platform (Kubernetes, Docker). It knows what the machines are and what they
 * cost; how hard they work comes from Prometheus/DCGM as well. lib/providers/generic/
 * composes each adapter with its catalog entry (providers.yaml) into the one registered
 * ProviderDefinition of its provider, running it in createAdapterContext's context.
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
  /**
   * Validates (and fills defaults into) the connection's `api:` settings; issues name the
   * field. The generic composition nests it under `api:` in the provider's settings schema,
   * so a bad connection is reported at start-up (checkConnectionsFile) and before a run;
   * the adapter receives the parsed block (settings are parsed once: lib/connections/settings.ts).
   */
  readonly settingsSchema?: z.ZodType<AdapterSettings>;
  /**
   * Window policies of the data types only the adapter collects; the registered provider
   * uses them (lib/providers/generic/compose.ts). Without one, cost looks back an hour on a
   * connection's first run and then starts where the last run ended (no restatement).
   * Price × time for machines whose start the API does not give must see consecutive
   * windows (no restatement, lib/providers/hourly-cost.ts). Performance is not here: it is
   * shared with Prometheus, whose policy applies, and the adapter's readings are "now".
   * `restateFrom` receives the connection's `api:` settings.
   */
  readonly windows?: {
    readonly cost?: WindowPolicy<AdapterSettings>;
    readonly resource?: WindowPolicy<AdapterSettings>;
  };
  /** How to reach the API when plain HTTPS is not enough: a unix socket (Docker), a private CA (Kubernetes). */
  httpOptions?(settings: AdapterSettings): AdapterHttpOptions;
}

export interface AdapterHttpOptions {
  /** An undici dispatcher every request of the context goes through. */
  dispatcher?: Dispatcher;
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

/**
 * Request headers, or a function computing them for each attempt (signed requests such as
 * OVH's carry a timestamp, so a retry signs again). Headers are not part of the cache key:
 * the cache is scoped to one run of one connection, whose credentials do not change.
 */
export type RequestHeaders =
  | Record<string, string>
  | (() => Record<string, string> | Promise<Record<string, string>>);

export interface RequestOptions {
  headers?: RequestHeaders;
  /**
   * Runs on each answer inside the retry loop, before it is cached: for APIs that report
   * errors in a 200 body (GraphQL). Throw a provider error; retryable ones are retried.
   */
  check?: (data: unknown) => void;
}

export interface CachedHttp {
  getJson<T>(url: string, opts?: RequestOptions): Promise<T>;
  postJson<T>(url: string, body: unknown, opts?: RequestOptions & { cacheable?: boolean }): Promise<T>;
}

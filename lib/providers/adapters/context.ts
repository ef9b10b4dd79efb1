import { randomUUID } from 'node:crypto';
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from '../../collector/retry';
import { createRequestMeter } from '../../collector/run';
import type { CollectContext, Connection, RequestMeter } from '../../collector/types';
import { ProviderConfigError } from '../../errors';
import type { Logger } from '../../logger';
import { createCachedHttp, type ResponseCache, runCacheScope, runResponseCache } from './http-cache';
import type { AdapterContext, AdapterSettings, ProviderAdapter } from './types';

export interface AdapterContextOptions {
  /** The response cache to use instead of the run's shared one (tests, benchmarks). */
  cache?: ResponseCache;
  /** Per-request timeout (default 30 s, lib/providers/http.ts). */
  timeoutMs?: number;
}

/**
 * Everything an adapter needs for one data type of one run: its validated `api:` settings,
 * the base URL (settings override the adapter's production URL), the secrets it declared
 * (`secretNames`), and JSON over HTTP that is retried with the run's backoff policy, cached for
 * the run, and goes through the adapter's `httpOptions` (a unix socket, a private CA).
 * Throws ProviderConfigError, naming the field or secret, when the connection cannot
 * work, before any request is made. The registered providers (lib/providers/generic/)
 * build every adapter context with it.
 *
 * @example
 * const rows = await runpodAdapter.resources!(createAdapterContext(ctx, ctx.connection.settings.api, runpodAdapter));
 */
export function createAdapterContext(
  collect: CollectContext<unknown>,
  settings: AdapterSettings | undefined,
  adapter: ProviderAdapter,
  opts: AdapterContextOptions = {},
): AdapterContext {
  // `settings` is the connection's `api:` block, already parsed with the adapter's schema by
  // the provider's settings schema (parsed once: lib/connections/settings.ts). Only an absent
  // block (an adapter enabled by its secrets alone) still needs its defaults filled.
  const parsed = settings ?? parseAdapterSettings(adapter, {});
  const baseUrl = (
    typeof parsed.base_url === 'string' && parsed.base_url ? parsed.base_url : adapter.defaultBaseUrl
  ).replace(/\/+$/, '');
  if (!baseUrl)
    throw new ProviderConfigError(adapter.id, `api.base_url is required for ${adapter.displayName}`);
  const all = collect.connection.secrets;
  for (const name of adapter.secretNames) {
    if (!all[name]) {
      throw new ProviderConfigError(
        adapter.id,
        `connection "${collect.connection.id}" has no secret "${name}" (${adapter.displayName} needs: ${adapter.secretNames.join(', ')})`,
      );
    }
  }
  // Only the secrets it declared: a connection's Prometheus token is none of the adapter's business.
  const secrets = Object.fromEntries(adapter.secretNames.map((n) => [n, all[n] as string]));
  const http = createCachedHttp({
    provider: adapter.id,
    cache: opts.cache ?? runResponseCache(runCacheScope(collect, adapter.id)),
    retry: collect.retry,
    signal: collect.signal,
    logger: collect.logger,
    ...(adapter.httpOptions?.(parsed) ?? {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return { collect, settings: parsed, baseUrl, secrets, http };
}

/**
 * A context for a connection test (`ProviderDefinition.testConnection` has no run): a
 * fresh task id, so nothing is reused from a collection, and the default retry policy.
 */
export function createTestAdapterContext(
  test: { connection: Connection<unknown>; signal: AbortSignal; logger: Logger },
  settings: AdapterSettings | undefined,
  adapter: ProviderAdapter,
  opts: AdapterContextOptions & { retry?: RetryPolicy; now?: () => Date } = {},
): AdapterContext {
  const now = opts.now ?? (() => new Date());
  const at = now();
  const meter: RequestMeter = createRequestMeter();
  const collect: CollectContext<unknown> = {
    taskId: `test-${randomUUID()}`,
    customerId: test.connection.customerId,
    provider: test.connection.provider,
    dataType: 'resource',
    connection: test.connection,
    window: { start: at, end: at },
    signal: test.signal,
    logger: test.logger,
    meter,
    now,
    retry: (_label, fn) => withRetry(fn, opts.retry ?? DEFAULT_RETRY, { signal: test.signal }),
  };
  return createAdapterContext(collect, settings, adapter, opts);
}

/** The adapter's settings schema applied, or the settings as given when it has none. */
export function parseAdapterSettings(adapter: ProviderAdapter, settings: AdapterSettings): AdapterSettings {
  if (!adapter.settingsSchema) return settings;
  const result = adapter.settingsSchema.safeParse(settings);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = ['api', ...(issue?.path ?? []).map(String)].join('.');
  throw new ProviderConfigError(adapter.id, `invalid settings: ${field}: ${issue?.message ?? 'invalid'}`);
}

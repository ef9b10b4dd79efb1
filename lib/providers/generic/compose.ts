import { randomUUID } from 'node:crypto';
import { type RetryPolicy, withRetry } from '../../collector/retry';
import type { CollectContext, ProviderDefinition } from '../../collector/types';
import { errorMessage, ProviderError } from '../../errors';
import type { Logger } from '../../logger';
import type { CostRowInput, PerformancePointInput, ResourceSnapshotInput } from '../../schemas/rows';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../time';
import type { ProviderAdapter } from '../adapters/types';
import { authHeaders } from '../prometheus/client';
import { collectPrometheus, prometheusEndpoint, reportProblem, testPrometheus } from '../prometheus/collect';
import { collectDcgmDirect } from '../prometheus/dcgm-direct';
import { scrapeMetrics } from '../prometheus/exposition';
import { adapterActive, type CachedHttpFactory, createAdapterContext } from './adapter-context';
import type { Catalog, CatalogEntry } from './catalog';
import { buildSettingsSchema, type GenericSettings, resolveQueries } from './settings';

export interface GenericDeps {
  /** The API adapters this build ships (lib/providers/adapters/index.ts). */
  adapters: readonly ProviderAdapter[];
  http: CachedHttpFactory;
}

/**
 * One ProviderDefinition per catalog entry. Performance always: the connection's
 * Prometheus (range queries over the job's window), dcgm-exporter endpoints and the
 * adapter's own utilisation, whichever are configured. Resources and cost when the
 * provider has an adapter that offers them. Adding a Prometheus-only provider is adding
 * an entry to providers.yaml.
 *
 * @example
 * const defs = buildGenericProviders(loadCatalog('providers.yaml'), { adapters: ADAPTERS, http: createRunHttp });
 */
export function buildGenericProviders(
  catalog: Catalog,
  deps: GenericDeps,
): ProviderDefinition<GenericSettings>[] {
  return catalog.providers.map((entry) =>
    buildGenericProvider(
      catalog,
      entry,
      deps.adapters.find((a) => a.id === (entry.adapter ?? entry.id)),
      deps.http,
    ),
  );
}

/** What a generic definition was built from, for configuration checks (lib/providers/generic/validate.ts). */
export interface GenericOrigin {
  entry: CatalogEntry;
  adapter: ProviderAdapter | undefined;
}
const origins = new WeakMap<object, GenericOrigin>();

/** The catalog entry and adapter behind a definition, if it is a generic one. */
export function genericOrigin(def: object): GenericOrigin | undefined {
  return origins.get(def);
}

export function buildGenericProvider(
  catalog: Catalog,
  entry: CatalogEntry,
  adapter: ProviderAdapter | undefined,
  http: CachedHttpFactory,
): ProviderDefinition<GenericSettings> {
  const def = defineGenericProvider(catalog, entry, adapter, http);
  origins.set(def, { entry, adapter });
  return def;
}

function defineGenericProvider(
  catalog: Catalog,
  entry: CatalogEntry,
  adapter: ProviderAdapter | undefined,
  http: CachedHttpFactory,
): ProviderDefinition<GenericSettings> {
  const settingsSchema = buildSettingsSchema(catalog, entry, adapter);

  async function* performance(ctx: CollectContext<GenericSettings>): AsyncGenerator<PerformancePointInput[]> {
    const s = ctx.connection.settings;
    const useAdapter = adapterActive(adapter, ctx.connection) && adapter?.performance !== undefined;
    const sources = Number(Boolean(s.prometheus)) + Number(Boolean(s.dcgm)) + Number(useAdapter);
    if (sources === 0) {
      ctx.logger.info(
        'no performance source on this connection (no prometheus, dcgm or adapter utilisation)',
      );
      return;
    }
    const anyCtx = ctx as CollectContext<unknown>;
    if (s.dcgm) {
      yield* collectDcgmDirect(anyCtx, {
        provider: entry.id,
        settings: s.dcgm,
        region: s.region,
        soleSource: sources === 1,
      });
    }
    if (useAdapter && adapter?.performance) {
      try {
        const rows = await adapter.performance(createAdapterContext(ctx, adapter, entry, http));
        yield rows.map((r) => ({
          ...r,
          customer_id: ctx.customerId,
          provider: entry.id,
          task_id: r.task_id || ctx.taskId,
        }));
      } catch (err) {
        if (ctx.signal.aborted || sources === 1) throw err;
        reportProblem(
          anyCtx,
          `${entry.display_name} API adapter failed, kept the Prometheus/DCGM data only: ${errorMessage(err)}`,
        );
      }
    }
    if (s.prometheus) {
      yield* collectPrometheus(anyCtx, {
        provider: entry.id,
        settings: s.prometheus,
        queries: resolveQueries(catalog, entry, s),
        region: s.region,
        fallbackResourceId: ctx.connection.id,
      });
    }
  }

  async function* resource(ctx: CollectContext<GenericSettings>): AsyncGenerator<ResourceSnapshotInput[]> {
    if (!adapter?.resources || !adapterActive(adapter, ctx.connection)) {
      ctx.logger.info('Prometheus-only connection: no inventory (configure the API adapter for it)');
      return;
    }
    const rows = await adapter.resources(createAdapterContext(ctx, adapter, entry, http));
    yield rows.map((r) => ({
      ...r,
      customer_id: ctx.customerId,
      provider: entry.id,
      task_id: r.task_id || ctx.taskId,
    }));
  }

  async function* cost(ctx: CollectContext<GenericSettings>): AsyncGenerator<CostRowInput[]> {
    if (!adapter?.cost || !adapterActive(adapter, ctx.connection)) {
      ctx.logger.info('Prometheus-only connection: no billing (configure the API adapter for it)');
      return;
    }
    const rows = await adapter.cost(createAdapterContext(ctx, adapter, entry, http));
    yield rows.map((r) => ({
      ...r,
      x_customer_id: ctx.customerId,
      x_provider: entry.id,
      x_connection_id: r.x_connection_id || ctx.connection.id,
      x_task_id: r.x_task_id || ctx.taskId,
    }));
  }

  return {
    id: entry.id,
    displayName: entry.display_name,
    category: entry.category,
    settingsSchema,
    collectors: {
      performance,
      ...(adapter?.resources ? { resource } : {}),
      ...(adapter?.cost ? { cost } : {}),
    },
    windows: {
      // Re-read the last minutes: the newest step may have been evaluated before its scrape landed.
      performance: { initialLookbackMs: HOUR_MS, restatementMs: 5 * MINUTE_MS },
      cost: { initialLookbackMs: 3 * DAY_MS, restatementMs: 2 * DAY_MS },
    },
    async testConnection({ connection, signal, logger }) {
      const failures: { part: string; error: unknown }[] = [];
      const s = connection.settings;
      const attempt = async (part: string, fn: () => Promise<void>) => {
        try {
          await fn();
        } catch (err) {
          failures.push({ part, error: err });
        }
      };
      if (s.prometheus) {
        const prom = s.prometheus;
        await attempt('prometheus', () =>
          testPrometheus(prometheusEndpoint(entry.id, prom, connection.secrets), signal),
        );
      }
      if (s.dcgm) {
        const dcgm = s.dcgm;
        await attempt('dcgm', async () => {
          const headers = authHeaders(entry.id, dcgm.auth, connection.secrets, 'dcgm');
          for (const url of dcgm.urls)
            await scrapeMetrics(entry.id, url, { headers, timeoutMs: dcgm.timeout, signal });
        });
      }
      if (adapterActive(adapter, connection)) {
        const a = adapter;
        await attempt('api', () =>
          a.test(createAdapterContext(testContext(entry.id, connection, signal, logger), a, entry, http)),
        );
      }
      if (failures.length === 1) throw (failures[0] as { error: unknown }).error;
      if (failures.length > 1) {
        throw new ProviderError(
          entry.id,
          'connection_test_failed',
          failures.map((f) => `${f.part}: ${errorMessage(f.error)}`).join('; '),
          false,
        );
      }
    },
  };
}

/** A connection test answers someone waiting: one quick retry, not a collection's patience. */
const TEST_RETRY: RetryPolicy = { maxAttempts: 2, baseMs: 250, capMs: 1_000 };

/** A collection context for a connection test: an empty window at now, quick retries. */
function testContext(
  provider: string,
  connection: CollectContext<GenericSettings>['connection'],
  signal: AbortSignal,
  logger: Logger,
): CollectContext<GenericSettings> {
  const now = new Date();
  return {
    taskId: `test-${randomUUID()}`,
    customerId: connection.customerId,
    provider,
    dataType: 'resource',
    connection,
    window: { start: now, end: now },
    signal,
    logger,
    retry: (_label, fn) => withRetry(fn, TEST_RETRY, { signal }),
    meter: { count() {}, counts: {}, remaining: () => Number.POSITIVE_INFINITY },
    now: () => new Date(),
  };
}

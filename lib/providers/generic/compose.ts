import type { RetryPolicy } from '../../collector/retry';
import type { CollectContext, ProviderDefinition, WindowPolicy } from '../../collector/types';
import { errorMessage, ProviderError } from '../../errors';
import type { CostRowInput, PerformancePointInput, ResourceSnapshotInput } from '../../schemas/rows';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../time';
import {
  type AdapterContextOptions,
  createAdapterContext,
  createTestAdapterContext,
} from '../adapters/context';
import type { AdapterSettings, ProviderAdapter } from '../adapters/types';
import { authHeaders } from '../prometheus/client';
import {
  collectPrometheus,
  oldestPrometheusSample,
  prometheusEndpoint,
  reportProblem,
  testPrometheus,
} from '../prometheus/collect';
import { collectDcgmDirect } from '../prometheus/dcgm-direct';
import { scrapeMetrics } from '../prometheus/exposition';
import { pricedMachineCosts, pricedMachineSnapshots } from '../prometheus/prices';
import type { Catalog, CatalogEntry } from './catalog';
import { buildSettingsSchema, type GenericSettings, resolveQueries } from './settings';

export interface GenericDeps {
  /** The API adapters this build ships (lib/providers/adapters/index.ts). */
  adapters: readonly ProviderAdapter[];
  /** For every adapter context: a response cache or timeout of its own (tests, benchmarks). */
  adapterContext?: AdapterContextOptions;
}

/**
 * One ProviderDefinition per catalog entry. Performance always: the connection's
 * Prometheus (range queries over the job's window), dcgm-exporter endpoints and the
 * adapter's own utilisation, whichever are configured. Resources and cost when the
 * provider has an adapter that offers them, run in the adapter's own context
 * (createAdapterContext: its settings schema, HTTP options, cache) and window policies.
 * Adding a Prometheus-only provider is adding an entry to providers.yaml.
 *
 * @example
 * const defs = buildGenericProviders(loadCatalog('providers.yaml'), { adapters: ADAPTERS });
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
      deps.adapterContext,
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
  contextOptions: AdapterContextOptions = {},
): ProviderDefinition<GenericSettings> {
  const def = defineGenericProvider(catalog, entry, adapter, contextOptions);
  origins.set(def, { entry, adapter });
  return def;
}

/**
 * Whether a connection uses the provider's API adapter: it has an `api:` block or any of
 * the adapter's secrets. Without either it is a Prometheus-only connection, which is a
 * complete way to use any provider (performance only, no billing or inventory).
 */
export function adapterActive(
  adapter: ProviderAdapter | undefined,
  connection: { settings: GenericSettings; secrets: Readonly<Record<string, string>> },
): adapter is ProviderAdapter {
  if (!adapter) return false;
  return connection.settings.api !== undefined || adapter.secretNames.some((n) => connection.secrets[n]);
}

/**
 * Prometheus range queries re-read the last minutes: the newest step may have been
 * evaluated before its scrape landed. A first collection reads `history_days` back (from
 * the source's oldest sample when it is younger), a day per chunk at most, each chunk
 * within Prometheus's points-per-series limit (`max_points_per_query`).
 */
const PERFORMANCE_WINDOW: WindowPolicy<GenericSettings> = {
  initialLookbackMs: HOUR_MS,
  restatementMs: 5 * MINUTE_MS,
  historyMs: (s) => s.history_days * DAY_MS,
  chunkMs: (s) =>
    Math.min(DAY_MS, s.prometheus ? s.prometheus.max_points_per_query * s.prometheus.step : DAY_MS),
  oldestAvailable: async (ctx) => {
    const prom = ctx.connection.settings.prometheus;
    if (!prom) return null;
    return oldestPrometheusSample(ctx, ctx.provider, prom);
  },
};

/**
 * Cost of an adapter that declares no policy. No shipped adapter reads a source that
 * restates (price × time from a known start gives every hour the same figure whenever it
 * is computed; OVH's month to date is replaced whole), so nothing is re-read; the first
 * run bills the last hour, from when OptiInfra starts watching.
 */
const ADAPTER_COST_WINDOW: WindowPolicy<AdapterSettings> = { initialLookbackMs: HOUR_MS };

/** An adapter's policy on the provider's settings: `restateFrom` sees the `api:` block. */
function onGenericSettings(policy: WindowPolicy<AdapterSettings>): WindowPolicy<GenericSettings> {
  const { restateFrom, initialLookbackMs, restatementMs, maxBackfillMs } = policy;
  const rest = { initialLookbackMs, restatementMs, maxBackfillMs };
  return restateFrom
    ? { ...rest, restateFrom: (now, settings, watermark) => restateFrom(now, settings.api ?? {}, watermark) }
    : rest;
}

/** The window policy of each data type the definition collects. */
function windowsOf(adapter: ProviderAdapter | undefined): ProviderDefinition<GenericSettings>['windows'] {
  const resource = adapter?.resources ? adapter.windows?.resource : undefined;
  return {
    performance: PERFORMANCE_WINDOW,
    ...(resource ? { resource: onGenericSettings(resource) } : {}),
    ...(adapter?.cost ? { cost: onGenericSettings(adapter.windows?.cost ?? ADAPTER_COST_WINDOW) } : {}),
    // Priced self-hosted machines: each clock hour is recomputed whole, so the last one is re-read.
    ...(adapter ? {} : { cost: { initialLookbackMs: HOUR_MS, restatementMs: HOUR_MS } }),
  };
}

/** How close to now a window's end must be for sources that only report the present. */
const PRESENT_TOLERANCE_MS = 10 * MINUTE_MS;

/** A connection test answers someone waiting: one quick retry, not a collection's patience. */
const TEST_RETRY: RetryPolicy = { maxAttempts: 2, baseMs: 250, capMs: 1_000 };

function defineGenericProvider(
  catalog: Catalog,
  entry: CatalogEntry,
  adapter: ProviderAdapter | undefined,
  contextOptions: AdapterContextOptions,
): ProviderDefinition<GenericSettings> {
  const settingsSchema = buildSettingsSchema(catalog, entry, adapter);
  const context = (ctx: CollectContext<GenericSettings>, a: ProviderAdapter) =>
    createAdapterContext(ctx, ctx.connection.settings.api, a, contextOptions);

  async function* performance(ctx: CollectContext<GenericSettings>): AsyncGenerator<PerformancePointInput[]> {
    const s = ctx.connection.settings;
    // DCGM scrapes and adapters report the present only: asked in the chunk that reaches
    // now, not once per chunk of a history backfill.
    const present = ctx.window.end.getTime() >= ctx.now().getTime() - PRESENT_TOLERANCE_MS;
    const useAdapter =
      present && adapterActive(adapter, ctx.connection) && adapter?.performance !== undefined;
    const useDcgm = present || !s.prometheus;
    const sources = Number(Boolean(s.prometheus)) + Number(Boolean(s.dcgm) && useDcgm) + Number(useAdapter);
    if (sources === 0) {
      ctx.logger.info(
        'no performance source on this connection (no prometheus, dcgm or adapter utilisation)',
      );
      return;
    }
    const anyCtx = ctx as CollectContext<unknown>;
    if (s.dcgm && useDcgm) {
      yield* collectDcgmDirect(anyCtx, {
        provider: entry.id,
        settings: s.dcgm,
        region: s.region,
        soleSource: sources === 1,
      });
    }
    if (useAdapter && adapter?.performance) {
      try {
        const rows = await adapter.performance(context(ctx, adapter));
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

  /** A Prometheus-only provider's priced machines (settings.prices), or nothing. */
  const priced = (ctx: CollectContext<GenericSettings>) => {
    const s = ctx.connection.settings;
    if (!s.prices || !s.prometheus) {
      ctx.logger.info('no prices configured: no inventory or cost for this Prometheus-only connection');
      return null;
    }
    const machine = resolveQueries(catalog, entry, s).find((q) => q.resourceType === 'machine');
    return {
      provider: entry.id,
      displayName: entry.display_name,
      prometheus: s.prometheus,
      prices: s.prices,
      resourceId: [...s.prometheus.resource_id, ...(machine?.resourceId ?? [])],
      region: s.region,
    };
  };

  async function* resource(ctx: CollectContext<GenericSettings>): AsyncGenerator<ResourceSnapshotInput[]> {
    if (!adapter) {
      const o = priced(ctx);
      if (o) yield await pricedMachineSnapshots(ctx as CollectContext<unknown>, o);
      return;
    }
    if (!adapter?.resources || !adapterActive(adapter, ctx.connection)) {
      ctx.logger.info('Prometheus-only connection: no inventory (configure the API adapter for it)');
      return;
    }
    const rows = await adapter.resources(context(ctx, adapter));
    yield rows.map((r) => ({
      ...r,
      customer_id: ctx.customerId,
      provider: entry.id,
      task_id: r.task_id || ctx.taskId,
    }));
  }

  async function* cost(ctx: CollectContext<GenericSettings>): AsyncGenerator<CostRowInput[]> {
    if (!adapter) {
      const o = priced(ctx);
      if (o) yield await pricedMachineCosts(ctx as CollectContext<unknown>, o);
      return;
    }
    if (!adapter?.cost || !adapterActive(adapter, ctx.connection)) {
      ctx.logger.info('Prometheus-only connection: no billing (configure the API adapter for it)');
      return;
    }
    const rows = await adapter.cost(context(ctx, adapter));
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
      ...(adapter?.resources || !adapter ? { resource } : {}),
      ...(adapter?.cost || !adapter ? { cost } : {}),
    },
    windows: windowsOf(adapter),
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
          a.test(
            createTestAdapterContext({ connection, signal, logger }, connection.settings.api, a, {
              ...contextOptions,
              retry: TEST_RETRY,
            }),
          ),
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

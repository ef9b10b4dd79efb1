import { z } from 'zod';
import type { CollectContext, ProviderDefinition } from '../../collector/types';
import { HOUR_MS } from '../../time';
import { type AdapterContextOptions, createAdapterContext, createTestAdapterContext } from './context';
import type { AdapterSettings, ProviderAdapter } from './types';

/**
 * The collectors an adapter gives a ProviderDefinition: one per data type the adapter
 * implements, each building the adapter context from the run's context and the
 * connection's `api:` settings (`pick` finds them in the provider's settings).
 */
export function adapterCollectors<S>(
  adapter: ProviderAdapter,
  pick: (settings: S) => AdapterSettings | undefined,
  opts: AdapterContextOptions = {},
): ProviderDefinition<S>['collectors'] {
  const context = (ctx: CollectContext<S>) =>
    createAdapterContext(ctx as CollectContext<unknown>, pick(ctx.connection.settings), adapter, opts);
  const collectors: {
    -readonly [K in keyof ProviderDefinition<S>['collectors']]: ProviderDefinition<S>['collectors'][K];
  } = {};
  if (adapter.resources) {
    const resources = adapter.resources.bind(adapter);
    collectors.resource = async function* adapterResources(ctx) {
      yield await resources(context(ctx));
    };
  }
  if (adapter.cost) {
    const cost = adapter.cost.bind(adapter);
    collectors.cost = async function* adapterCost(ctx) {
      yield await cost(context(ctx));
    };
  }
  if (adapter.performance) {
    const performance = adapter.performance.bind(adapter);
    collectors.performance = async function* adapterPerformance(ctx) {
      yield await performance(context(ctx));
    };
  }
  return collectors;
}

/** Settings of a provider that is just an API adapter: `{ api: { … } }`. */
export interface AdapterProviderSettings {
  api: AdapterSettings;
}

/**
 * A ProviderDefinition made of an adapter alone (no Prometheus), settings under `api:`.
 * Window policies come from the adapter (default: the first cost run looks back an hour).
 *
 * @example
 * const registry = createRegistry([defineAdapterProvider(hetznerAdapter)]);
 */
export function defineAdapterProvider(
  adapter: ProviderAdapter,
  opts: AdapterContextOptions = {},
): ProviderDefinition<AdapterProviderSettings> {
  const api = (adapter.settingsSchema ??
    z.looseObject({ base_url: z.string().url().optional() })) as z.ZodType<AdapterSettings>;
  return {
    id: adapter.id,
    displayName: adapter.displayName,
    category: adapter.category,
    settingsSchema: z.object({ api: api.prefault({}) as unknown as z.ZodType<AdapterSettings> }),
    collectors: adapterCollectors<AdapterProviderSettings>(adapter, (s) => s.api, opts),
    windows: adapter.windows ?? { cost: { initialLookbackMs: HOUR_MS } },
    async testConnection(test) {
      await adapter.test(
        createTestAdapterContext(test as never, test.connection.settings.api, adapter, opts),
      );
    },
  };
}

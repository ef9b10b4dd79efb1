import { z } from 'zod';
import type { AdapterSettings, ProviderAdapter } from '../adapters/types';
import { DcgmSettingsSchema, httpUrlSchema, PrometheusSettingsSchema } from '../prometheus/config';
import { type MachinePrices, MachinePricesSchema } from '../prometheus/prices';
import { droppedLabels, type QuerySpecInput, type ResolvedQuery, templateLabels } from '../prometheus/query';
import type { Catalog, CatalogEntry } from './catalog';

/** `api:` of an adapter that declares no settings schema: its base URL, anything else passed through. */
const ApiSettingsSchema = z.looseObject({
  base_url: httpUrlSchema("the provider's API (overrides the default)").optional(),
});

/**
 * A connection to a catalog provider:
 *
 * ```yaml
 * settings:
 *   prometheus: { url: https://prom.example.com, auth: { type: bearer, token_secret: prom_token }, step: 60s }
 *   dcgm: { urls: [http://gpu-1:9400/metrics] }
 *   api: { base_url: https://…, … }   # the adapter's settings (its settingsSchema); only for providers with one
 *   region: eu-west
 * secrets: { prom_token: env:ACME_PROM_TOKEN, api_key: env:ACME_RUNPOD_KEY }
 * ```
 */
export interface GenericSettings {
  prometheus?: z.output<typeof PrometheusSettingsSchema> | undefined;
  dcgm?: z.output<typeof DcgmSettingsSchema> | undefined;
  api?: AdapterSettings | undefined;
  region: string;
  /** Days of history a first performance collection reads (capped by what the source holds). */
  history_days: number;
  /** Hourly prices of self-hosted machines (providers without an API adapter). */
  prices?: MachinePrices | undefined;
}

/** `history_days`: what a new connection's first collection backfills (the recommendations' lookback). */
export const HistoryDaysSchema = z.number().int().min(0).max(400).default(14);

/**
 * The settings schema of one catalog provider: query set and query names checked against
 * the catalog, and `api:` checked (and defaults filled) by the adapter's own schema, so a
 * bad adapter setting is reported with its path (`api.project_id`) at start-up.
 */
export function buildSettingsSchema(
  catalog: Catalog,
  entry: CatalogEntry,
  adapter: Pick<ProviderAdapter, 'id' | 'settingsSchema'> | undefined,
): z.ZodType<GenericSettings> {
  return z
    .strictObject({
      prometheus: PrometheusSettingsSchema.optional(),
      dcgm: DcgmSettingsSchema.optional(),
      api: (adapter?.settingsSchema ?? ApiSettingsSchema).optional(),
      region: z.string().max(64).default(''),
      history_days: HistoryDaysSchema,
      prices: MachinePricesSchema.optional(),
    })
    .superRefine((s, ctx) => {
      if (!s.prometheus && !s.dcgm && !s.api) {
        ctx.addIssue({
          code: 'custom',
          path: ['prometheus'],
          message: `set prometheus.url (and/or dcgm.url${adapter ? ', api' : ''}): a connection to ${entry.display_name} needs at least one source`,
        });
      }
      if (s.prices && adapter) {
        ctx.addIssue({
          code: 'custom',
          path: ['prices'],
          message: `${entry.display_name} machines are priced by its API adapter; set prices under api: instead`,
        });
      }
      if (s.prices && !s.prometheus) {
        ctx.addIssue({
          code: 'custom',
          path: ['prices'],
          message: 'prices need prometheus.url: machines and their running time come from its up series',
        });
      }
      if (s.api && !adapter) {
        ctx.addIssue({
          code: 'custom',
          path: ['api'],
          message: `${entry.display_name} has no API adapter in this build; remove api: (the connection then runs Prometheus-only)`,
        });
      }
      if (!s.prometheus) return;
      const sets = s.prometheus.query_sets ?? entry.query_sets;
      (s.prometheus.query_sets ?? []).forEach((name, i) => {
        if (!(name in catalog.query_sets)) {
          ctx.addIssue({
            code: 'custom',
            path: ['prometheus', 'query_sets', i],
            message: `unknown query set "${name}" (providers.yaml defines: ${Object.keys(catalog.query_sets).join(', ')})`,
          });
        }
      });
      const known = new Set(sets.flatMap((n) => catalog.query_sets[n]?.queries.map((q) => q.id) ?? []));
      s.prometheus.exclude.forEach((id, i) => {
        if (!known.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['prometheus', 'exclude', i],
            message: `no default query "${id}" to exclude (defaults: ${[...known].join(', ') || 'none'})`,
          });
        }
      });
      const added = new Set<string>();
      s.prometheus.queries.forEach((q, i) => {
        if (added.has(q.id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['prometheus', 'queries', i, 'id'],
            message: `duplicate query id "${q.id}"`,
          });
        }
        added.add(q.id);
      });
      // One identity per machine: every query must keep the labels prometheus.resource_id reads.
      const identity = [...new Set(s.prometheus.resource_id.flatMap(templateLabels))];
      if (identity.length === 0) return;
      for (const q of resolveQueries(catalog, entry, s as GenericSettings)) {
        const dropped = droppedLabels(q.query, identity);
        if (dropped.length === 0) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['prometheus', 'resource_id'],
          message: `query "${q.id}" aggregates away ${dropped.map((l) => `"${l}"`).join(', ')}: its points could not be named by ${JSON.stringify(s.prometheus.resource_id)} and the machine would split in two; replace or exclude the query`,
        });
      }
    }) as z.ZodType<GenericSettings>;
}

const ADDED_QUERY_DEFAULTS = { resourceType: 'machine', resourceId: ['{instance|host}'] } as const;

/**
 * The queries a connection runs: its query sets (or the provider's defaults), minus
 * `exclude`, with `queries` replacing a default of the same id (fields it leaves out are
 * inherited) or added (resource named by `{instance|host}` unless it says otherwise).
 */
export function resolveQueries(
  catalog: Catalog,
  entry: CatalogEntry,
  settings: GenericSettings,
): ResolvedQuery[] {
  const prom = settings.prometheus;
  if (!prom) return [];
  const out = new Map<string, ResolvedQuery>();
  for (const name of prom.query_sets ?? entry.query_sets) {
    const set = catalog.query_sets[name];
    if (!set) continue;
    for (const q of set.queries) {
      out.set(
        q.id,
        resolve(q, {
          resourceType: set.resource_type,
          resourceId: set.resource_id,
          resourceName: set.resource_name,
        }),
      );
    }
  }
  for (const id of prom.exclude) out.delete(id);
  for (const q of prom.queries) {
    const base = out.get(q.id);
    out.set(
      q.id,
      resolve(
        q,
        base ?? {
          resourceType: ADDED_QUERY_DEFAULTS.resourceType,
          resourceId: ADDED_QUERY_DEFAULTS.resourceId,
        },
      ),
    );
  }
  return [...out.values()];
}

function resolve(
  q: QuerySpecInput,
  base: {
    resourceType: string;
    resourceId: readonly string[];
    resourceName?: readonly string[] | undefined;
    dimension?: readonly string[];
    sourceMetric?: string;
  },
): ResolvedQuery {
  const resourceId = q.resource_id ?? base.resourceId;
  return {
    id: q.id,
    metric: q.metric,
    unit: q.unit,
    query: q.query,
    resourceType: q.resource_type ?? base.resourceType,
    resourceId,
    resourceName: q.resource_name ?? base.resourceName ?? resourceId,
    dimension: q.dimension ?? base.dimension ?? [],
    sourceMetric: q.source_metric ?? base.sourceMetric ?? q.id,
  };
}

/** Where settings name a secret (`prometheus.auth.token_secret: prom_token`), for checks against `secrets:`. */
export function secretReferences(settings: GenericSettings): { path: string; name: string }[] {
  const refs: { path: string; name: string }[] = [];
  for (const [part, block] of [
    ['prometheus', settings.prometheus],
    ['dcgm', settings.dcgm],
  ] as const) {
    const auth = block?.auth;
    if (auth?.type === 'bearer') refs.push({ path: `${part}.auth.token_secret`, name: auth.token_secret });
    if (auth?.type === 'basic')
      refs.push({ path: `${part}.auth.password_secret`, name: auth.password_secret });
  }
  return refs;
}

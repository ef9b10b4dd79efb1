import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../errors';
import { httpUrlSchema, SecretNameSchema } from '../prometheus/config';
import {
  droppedLabels,
  LabelTemplateSchema,
  QuerySpecInputSchema,
  templateLabels,
} from '../prometheus/query';

/**
 * Provider ids that have a module of their own (lib/providers/<id>/). The catalog is for
 * providers collected through Prometheus, DCGM and API adapters; listing one of these
 * there would register the id twice.
 */
export const DEDICATED_PROVIDER_IDS = ['aws', 'gcp', 'azure', 'vultr', 'local'] as const;

export const CATEGORIES = [
  'hyperscaler',
  'gpu_cloud',
  'general_compute',
  'self_hosted',
  'observability',
] as const;

/** How a provider's own API authenticates (documentation for operators; adapters implement it). */
export const AUTH_STYLES = [
  'none',
  'bearer_token',
  'basic',
  'api_key_header',
  'oauth2_client_credentials',
  'request_signature',
  'kubernetes_token',
  'docker_engine',
] as const;

const QUERY_SET_NAME = /^[a-z0-9_]{1,64}$/;

const QuerySetSchema = z.strictObject({
  description: z.string().max(500).optional(),
  /** resource_type of every point unless a query says otherwise. */
  resource_type: z
    .string()
    .regex(/^[a-z0-9_]{1,32}$/, 'must be lower-case letters, digits or _')
    .default('machine'),
  /** Label templates naming the resource, tried in order (e.g. ["{Hostname}", "{instance|host}"]). */
  resource_id: z.array(LabelTemplateSchema).min(1, 'needs at least one label template'),
  resource_name: z.array(LabelTemplateSchema).min(1).optional(),
  queries: z.array(QuerySpecInputSchema).min(1, 'a query set needs at least one query'),
});
export type QuerySet = z.output<typeof QuerySetSchema>;

const url = httpUrlSchema('the provider (e.g. https://api.example.com/v1)');

const EntrySchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/, 'must be lower-case letters, digits, _ or - (at most 32), e.g. runpod'),
  display_name: z.string().min(1).max(64),
  category: z.enum(CATEGORIES),
  auth: z
    .strictObject({
      style: z.enum(AUTH_STYLES),
      /** Secret names a connection supplies for the provider's API (e.g. [api_key]). */
      secrets: z.array(SecretNameSchema).default([]),
    })
    .default({ style: 'none', secrets: [] }),
  endpoints: z
    .strictObject({
      /** The provider API's base URL, for operators; the adapter calls its own default or the connection's api.base_url. */
      api: url.optional(),
      docs: url.optional(),
      console: url.optional(),
      status: url.optional(),
    })
    .default({}),
  /** Query sets run against the connection's Prometheus unless it names its own. */
  query_sets: z.array(z.string().regex(QUERY_SET_NAME, 'must be a query set name')).default([]),
  /** The API adapter's id when it differs from the provider's. */
  adapter: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/)
    .optional(),
  description: z.string().max(500).optional(),
});
export type CatalogEntry = z.output<typeof EntrySchema>;

export const CatalogSchema = z
  .strictObject({
    version: z.literal(1, 'must be 1'),
    query_sets: z.record(
      z.string().regex(QUERY_SET_NAME, 'query set names are lower-case letters, digits or _'),
      QuerySetSchema,
    ),
    providers: z.array(EntrySchema).min(1, 'list at least one provider'),
  })
  .superRefine((cat, ctx) => {
    const ids = new Map<string, number>();
    cat.providers.forEach((p, i) => {
      if (ids.has(p.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['providers', i, 'id'],
          message: `duplicate id "${p.id}" (also providers[${ids.get(p.id)}])`,
        });
      }
      ids.set(p.id, i);
      if (p.id === 'all') {
        ctx.addIssue({
          code: 'custom',
          path: ['providers', i, 'id'],
          message: '"all" is reserved: APIs use it for every provider',
        });
      }
      if ((DEDICATED_PROVIDER_IDS as readonly string[]).includes(p.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['providers', i, 'id'],
          message: `"${p.id}" has a module of its own (lib/providers/${p.id}); the catalog lists providers collected through Prometheus and API adapters`,
        });
      }
      p.query_sets.forEach((name, j) => {
        if (!(name in cat.query_sets)) {
          ctx.addIssue({
            code: 'custom',
            path: ['providers', i, 'query_sets', j],
            message: `unknown query set "${name}" (defined: ${Object.keys(cat.query_sets).join(', ') || 'none'})`,
          });
        }
      });
    });
    const queryIds = new Map<string, string>();
    for (const [setName, set] of Object.entries(cat.query_sets)) {
      set.queries.forEach((q, j) => {
        // One identity per machine: an aggregation must keep every label the resource id reads.
        const identity = [...new Set((q.resource_id ?? set.resource_id).flatMap(templateLabels))];
        const dropped = droppedLabels(q.query, identity);
        if (dropped.length > 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['query_sets', setName, 'queries', j, 'query'],
            message: `query "${q.id}" aggregates away ${dropped.map((l) => `"${l}"`).join(', ')}, which resource_id ${JSON.stringify(q.resource_id ?? set.resource_id)} needs: its points would name the machine differently from the set's other queries; keep the labels (e.g. "avg without (cpu, mode)" instead of "by (instance)")`,
          });
        }
        const other = queryIds.get(q.id);
        if (other) {
          ctx.addIssue({
            code: 'custom',
            path: ['query_sets', setName, 'queries', j, 'id'],
            message: `duplicate query id "${q.id}" (also in query set ${other}); ids are unique across sets so that connections can name them`,
          });
        }
        queryIds.set(q.id, setName);
      });
    }
  });
export type Catalog = z.output<typeof CatalogSchema>;

/** `providers[3].query_sets[0]` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>(
      (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
      '',
    ) || '(root)'
  );
}

export function describeZodIssues(
  file: string,
  error: z.ZodError,
  prefix: readonly PropertyKey[] = [],
): string {
  const shown = error.issues
    .slice(0, 5)
    .map((i) => `${file}: ${formatPath([...prefix, ...i.path])}: ${i.message}`);
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : '';
  return `${shown.join('; ')}${more}`;
}

/**
 * Validates catalog text (YAML). Errors name the file, the path inside it and the problem,
 * e.g. `providers.yaml: providers[2].category: Invalid option: expected one of "hyperscaler"|…`.
 */
export function parseCatalog(text: string, file: string): Catalog {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const parsed = CatalogSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(describeZodIssues(file, parsed.error));
  return parsed.data;
}

export function loadCatalog(path: string): Catalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the provider catalog: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseCatalog(text, path);
}

/**
 * Where providers.yaml is: the working directory (the repository root locally, the
 * function root on Lambda, where the deploy copies it), else the repository root as seen
 * from this file.
 */
export function defaultCatalogPath(): string {
  const candidates = [resolve(process.cwd(), 'providers.yaml')];
  try {
    candidates.push(fileURLToPath(new URL('../../../providers.yaml', import.meta.url)));
  } catch {
    // bundled without import.meta.url
  }
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}

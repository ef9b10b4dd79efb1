import { z } from 'zod';
import { durationMs } from './duration';
import { LabelTemplateSchema, QuerySpecInputSchema } from './query';

/** The name of one of the connection's `secrets` (never the secret itself). */
export const SecretNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must name one of the connection\'s secrets, e.g. "prometheus_token"');

/**
 * How to authenticate to Prometheus (or to the proxy in front of it). Credentials are
 * named secrets of the connection (`secrets: { prometheus_token: env:VAR }`), so settings
 * can be logged and stored while the values stay in the environment.
 */
export const HttpAuthSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({
    type: z.literal('basic'),
    username: z.string().min(1, 'username is required for basic auth'),
    password_secret: SecretNameSchema,
  }),
  z.strictObject({ type: z.literal('bearer'), token_secret: SecretNameSchema }),
]);
export type HttpAuth = z.infer<typeof HttpAuthSchema>;

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const FORBIDDEN_HEADERS = new Set(['authorization', 'host', 'content-length', 'content-type', 'cookie']);

/** Extra non-secret request headers, e.g. `X-Scope-OrgID` for a Mimir/Cortex/Thanos tenant. */
export const ExtraHeadersSchema = z.record(z.string(), z.string().max(1024)).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers)) {
    if (!HEADER_NAME.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'is not a valid header name' });
    } else if (FORBIDDEN_HEADERS.has(name.toLowerCase())) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'may not be set here (use auth: with a secret for credentials)',
      });
    }
  }
});

/**
 * An http(s) URL with a host and no credentials in it: the part of the rule a JSON Schema
 * can carry (`pattern`), so the provider catalog's forms check what this schema checks.
 */
const HTTP_URL_PATTERN = /^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^/?#@\s]+([/?#]\S*)?$/;

/** An absolute http(s) URL without credentials in it (those belong in `auth:` with a secret). */
export const httpUrlSchema = (what: string) =>
  z
    .string()
    .regex(HTTP_URL_PATTERN, {
      error: (iss) =>
        typeof iss.input === 'string' && /^https?:\/\/[^/?#]*@/i.test(iss.input)
          ? 'must not carry credentials; use auth: with a secret instead'
          : `must be an http(s) URL of ${what}, got "${String(iss.input)}"`,
    })
    .superRefine((v, ctx) => {
      if (!HTTP_URL_PATTERN.test(v)) return; // reported by the pattern
      let u: URL | undefined;
      try {
        u = new URL(v);
      } catch {
        // reported below
      }
      if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
        ctx.addIssue({ code: 'custom', message: `must be an http(s) URL of ${what}, got "${v}"` });
      } else if (u.username || u.password) {
        ctx.addIssue({
          code: 'custom',
          message: 'must not carry credentials; use auth: with a secret instead',
        });
      }
    });

/** PromQL label matchers (`job="gpu-nodes",env=~"prod|staging"`), without braces. */
const LABEL_MATCHERS =
  /^\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*(,\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*)*,?\s*$/;

export const PrometheusSettingsSchema = z.strictObject({
  /** Base URL of the Prometheus HTTP API (the part before /api/v1), e.g. https://prom.example.com or …/prometheus. */
  url: httpUrlSchema('the Prometheus server (before /api/v1)'),
  auth: HttpAuthSchema.default({ type: 'none' }),
  headers: ExtraHeadersSchema.default({}),
  /** Resolution of range queries. */
  step: durationMs({ min: 1000, max: 3_600_000 }).default(60_000),
  /** Per request; also sent to Prometheus as its evaluation timeout. */
  timeout: durationMs({ min: 1000, max: 300_000 }).default(30_000),
  /** How often targets are scraped; sizes $__rate_interval like Grafana does. */
  scrape_interval: durationMs({ min: 1000, max: 3_600_000 }).default(15_000),
  /** Label matchers added to every query through `$__selector` (e.g. `job="runpod"`). */
  selector: z
    .string()
    .max(2048)
    .refine(
      (v) => v.trim() === '' || LABEL_MATCHERS.test(v),
      'must be PromQL label matchers such as job="gpu-nodes",env="prod" (no braces)',
    )
    .default(''),
  /** Query sets to run instead of the provider's defaults from providers.yaml. */
  query_sets: z.array(z.string().min(1)).optional(),
  /** Extra queries; one with the id of a default query replaces it. */
  queries: z.array(QuerySpecInputSchema).default([]),
  /** Ids of default queries not to run. */
  exclude: z.array(z.string().min(1)).default([]),
  /** Label templates tried before each query's own to name the resource (e.g. `{resource_id}`). */
  resource_id: z.array(LabelTemplateSchema).default([]),
  /** Split long windows so that no request asks for more points per series than this. */
  max_points_per_query: z.number().int().min(10).max(11_000).default(1_000),
  /** Queries in flight at once against this Prometheus. */
  query_concurrency: z.number().int().min(1).max(16).default(4),
});
export type PrometheusSettings = z.output<typeof PrometheusSettingsSchema>;

export const DcgmSettingsSchema = z
  .strictObject({
    /** One dcgm-exporter endpoint (http://gpu-node:9400/metrics) … */
    url: httpUrlSchema('a dcgm-exporter /metrics endpoint').optional(),
    /** … or several (one per GPU node). */
    urls: z.array(httpUrlSchema('a dcgm-exporter /metrics endpoint')).max(500).optional(),
    auth: HttpAuthSchema.default({ type: 'none' }),
    timeout: durationMs({ min: 500, max: 120_000 }).default(10_000),
  })
  .superRefine((v, ctx) => {
    if (!v.url && !(v.urls && v.urls.length > 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'set url (or urls) to the dcgm-exporter /metrics endpoint(s)',
      });
    }
  })
  .transform((v) => ({
    urls: [...new Set([...(v.url ? [v.url] : []), ...(v.urls ?? [])])],
    auth: v.auth,
    timeout: v.timeout,
  }));
export type DcgmSettings = z.output<typeof DcgmSettingsSchema>;

import { z } from 'zod';
import { formatDuration } from './duration';

/** Metric names as performance_points accepts them (lib/schemas/rows.ts). */
export const MetricNameSchema = z
  .string()
  .regex(
    /^[a-z0-9_.]{1,64}$/,
    'must be a metric name of lower-case letters, digits, _ or . (e.g. gpu_utilization)',
  );

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([a-z]+))?\}/g;
const FILTERS = { host: stripPort } as const;

/**
 * A label template: literal text with `{label}` placeholders, optionally filtered
 * (`{instance|host}` drops the `:port`). It applies to a series only if every label it
 * names is present and non-empty, so a list of templates is a fallback chain.
 */
export const LabelTemplateSchema = z
  .string()
  .min(1)
  .max(256)
  .superRefine((v, ctx) => {
    for (const m of v.matchAll(PLACEHOLDER)) {
      if (m[2] !== undefined && !(m[2] in FILTERS)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown filter "|${m[2]}" in "${v}" (known: ${Object.keys(FILTERS).join(', ')})`,
        });
      }
    }
    const rest = v.replace(PLACEHOLDER, '');
    if (/[{}]/.test(rest)) {
      ctx.addIssue({ code: 'custom', message: `"${v}" has an unbalanced or malformed {label} placeholder` });
    }
  });

/** Fills a label template from a series' labels; undefined when a label it needs is missing. */
export function applyTemplate(
  template: string,
  labels: Readonly<Record<string, string>>,
): string | undefined {
  let missing = false;
  const out = template.replace(PLACEHOLDER, (_all, name: string, filter?: string) => {
    const v = labels[name];
    if (v === undefined || v === '') {
      missing = true;
      return '';
    }
    return filter ? FILTERS[filter as keyof typeof FILTERS](v) : v;
  });
  return missing || out === '' ? undefined : out;
}

/** The first template of the chain that applies. */
export function firstTemplate(
  templates: readonly string[],
  labels: Readonly<Record<string, string>>,
): string | undefined {
  for (const t of templates) {
    const v = applyTemplate(t, labels);
    if (v !== undefined) return v;
  }
  return undefined;
}

function stripPort(v: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(v);
  if (bracketed) return bracketed[1] as string;
  const m = /^([^:]+):\d+$/.exec(v);
  return m ? (m[1] as string) : v;
}

const KNOWN_VARIABLES = ['$__selector', '$__interval', '$__rate_interval'];

/**
 * One PromQL query turned into one metric of the shared vocabulary. Each series of the
 * answer becomes points of `metric`; labels name the resource and the dimension.
 */
export const QuerySpecInputSchema = z.strictObject({
  /** Unique within the catalog; a connection's query with the same id replaces it. */
  id: z.string().regex(/^[a-z0-9_.-]{1,64}$/, 'must be lower-case letters, digits, _, . or - (at most 64)'),
  metric: MetricNameSchema,
  unit: z.string().regex(/^[a-z_]{1,32}$/, 'must be a unit such as percent, bytes, bytes_per_second, watts'),
  /**
   * PromQL. Variables: `$__selector` (the connection's label matchers, removed with its
   * comma when empty), `$__interval` (the step), `$__rate_interval` (max(step + scrape
   * interval, 4 × scrape interval), as Grafana computes it).
   */
  query: z
    .string()
    .min(1)
    .max(8192)
    .superRefine((v, ctx) => {
      for (const m of v.matchAll(/\$__[A-Za-z_]+/g)) {
        if (!KNOWN_VARIABLES.includes(m[0])) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown variable ${m[0]} (known: ${KNOWN_VARIABLES.join(', ')})`,
          });
        }
      }
    }),
  resource_type: z
    .string()
    .regex(/^[a-z0-9_]{1,32}$/)
    .optional(),
  /** Fallback chain naming the resource; the query set's when absent. */
  resource_id: z.array(LabelTemplateSchema).min(1).optional(),
  resource_name: z.array(LabelTemplateSchema).min(1).optional(),
  /** The sub-series inside the resource (a GPU's UUID, a disk's device): a template or a fallback chain. */
  dimension: z
    .union([LabelTemplateSchema, z.array(LabelTemplateSchema).min(1)])
    .transform((v) => (typeof v === 'string' ? [v] : v))
    .optional(),
  /** What the value comes from, stored with each point; the query id when absent. */
  source_metric: z.string().min(1).max(128).optional(),
});
export type QuerySpecInput = z.output<typeof QuerySpecInputSchema>;

/** A query with every default filled in, ready to run for one connection. */
export interface ResolvedQuery {
  id: string;
  metric: string;
  unit: string;
  query: string;
  resourceType: string;
  resourceId: readonly string[];
  resourceName: readonly string[];
  /** Empty: the series has no sub-series. */
  dimension: readonly string[];
  sourceMetric: string;
}

export interface QueryVariables {
  selector: string;
  stepMs: number;
  scrapeIntervalMs: number;
}

/** Grafana's $__rate_interval: long enough for rate() to always see two samples. */
export function rateIntervalMs(stepMs: number, scrapeIntervalMs: number): number {
  return Math.max(stepMs + scrapeIntervalMs, 4 * scrapeIntervalMs);
}

/** Substitutes the variables into a query's PromQL. */
export function expandQuery(query: string, vars: QueryVariables): string {
  const selector = vars.selector.trim().replace(/,\s*$/, '');
  let out = query;
  if (selector === '') {
    out = out
      .replace(/\{\s*\$__selector\s*\}/g, '')
      .replace(/,\s*\$__selector\b/g, '')
      .replace(/\$__selector\s*,\s*/g, '')
      .replace(/\$__selector\b/g, '');
  } else {
    out = out.replace(/\$__selector\b/g, selector);
  }
  return out
    .replace(/\$__rate_interval\b/g, formatDuration(rateIntervalMs(vars.stepMs, vars.scrapeIntervalMs)))
    .replace(/\$__interval\b/g, formatDuration(vars.stepMs));
}

/** The label names a template reads (`{instance|host}` → instance). */
export function templateLabels(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/**
 * Labels of `labels` that an aggregation in `query` drops: not listed in one of its
 * `by (…)` clauses, or listed in one of its `without (…)` clauses. The points of such a
 * query cannot carry the resource's identity, so one machine would split in two.
 *
 * @example
 * droppedLabels('avg by (instance) (rate(x[5m]))', ['node_uid']) // → ['node_uid']
 */
export function droppedLabels(query: string, labels: readonly string[]): string[] {
  const dropped = new Set<string>();
  for (const m of query.matchAll(/\b(by|without)\s*\(([^)]*)\)/g)) {
    const listed = new Set(
      (m[2] as string)
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    for (const l of labels) if ((m[1] === 'by') !== listed.has(l)) dropped.add(l);
  }
  return [...dropped];
}

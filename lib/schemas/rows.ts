import { z } from 'zod';
import { CUSTOMER_ID_PATTERN } from '../config/schema';
import { toClickHouseTime } from '../time';

/**
 * Row schemas, one per table. Producers (providers, repositories) hand in rows with
 * snake_case column names; the schema checks them and returns exactly the row ClickHouse
 * receives: times as UTC text, money and quantities as exact decimal strings, defaults
 * filled. A row that fails is reported with the reason and its batch is not written.
 */

const customerId = z.string().regex(CUSTOMER_ID_PATTERN, 'customer id must match ^[A-Za-z0-9_-]{1,64}$');
const provider = z
  .string()
  .regex(/^[a-z0-9_-]{1,32}$/, 'provider id must be lower-case letters, digits, _ or -');
const text = z.string().max(16_384).default('');

const CH_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?$/;

/**
 * A time as Date, ISO 8601 string, ClickHouse 'YYYY-MM-DD hh:mm:ss[.mmm]' text (UTC) or
 * epoch ms; out: ClickHouse DateTime64(3) text. One transform instead of a union: this
 * runs for every row the writer sees, and canonical text (what providers mostly produce
 * via toClickHouseTime) is checked without a Date round-trip.
 */
export const time = z.custom<Date | string | number>().transform((v, ctx) => {
  if (typeof v === 'string') {
    const m = CH_TIME.exec(v);
    if (m) {
      const [, y, mo, d, h, mi, se] = m;
      const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
      const back = new Date(ms);
      if (
        back.getUTCDate() === Number(d) &&
        back.getUTCMonth() === Number(mo) - 1 &&
        Number(h) < 24 &&
        Number(mi) < 60 &&
        Number(se) < 60
      ) {
        return v;
      }
      ctx.addIssue({ code: 'custom', message: `not a valid time: ${v}` });
      return z.NEVER;
    }
  }
  const d =
    v instanceof Date
      ? v
      : typeof v === 'string' || typeof v === 'number'
        ? new Date(v)
        : new Date(Number.NaN);
  if (Number.isNaN(d.getTime()) || (typeof v === 'string' && v.trim() === '')) {
    ctx.addIssue({ code: 'custom', message: `not a valid time: ${String(v)}` });
    return z.NEVER;
  }
  return toClickHouseTime(d);
});

const DECIMAL_TEXT = /^-?\d{1,28}(\.\d{1,10})?$/;
/** Money or quantity, exact: a decimal string (preferred) or a finite number. */
export const decimal = z.custom<string | number>().transform((v, ctx) => {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) {
      ctx.addIssue({ code: 'custom', message: `not a finite number: ${v}` });
      return z.NEVER;
    }
    // Numbers go through their shortest round-trip text, never float arithmetic.
    v = expandExponent(String(v));
  }
  if (typeof v !== 'string' || !DECIMAL_TEXT.test(v.trim())) {
    ctx.addIssue({
      code: 'custom',
      message: `not a decimal with at most 10 fraction digits: "${String(v)}"`,
    });
    return z.NEVER;
  }
  return v.trim();
});

function expandExponent(s: string): string {
  if (!/e/i.test(s)) return s;
  const n = Number(s);
  return n.toFixed(10).replace(/\.?0+$/, '');
}

const tags = z.record(z.string(), z.string()).default({});
const version = z.number().int().nonnegative().optional();
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const CostRowSchema = z.object({
  x_customer_id: customerId,
  x_provider: provider,
  x_connection_id: text,
  billing_account_id: text,
  billing_account_name: text,
  sub_account_id: text,
  sub_account_name: text,
  provider_name: text,
  invoice_issuer_name: text,
  service_name: text,
  service_category: text,
  charge_category: z.enum(['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment']),
  charge_class: z.enum(['', 'Correction']).default(''),
  charge_description: text,
  charge_frequency: text,
  resource_id: text,
  resource_name: text,
  resource_type: text,
  region_id: text,
  region_name: text,
  availability_zone: text,
  sku_id: text,
  sku_price_id: text,
  pricing_category: text,
  pricing_quantity: decimal.default('0'),
  pricing_unit: text,
  consumed_quantity: decimal.default('0'),
  consumed_unit: text,
  billed_cost: decimal,
  effective_cost: decimal,
  list_cost: decimal.default('0'),
  contracted_cost: decimal.default('0'),
  /** Effective cost net of negotiated discounts (AWS NetAmortizedCost); null where not reported. */
  x_net_effective_cost: decimal.nullable().default(null),
  billing_currency: z.string().regex(/^[A-Z]{3}$/, 'billing_currency must be an ISO 4217 code'),
  charge_period_start: time,
  charge_period_end: time,
  billing_period_start: time,
  billing_period_end: time,
  tags,
  x_line_key: text,
  x_task_id: text,
  x_collected_at: time,
  x_version: version,
  x_is_deleted: z.union([z.literal(0), z.literal(1)]).default(0),
});
export type CostRowInput = z.input<typeof CostRowSchema>;
export type CostRow = z.output<typeof CostRowSchema>;

export const PerformancePointSchema = z.object({
  customer_id: customerId,
  provider,
  resource_id: z.string().min(1, 'resource_id is required'),
  resource_name: text,
  resource_type: text,
  region: text,
  metric: z.string().regex(/^[a-z0-9_.]{1,64}$/, 'metric must be lower-case letters, digits, _ or .'),
  dimension: text,
  unit: z.string().min(1, 'unit is required'),
  value: finite,
  ts: time,
  source_metric: text,
  labels: tags,
  task_id: text,
  collected_at: time,
  version,
});
export type PerformancePointInput = z.input<typeof PerformancePointSchema>;

export const ResourceSnapshotSchema = z.object({
  customer_id: customerId,
  provider,
  snapshot_at: time,
  resource_id: z.string().min(1, 'resource_id is required'),
  resource_type: z.string().min(1, 'resource_type is required'),
  name: text,
  status: text,
  region: text,
  zone: text,
  sku: text,
  vcpus: finite.nullable().default(null),
  memory_gib: finite.nullable().default(null),
  gpu_count: z.number().int().nonnegative().default(0),
  gpu_model: text,
  tags,
  created_at: time.nullable().default(null),
  hourly_price: decimal.nullable().default(null),
  price_currency: text,
  attributes: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .default('{}')
    .transform((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
  complete: z.union([z.literal(0), z.literal(1)]).default(1),
  task_id: text,
  version,
});
export type ResourceSnapshotInput = z.input<typeof ResourceSnapshotSchema>;

/** The header row of one inventory snapshot (resource_snapshot_runs, migration 0200): also for snapshots that found nothing. */
export const ResourceSnapshotRunSchema = z.object({
  customer_id: customerId,
  provider,
  snapshot_at: time,
  complete: z.union([z.literal(0), z.literal(1)]),
  resources: z.number().int().nonnegative(),
  created: z.number().int().nonnegative(),
  modified: z.number().int().nonnegative(),
  deleted: z.number().int().nonnegative(),
  error: z.string().max(4096).default(''),
  task_id: text,
  recorded_at: time,
  version,
});

export const ResourceChangeSchema = z.object({
  customer_id: customerId,
  provider,
  resource_id: z.string().min(1),
  resource_type: text,
  name: text,
  change_type: z.enum(['created', 'deleted', 'modified']),
  // Named-tuple elements go to ClickHouse as JSON objects: JSONEachRow reads a named
  // Tuple from an object (input_format_json_named_tuples_as_objects, on by default) and
  // rejects the array form.
  changes: z.array(z.object({ field: z.string(), old_value: z.string(), new_value: z.string() })).default([]),
  previous_snapshot_at: time.nullable().default(null),
  snapshot_at: time,
  detected_at: time,
  task_id: text,
  version,
});
export type ResourceChangeInput = z.input<typeof ResourceChangeSchema>;

const score = z.number().min(0).max(1).nullable().default(null);
export const ApplicationEvaluationSchema = z.object({
  customer_id: customerId,
  application: z.string().min(1).max(128),
  provider: text,
  model: text,
  request_id: z.string().min(1).max(256),
  sample_ts: time,
  status: z.enum(['evaluated', 'unevaluated']),
  coherence: score,
  relevance: score,
  accuracy: score,
  hallucination: z
    .union([z.literal(0), z.literal(1)])
    .nullable()
    .default(null),
  hallucination_score: score,
  unsupported_claims: z.array(z.string()).default([]),
  toxic: z
    .union([z.literal(0), z.literal(1)])
    .nullable()
    .default(null),
  toxicity_score: score,
  toxicity_categories: z.array(z.string()).default([]),
  reasons: tags,
  error: text,
  judge_model: text,
  prompt_version: text,
  latency_ms: finite.nullable().default(null),
  prompt_tokens: z.number().int().nonnegative().nullable().default(null),
  completion_tokens: z.number().int().nonnegative().nullable().default(null),
  evaluated_at: time,
  task_id: text,
  attempts: z.number().int().nonnegative().max(65_535).default(0),
  version,
});
export type ApplicationEvaluationInput = z.input<typeof ApplicationEvaluationSchema>;

const longText = (max: number) => z.string().max(max, `must be at most ${max} characters`).default('');
const tokens = z.number().int().nonnegative().max(4_294_967_295).nullable().default(null);

/** One LLM interaction of a customer's application (ingested or probed); see migration 0400. */
export const ApplicationSampleSchema = z.object({
  customer_id: customerId,
  application: z.string().min(1).max(128),
  provider,
  model: z.string().max(256).default(''),
  request_id: z.string().min(1).max(256),
  source: z.enum(['ingest', 'probe']),
  sample_ts: time,
  prompt: longText(65_536),
  response: longText(65_536),
  context: longText(131_072),
  reference: longText(65_536),
  latency_ms: finite.nullable().default(null),
  prompt_tokens: tokens,
  completion_tokens: tokens,
  sampling_bucket: z.number().int().min(0).max(999_999),
  received_at: time,
  task_id: text,
  version,
});
export type ApplicationSampleInput = z.input<typeof ApplicationSampleSchema>;

const count = z.number().int().nonnegative();
const ratio = z.number().min(0).max(1).nullable().default(null);
/** One run of the judge over the labeled calibration set; see migration 0402. */
export const JudgeCalibrationSchema = z.object({
  run_id: z.string().min(1).max(64),
  judge_model: z.string().min(1),
  prompt_version: z.string().min(1),
  dataset_version: z.string().min(1),
  trigger: z.enum(['manual', 'scheduled']),
  status: z.enum(['complete', 'partial', 'failed']),
  started_at: time,
  finished_at: time,
  items: count,
  evaluated: count,
  unevaluated: count,
  tokens: count,
  hallucination_tp: count,
  hallucination_fp: count,
  hallucination_fn: count,
  hallucination_tn: count,
  hallucination_precision: ratio,
  hallucination_recall: ratio,
  hallucination_f1: ratio,
  toxicity_tp: count,
  toxicity_fp: count,
  toxicity_fn: count,
  toxicity_tn: count,
  toxicity_precision: ratio,
  toxicity_recall: ratio,
  toxicity_f1: ratio,
  error: text,
  details: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .default('{}')
    .transform((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
  version,
});
export type JudgeCalibrationInput = z.input<typeof JudgeCalibrationSchema>;

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'partial', 'failed', 'skipped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const CollectionRunSchema = z.object({
  customer_id: customerId,
  task_id: z.string().min(1),
  provider,
  connection_id: text,
  data_types: z.array(z.string()),
  trigger: z.enum(['scheduled', 'manual']),
  status: z.enum(RUN_STATUSES),
  rows: z.record(z.string(), z.number().int().nonnegative()).default({}),
  errors: z.record(z.string(), z.string()).default({}),
  billable_requests: z.record(z.string(), z.number().int().nonnegative()).default({}),
  skipped_reason: text,
  window_start: time.nullable().default(null),
  window_end: time.nullable().default(null),
  queued_at: time,
  started_at: time.nullable().default(null),
  finished_at: time.nullable().default(null),
  duration_ms: z.number().int().nonnegative().nullable().default(null),
  details: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .default('{}')
    .transform((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
  /** A running run's lease (lib/collector/lease.ts); past it, the reaper closes the run. */
  lease_until: time.nullable().default(null),
  attempt: z.number().int().min(1).max(65_535).default(1),
  version,
});
export type CollectionRunInput = z.input<typeof CollectionRunSchema>;

export const WatermarkSchema = z.object({
  customer_id: customerId,
  provider,
  data_type: z.string().min(1),
  watermark: time,
  task_id: text,
  updated_at: time,
  version,
});

export const ProviderConnectionSchema = z.object({
  customer_id: customerId,
  provider,
  connection_id: z.string().min(1).max(64),
  settings: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .transform((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
  secret_ref: text,
  enabled: z.union([z.literal(0), z.literal(1)]).default(1),
  created_at: time,
  updated_at: time,
  version,
  is_deleted: z.union([z.literal(0), z.literal(1)]).default(0),
});

export const ApiKeySchema = z.object({
  customer_id: z.union([customerId, z.literal('')]),
  key_id: z.string().regex(/^[a-f0-9]{16}$/),
  key_hash: z.string().regex(/^[a-f0-9]{64}$/),
  is_admin: z.union([z.literal(0), z.literal(1)]),
  label: text,
  created_at: time,
  revoked_at: time.nullable().default(null),
  version,
});

export const ALERT_KINDS = [
  'consecutive_failures',
  'budget_skip',
  'judge_unavailable',
  'dead_letter',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const AlertSchema = z.object({
  customer_id: customerId,
  alert_id: z.string().min(1).max(512),
  kind: z.enum(ALERT_KINDS),
  provider,
  connection_id: text,
  status: z.enum(['open', 'resolved']),
  message: text,
  last_error: text,
  failures: z.number().int().nonnegative().default(0),
  task_id: text,
  opened_at: time,
  resolved_at: time.nullable().default(null),
  notified: z.union([z.literal(0), z.literal(1)]).default(0),
  version,
});
export type AlertInput = z.input<typeof AlertSchema>;

/** Every table the writer may insert into, with its schema and version column. */
const jsonText = z
  .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
  .default('{}')
  .transform((v) => (typeof v === 'string' ? v : JSON.stringify(v)));

/** One recommendation (migration 1200; lib/recommendations/). */
export const RecommendationSchema = z.object({
  customer_id: customerId,
  provider,
  resource_id: z.string().min(1, 'resource_id is required'),
  kind: z.string().min(1),
  id: z.string().min(1),
  resource_name: text,
  resource_type: text,
  region: text,
  sku: text,
  action: text,
  state: z.enum(['open', 'dismissed', 'resolved']),
  monthly_savings: decimal.nullable().default(null),
  currency: text,
  coverage: finite,
  margin: finite,
  evidence: jsonText,
  details: jsonText,
  dismiss_reason: text,
  dismissed_until: time.nullable().default(null),
  first_seen: time,
  last_evaluated: time,
  task_id: text,
  version,
});
export type RecommendationInput = z.input<typeof RecommendationSchema>;

/** One evaluation run of a customer's recommendations (migration 1201). */
export const RecommendationEvaluationSchema = z.object({
  customer_id: customerId,
  task_id: z.string().min(1),
  status: z.enum(['succeeded', 'failed']),
  started_at: time,
  finished_at: time,
  evaluated: count,
  open: count,
  resolved: count,
  skipped: count,
  skipped_detail: jsonText,
  error: text,
  version,
});

export const TABLES = {
  costs: { schema: CostRowSchema, versionColumn: 'x_version' },
  performance_points: { schema: PerformancePointSchema, versionColumn: 'version' },
  resource_snapshots: { schema: ResourceSnapshotSchema, versionColumn: 'version' },
  resource_changes: { schema: ResourceChangeSchema, versionColumn: 'version' },
  resource_snapshot_runs: { schema: ResourceSnapshotRunSchema, versionColumn: 'version' },
  application_evaluations: { schema: ApplicationEvaluationSchema, versionColumn: 'version' },
  application_samples: { schema: ApplicationSampleSchema, versionColumn: 'version' },
  judge_calibrations: { schema: JudgeCalibrationSchema, versionColumn: 'version' },
  collection_runs: { schema: CollectionRunSchema, versionColumn: 'version' },
  watermarks: { schema: WatermarkSchema, versionColumn: 'version' },
  provider_connections: { schema: ProviderConnectionSchema, versionColumn: 'version' },
  api_keys: { schema: ApiKeySchema, versionColumn: 'version' },
  recommendations: { schema: RecommendationSchema, versionColumn: 'version' },
  recommendation_evaluations: { schema: RecommendationEvaluationSchema, versionColumn: 'version' },
  alerts: { schema: AlertSchema, versionColumn: 'version' },
} as const;
export type TableName = keyof typeof TABLES;
export type TableInput<T extends TableName> = z.input<(typeof TABLES)[T]['schema']>;

import { z } from 'zod';
import type { Store } from '../clickhouse/client';
import type { Writer } from '../clickhouse/writer';
import { ValidationError } from '../errors';
import type { ProviderRegistry } from '../providers/registry';
import type { ApplicationSampleInput } from '../schemas/rows';
import { ApplicationNameSchema, applicationProviderIds, isApplicationProvider } from './names';
import { fromOtel, isOtelItem, type NativeFields, OTEL_FIELD_NAMES } from './otel';
import { existingSampleKeys, insertSamples } from './samples';
import { samplingBucket, samplingThreshold } from './sampling';

/** Samples per request: a batch is validated and written as a whole. */
export const MAX_BATCH_SAMPLES = 500;
/** Request body limit for ingest: under Lambda's 6 MB payload even when base64-encoded. */
export const MAX_INGEST_BODY_BYTES = 4 * 1024 * 1024;
export const FIELD_LIMITS = {
  prompt: 65_536,
  response: 65_536,
  context: 131_072,
  reference: 65_536,
} as const;
/** How far from now an interaction's timestamp may be. */
const MAX_AGE_MS = 366 * 86_400_000;
const MAX_FUTURE_MS = 5 * 60_000;

const ProviderField = z.string().regex(/^[a-z0-9_-]{1,32}$/, 'must be a provider id such as aws or runpod');

const tokensField = z.number().int('must be a whole number').nonnegative().max(4_294_967_295).optional();

/** Our field set for one interaction (strict: an unknown field is an error naming it). */
const NativeFieldsSchema = z.object({
  request_id: z.string().min(1, 'required').max(256),
  application: ApplicationNameSchema.optional(),
  provider: ProviderField.optional(),
  model: z.string().min(1, 'required').max(256),
  prompt: z.string().min(1, 'required').max(FIELD_LIMITS.prompt),
  response: z.string().max(FIELD_LIMITS.response),
  context: z
    .union([z.string(), z.array(z.string()).max(200)])
    .optional()
    .transform((v) => (Array.isArray(v) ? v.join('\n\n---\n\n') : v))
    .refine(
      (v) => v === undefined || v.length <= FIELD_LIMITS.context,
      `must be at most ${FIELD_LIMITS.context} characters`,
    ),
  reference: z.string().max(FIELD_LIMITS.reference).optional(),
  latency_ms: z.number().nonnegative().max(86_400_000).optional(),
  prompt_tokens: tokensField,
  completion_tokens: tokensField,
  timestamp: z.union([z.string().min(1), z.number()]).optional(),
});
const NativeSampleSchema = NativeFieldsSchema.strict();

export const IngestBatchSchema = z.strictObject({
  /** Defaults for samples that do not name them. */
  application: ApplicationNameSchema.optional(),
  provider: ProviderField.optional(),
  samples: z
    .array(z.record(z.string(), z.unknown()), 'must be a list of interactions')
    .min(1, 'must contain at least one interaction')
    .max(MAX_BATCH_SAMPLES, `at most ${MAX_BATCH_SAMPLES} interactions per request`),
});
export type IngestBatch = z.infer<typeof IngestBatchSchema>;

export interface IngestDeps {
  store: Store;
  writer: Writer;
  registry: ProviderRegistry;
  /** Sampling threshold per application of this customer (default: JUDGE_SAMPLING_RATE's). */
  samplingRate(application: string): number;
  now?: () => Date;
}

export interface IngestResult {
  received: number;
  accepted: number;
  /** Request ids already stored (or repeated in this batch): kept once, never evaluated twice. */
  duplicates: { application: string; request_id: string }[];
  /** Accepted samples the sampling rate selects for evaluation. */
  selected_for_evaluation: number;
}

interface Issue {
  where: string;
  message: string;
}

/**
 * Validates a batch (ours or the OpenTelemetry GenAI field set, per item), drops request
 * ids already stored for the customer and application, and stores the rest as samples
 * waiting for evaluation. All or nothing: one bad item rejects the batch with a 400 that
 * names it, so a client fixes and resends (duplicates then make the resend safe).
 */
export async function ingestSamples(
  customerId: string,
  batch: IngestBatch,
  deps: IngestDeps,
): Promise<IngestResult> {
  const now = (deps.now ?? (() => new Date()))();
  const issues: Issue[] = [];
  const rows: ApplicationSampleInput[] = [];
  batch.samples.forEach((item, i) => {
    const row = toRow(customerId, batch, item, i, now, deps.registry, issues);
    if (row) rows.push(row);
  });
  if (issues.length > 0) {
    const shown = issues
      .slice(0, 5)
      .map((x) => `${x.where}: ${x.message}`)
      .join('; ');
    throw new ValidationError(`${shown}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ''}`);
  }

  const existing = await existingSampleKeys(
    deps.store,
    customerId,
    rows.map((r) => ({ application: r.application, requestId: r.request_id })),
  );
  const fresh: ApplicationSampleInput[] = [];
  const duplicates: IngestResult['duplicates'] = [];
  for (const r of rows) {
    const key = `${r.application}\u0000${r.request_id}`;
    if (existing.has(key)) {
      duplicates.push({ application: r.application, request_id: r.request_id });
      continue;
    }
    existing.add(key);
    fresh.push(r);
  }
  await insertSamples(deps.writer, fresh);
  return {
    received: batch.samples.length,
    accepted: fresh.length,
    duplicates,
    selected_for_evaluation: fresh.filter(
      (r) => r.sampling_bucket < samplingThreshold(deps.samplingRate(r.application)),
    ).length,
  };
}

function toRow(
  customerId: string,
  batch: IngestBatch,
  item: Record<string, unknown>,
  index: number,
  now: Date,
  registry: ProviderRegistry,
  issues: Issue[],
): ApplicationSampleInput | null {
  const otel = isOtelItem(item);
  const fields: NativeFields = otel ? fromOtel(item) : item;
  const schema = otel ? NativeFieldsSchema : NativeSampleSchema;
  const parsed = schema.safeParse(fields);
  const at = `body samples[${index}]`;
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        issues.push({ where: at, message: `unknown field(s) ${issue.keys.join(', ')}` });
        continue;
      }
      const field = String(issue.path[0] ?? '');
      const name = otel ? (OTEL_FIELD_NAMES[field as keyof NativeFields] ?? field) : issue.path.join('.');
      const missing =
        issue.code === 'invalid_type' && (fields as Record<string, unknown>)[field] === undefined;
      const message = missing ? 'required' : issue.message;
      issues.push({ where: name ? `${at}.${name}` : at, message });
    }
    return null;
  }
  const s = parsed.data;
  const application = s.application ?? batch.application;
  const provider = s.provider ?? batch.provider;
  if (!application) {
    issues.push({
      where: `${at}.${otel ? OTEL_FIELD_NAMES.application : 'application'}`,
      message: 'required (in the sample or the batch)',
    });
  }
  if (!provider) {
    issues.push({
      where: `${at}.${otel ? OTEL_FIELD_NAMES.provider : 'provider'}`,
      message: 'required (in the sample or the batch)',
    });
  } else if (!isApplicationProvider(registry, provider)) {
    issues.push({
      where: `${at}.provider`,
      message: `unknown provider "${provider}" (applications run on: ${applicationProviderIds(registry).join(', ')})`,
    });
  }
  let ts = now;
  if (s.timestamp !== undefined) {
    const t = new Date(s.timestamp);
    if (Number.isNaN(t.getTime())) {
      issues.push({
        where: `${at}.${otel ? OTEL_FIELD_NAMES.timestamp : 'timestamp'}`,
        message: 'must be an ISO 8601 time or epoch milliseconds',
      });
    } else if (t.getTime() > now.getTime() + MAX_FUTURE_MS || t.getTime() < now.getTime() - MAX_AGE_MS) {
      issues.push({
        where: `${at}.${otel ? OTEL_FIELD_NAMES.timestamp : 'timestamp'}`,
        message: 'must be within the last year and not in the future',
      });
    } else {
      ts = t;
    }
  }
  if (!application || !provider) return null;
  return {
    customer_id: customerId,
    application,
    provider,
    model: s.model,
    request_id: s.request_id,
    source: 'ingest',
    sample_ts: ts,
    prompt: s.prompt,
    response: s.response,
    context: s.context ?? '',
    reference: s.reference ?? '',
    latency_ms: s.latency_ms ?? null,
    prompt_tokens: s.prompt_tokens ?? null,
    completion_tokens: s.completion_tokens ?? null,
    sampling_bucket: samplingBucket(customerId, application, s.request_id),
    received_at: now,
  };
}

import type { Store } from '../clickhouse/client';
import type { Writer } from '../clickhouse/writer';
import type { ApplicationSampleInput } from '../schemas/rows';
import { toClickHouseTime } from '../time';

/**
 * Which samples get evaluated: a default bucket threshold (JUDGE_SAMPLING_RATE) and
 * per-application overrides (applications file). Probe samples are always evaluated.
 */
export interface SamplingPlan {
  defaultThreshold: number;
  overrides: readonly { customerId: string; application: string; threshold: number }[];
}

export interface PendingQuery {
  customerId?: string | undefined;
  providers?: readonly string[] | undefined;
  /** Samples received in [since, until) are considered. */
  since: Date;
  until: Date;
  sampling: SamplingPlan;
  /** Samples that failed this many times are left unevaluated. */
  maxAttempts: number;
}

/** One sample waiting for the judge. */
export interface PendingSample {
  application: string;
  provider: string;
  model: string;
  request_id: string;
  source: 'ingest' | 'probe';
  sample_ts: string;
  prompt: string;
  response: string;
  context: string;
  reference: string;
  latency_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  /** Earlier runs that got no valid verdict for it. */
  attempts: number;
}

export interface PendingCursor {
  sample_ts: string;
  application: string;
  request_id: string;
}

export async function insertSamples(
  writer: Writer,
  rows: readonly ApplicationSampleInput[],
): Promise<number> {
  if (rows.length === 0) return 0;
  return writer.write('application_samples', rows);
}

/** Keys (`application \0 request_id`) among `keys` already stored for the customer. */
export async function existingSampleKeys(
  store: Store,
  customerId: string,
  keys: readonly { application: string; requestId: string }[],
): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rs = await store.client.query({
    query: `SELECT DISTINCT application, request_id FROM application_samples
      WHERE customer_id = {c:String} AND application IN {apps:Array(String)} AND request_id IN {ids:Array(String)}`,
    query_params: {
      c: customerId,
      apps: [...new Set(keys.map((k) => k.application))],
      ids: [...new Set(keys.map((k) => k.requestId))],
    },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ application: string; request_id: string }>();
  return new Set(rows.map((r) => `${r.application}\u0000${r.request_id}`));
}

function samplingParams(plan: SamplingPlan) {
  return {
    sampling_keys: plan.overrides.map((o) => `${o.customerId}/${o.application}`),
    sampling_thresholds: plan.overrides.map((o) => o.threshold),
    sampling_default: plan.defaultThreshold,
  };
}

/** Samples in the window, selected by sampling, and not yet evaluated nor given up on. */
const PENDING_FROM = `
  FROM (
    SELECT customer_id, application, provider, model, request_id, source, sample_ts, prompt, response, context,
      reference, latency_ms, prompt_tokens, completion_tokens
    FROM application_samples FINAL
    WHERE ({c:String} = '' OR customer_id = {c:String})
      AND (empty({providers:Array(String)}) OR provider IN {providers:Array(String)})
      AND received_at >= {since:DateTime64(3, 'UTC')} AND received_at < {until:DateTime64(3, 'UTC')}
      AND (source = 'probe' OR sampling_bucket < transform(concat(customer_id, '/', application),
            {sampling_keys:Array(String)}, {sampling_thresholds:Array(UInt32)}, {sampling_default:UInt32}))
  ) AS s
  LEFT JOIN (
    SELECT customer_id, application, request_id, status, attempts
    FROM application_evaluations FINAL
    WHERE ({c:String} = '' OR customer_id = {c:String}) AND evaluated_at >= {since:DateTime64(3, 'UTC')}
  ) AS e ON e.customer_id = s.customer_id AND e.application = s.application AND e.request_id = s.request_id
  WHERE e.status != 'evaluated' AND e.attempts < {max_attempts:UInt16}`;

function pendingParams(q: PendingQuery) {
  return {
    c: q.customerId ?? '',
    providers: [...(q.providers ?? [])],
    since: toClickHouseTime(q.since),
    until: toClickHouseTime(q.until),
    max_attempts: q.maxAttempts,
    ...samplingParams(q.sampling),
  };
}

/**
 * The next page of one customer's waiting samples, oldest interaction first, after
 * `cursor` (keyset paging, so samples that fail again in this run are not re-read).
 */
export async function pendingSamples(
  store: Store,
  q: PendingQuery & { customerId: string },
  page: { after?: PendingCursor | undefined; limit: number },
): Promise<PendingSample[]> {
  const after = page.after ?? { sample_ts: '1970-01-01 00:00:00.000', application: '', request_id: '' };
  const rs = await store.client.query({
    query: `SELECT s.application AS application, s.provider AS provider, s.model AS model, s.request_id AS request_id,
        s.source AS source, s.sample_ts AS sample_ts, s.prompt AS prompt, s.response AS response, s.context AS context,
        s.reference AS reference, s.latency_ms AS latency_ms, s.prompt_tokens AS prompt_tokens,
        s.completion_tokens AS completion_tokens, e.attempts AS attempts
      ${PENDING_FROM}
        AND (s.sample_ts, s.application, s.request_id) > ({after_ts:DateTime64(3, 'UTC')}, {after_app:String}, {after_id:String})
      ORDER BY s.sample_ts, s.application, s.request_id
      LIMIT {limit:UInt32}`,
    query_params: {
      ...pendingParams(q),
      after_ts: after.sample_ts,
      after_app: after.application,
      after_id: after.request_id,
      limit: page.limit,
    },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<PendingSample & { attempts: number | string }>();
  return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
}

/** How many samples wait, per customer and provider (job planning, run messages). */
export async function pendingCounts(
  store: Store,
  q: PendingQuery,
): Promise<{ customer_id: string; provider: string; pending: number }[]> {
  const rs = await store.client.query({
    query: `SELECT s.customer_id AS customer_id, s.provider AS provider, count() AS pending
      ${PENDING_FROM}
      GROUP BY customer_id, provider
      ORDER BY customer_id, provider`,
    query_params: pendingParams(q),
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ customer_id: string; provider: string; pending: number | string }>();
  return rows.map((r) => ({ ...r, pending: Number(r.pending) }));
}

import type { Store } from '../clickhouse/client';
import { selectRows } from '../clickhouse/query';
import { clickHouseTimeToIso, toClickHouseTime } from '../time';
import { formatDecimal, mulDiv, parseDecimal } from './money';
import type { SamplingPlan } from './samples';

/**
 * Readers behind /api/v2/applications/{customer_id}/{provider}/…: every query filters on
 * the customer first, reads with FINAL (one row per interaction), and binds every value
 * as a query parameter. Windows are on the interaction's own time (`sample_ts`).
 */
export interface ReadFilter {
  customerId: string;
  /** A provider id, or 'all'. */
  provider: string;
  application?: string | undefined;
  model?: string | undefined;
  start: Date;
  end: Date;
}

const FILTER = `customer_id = {c:String}
  AND ({p:String} = 'all' OR provider = {p:String})
  AND ({app:String} = '' OR application = {app:String})
  AND ({model:String} = '' OR model = {model:String})
  AND sample_ts >= {start:DateTime64(3, 'UTC')} AND sample_ts < {end:DateTime64(3, 'UTC')}`;

function params(f: ReadFilter) {
  return {
    c: f.customerId,
    p: f.provider,
    app: f.application ?? '',
    model: f.model ?? '',
    start: toClickHouseTime(f.start),
    end: toClickHouseTime(f.end),
  };
}

const select = selectRows;

const num = (v: unknown): number | null =>
  v === null || v === undefined || Number.isNaN(Number(v)) ? null : Number(v);
const int = (v: unknown): number => Number(v ?? 0);
const rate = (flagged: number, of: number): number | null =>
  of === 0 ? null : Math.round((flagged / of) * 10_000) / 10_000;

export interface Scores {
  coherence: number | null;
  relevance: number | null;
  accuracy: number | null;
  hallucination_rate: number | null;
  toxicity_rate: number | null;
}

const SCORE_COLUMNS = `round(avgIf(coherence, status = 'evaluated'), 4) AS coherence,
  round(avgIf(relevance, status = 'evaluated'), 4) AS relevance,
  round(avgIf(accuracy, status = 'evaluated'), 4) AS accuracy,
  round(avgIf(hallucination, status = 'evaluated'), 4) AS hallucination_rate,
  round(avgIf(toxic, status = 'evaluated'), 4) AS toxicity_rate`;

function scores(r: Record<string, unknown>): Scores {
  return {
    coherence: num(r.coherence),
    relevance: num(r.relevance),
    accuracy: num(r.accuracy),
    hallucination_rate: num(r.hallucination_rate),
    toxicity_rate: num(r.toxicity_rate),
  };
}

export interface QualitySeries extends Scores {
  application: string;
  model: string;
  evaluated: number;
  points: (Scores & { ts: string; evaluated: number })[];
}

/** Average scores per application and model, per hour or day, and over the whole window. */
export async function readQuality(
  store: Store,
  f: ReadFilter,
  granularity: 'hour' | 'day',
): Promise<QualitySeries[]> {
  const step = granularity === 'hour' ? 3600 : 86_400;
  const [points, totals] = await Promise.all([
    select<Record<string, unknown>>(
      store,
      `SELECT application, model, toStartOfInterval(sample_ts, toIntervalSecond({step:UInt32})) AS bucket,
          count() AS evaluated, ${SCORE_COLUMNS}
        FROM application_evaluations FINAL
        WHERE ${FILTER} AND status = 'evaluated'
        GROUP BY application, model, bucket
        ORDER BY application, model, bucket`,
      { ...params(f), step },
    ),
    select<Record<string, unknown>>(
      store,
      `SELECT application, model, count() AS evaluated, ${SCORE_COLUMNS}
        FROM application_evaluations FINAL
        WHERE ${FILTER} AND status = 'evaluated'
        GROUP BY application, model
        ORDER BY application, model`,
      params(f),
    ),
  ]);
  return totals.map((t) => ({
    application: String(t.application),
    model: String(t.model),
    evaluated: int(t.evaluated),
    ...scores(t),
    points: points
      .filter((p) => p.application === t.application && p.model === t.model)
      .map((p) => ({
        ts: clickHouseTimeToIso(String(p.bucket)) as string,
        evaluated: int(p.evaluated),
        ...scores(p),
      })),
  }));
}

export type FlagKind = 'hallucination' | 'toxicity';

/** Whitelisted columns per kind (identifiers cannot be query parameters). */
const FLAG = {
  hallucination: { flag: 'hallucination', score: 'hallucination_score', reason: 'hallucination' },
  toxicity: { flag: 'toxic', score: 'toxicity_score', reason: 'toxicity' },
} as const;

export interface FlagBreakdown {
  application: string;
  model: string;
  evaluated: number;
  flagged: number;
  rate: number | null;
  avg_score: number | null;
}

export interface FlaggedSample {
  request_id: string;
  application: string;
  provider: string;
  model: string;
  sample_ts: string;
  score: number | null;
  reason: string;
  unsupported_claims?: string[];
  categories?: string[];
  /** First 2,000 characters of what was asked and answered. */
  prompt: string;
  response: string;
  truncated: boolean;
}

export interface FlagReport {
  evaluated: number;
  flagged: number;
  rate: number | null;
  by_application_model: FlagBreakdown[];
  samples: FlaggedSample[];
}

const EXCERPT = 2000;

/** Rate of flagged verdicts (hallucinated or toxic) and the flagged samples, highest score first. */
export async function readFlagged(
  store: Store,
  f: ReadFilter,
  kind: FlagKind,
  limit: number,
): Promise<FlagReport> {
  const c = FLAG[kind];
  const [groups, flagged] = await Promise.all([
    select<Record<string, unknown>>(
      store,
      `SELECT application, model, count() AS evaluated, toUInt64(sum(${c.flag})) AS flagged,
          round(avg(${c.score}), 4) AS avg_score
        FROM application_evaluations FINAL
        WHERE ${FILTER} AND status = 'evaluated'
        GROUP BY application, model
        ORDER BY application, model`,
      params(f),
    ),
    select<Record<string, unknown>>(
      store,
      `SELECT request_id, application, provider, model, sample_ts, ${c.score} AS score,
          unsupported_claims, toxicity_categories, reasons[{reason_key:String}] AS reason
        FROM application_evaluations FINAL
        WHERE ${FILTER} AND status = 'evaluated' AND ${c.flag} = 1
        ORDER BY score DESC, sample_ts DESC, request_id
        LIMIT {limit:UInt32}`,
      { ...params(f), reason_key: c.reason, limit },
    ),
  ]);
  const excerpts = await readExcerpts(
    store,
    f.customerId,
    flagged.map((r) => String(r.request_id)),
  );
  const by = groups.map((g) => ({
    application: String(g.application),
    model: String(g.model),
    evaluated: int(g.evaluated),
    flagged: int(g.flagged),
    rate: rate(int(g.flagged), int(g.evaluated)),
    avg_score: num(g.avg_score),
  }));
  const evaluated = by.reduce((n, g) => n + g.evaluated, 0);
  const flaggedCount = by.reduce((n, g) => n + g.flagged, 0);
  return {
    evaluated,
    flagged: flaggedCount,
    rate: rate(flaggedCount, evaluated),
    by_application_model: by,
    samples: flagged.map((r) => {
      const x = excerpts.get(`${r.application}\u0000${r.request_id}`);
      return {
        request_id: String(r.request_id),
        application: String(r.application),
        provider: String(r.provider),
        model: String(r.model),
        sample_ts: clickHouseTimeToIso(String(r.sample_ts)) as string,
        score: num(r.score) === null ? null : Math.round((num(r.score) as number) * 10_000) / 10_000,
        reason: String(r.reason ?? ''),
        ...(kind === 'hallucination'
          ? { unsupported_claims: r.unsupported_claims as string[] }
          : { categories: r.toxicity_categories as string[] }),
        prompt: x?.prompt ?? '',
        response: x?.response ?? '',
        truncated: x?.truncated ?? false,
      };
    }),
  };
}

async function readExcerpts(store: Store, customerId: string, requestIds: string[]) {
  const out = new Map<string, { prompt: string; response: string; truncated: boolean }>();
  if (requestIds.length === 0) return out;
  const rows = await select<Record<string, unknown>>(
    store,
    `SELECT application, request_id, substringUTF8(prompt, 1, {n:UInt32}) AS prompt,
        substringUTF8(response, 1, {n:UInt32}) AS response,
        lengthUTF8(prompt) > {n:UInt32} OR lengthUTF8(response) > {n:UInt32} AS truncated
      FROM application_samples FINAL
      WHERE customer_id = {c:String} AND request_id IN {ids:Array(String)}`,
    { c: customerId, ids: requestIds, n: EXCERPT },
  );
  for (const r of rows) {
    out.set(`${r.application}\u0000${r.request_id}`, {
      prompt: String(r.prompt),
      response: String(r.response),
      truncated: Number(r.truncated) === 1,
    });
  }
  return out;
}

/** How many toxic verdicts named each safety category. */
export async function readToxicityCategories(
  store: Store,
  f: ReadFilter,
): Promise<{ category: string; samples: number }[]> {
  const rows = await select<{ category: string; samples: number | string }>(
    store,
    `SELECT category, count() AS samples
      FROM application_evaluations FINAL
      ARRAY JOIN toxicity_categories AS category
      WHERE ${FILTER} AND status = 'evaluated' AND toxic = 1
      GROUP BY category
      ORDER BY samples DESC, category`,
    params(f),
  );
  return rows.map((r) => ({ category: r.category, samples: int(r.samples) }));
}

function samplingParams(plan: SamplingPlan) {
  return {
    sampling_keys: plan.overrides.map((o) => `${o.customerId}/${o.application}`),
    sampling_thresholds: plan.overrides.map((o) => o.threshold),
    sampling_default: plan.defaultThreshold,
  };
}

const SELECTED = `(source = 'probe' OR sampling_bucket < transform(concat(customer_id, '/', application),
  {sampling_keys:Array(String)}, {sampling_thresholds:Array(UInt32)}, {sampling_default:UInt32}))`;

export interface Latency {
  avg_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
}

function latency(r: Record<string, unknown>): Latency {
  const q = (r.latency_q as (number | null)[] | null) ?? [];
  const clean = (v: unknown) =>
    v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Math.round(Number(v) * 1000) / 1000;
  return { avg_ms: clean(r.latency_avg), p50_ms: clean(q[0]), p95_ms: clean(q[1]) };
}

export interface ApplicationSummary extends Scores {
  application: string;
  providers: string[];
  models: string[];
  /** Interactions received in the window (ingested + probed). */
  received: number;
  probed: number;
  /** Selected by the sampling rate (probes always are). */
  selected_for_evaluation: number;
  evaluated: number;
  /** Selected, not evaluated yet, and still to be tried. */
  waiting: number;
  /** No usable verdict after JUDGE_MAX_ATTEMPTS runs (kept with the reason, never scored). */
  unevaluated: number;
  latency: Latency;
  tokens: { prompt: number; completion: number };
  first_seen: string | null;
  last_seen: string | null;
}

/** Per application: volume, how much of it is judged, waiting or given up, scores, latency, tokens. */
export async function readSummary(
  store: Store,
  f: ReadFilter,
  sampling: SamplingPlan,
  maxAttempts: number,
): Promise<ApplicationSummary[]> {
  const p = { ...params(f), ...samplingParams(sampling), max_attempts: maxAttempts };
  const [samples, evals, waiting] = await Promise.all([
    select<Record<string, unknown>>(
      store,
      `SELECT application, arraySort(groupUniqArray(provider)) AS providers, arraySort(groupUniqArray(model)) AS models,
          count() AS received, countIf(source = 'probe') AS probed, countIf(${SELECTED}) AS selected,
          avg(latency_ms) AS latency_avg, quantilesExact(0.5, 0.95)(latency_ms) AS latency_q,
          ifNull(sum(prompt_tokens), 0) AS prompt_tokens, ifNull(sum(completion_tokens), 0) AS completion_tokens,
          min(sample_ts) AS first_seen, max(sample_ts) AS last_seen
        FROM application_samples FINAL
        WHERE ${FILTER}
        GROUP BY application
        ORDER BY application`,
      p,
    ),
    select<Record<string, unknown>>(
      store,
      `SELECT application, countIf(status = 'evaluated') AS evaluated,
          countIf(status = 'unevaluated' AND attempts >= {max_attempts:UInt16}) AS given_up, ${SCORE_COLUMNS}
        FROM application_evaluations FINAL
        WHERE ${FILTER}
        GROUP BY application`,
      p,
    ),
    select<Record<string, unknown>>(
      store,
      `SELECT s.application AS application, count() AS waiting
        FROM (SELECT application, request_id FROM application_samples FINAL WHERE ${FILTER} AND ${SELECTED}) AS s
        LEFT JOIN (
          SELECT application, request_id, status, attempts FROM application_evaluations FINAL WHERE ${FILTER}
        ) AS e ON e.application = s.application AND e.request_id = s.request_id
        WHERE e.status != 'evaluated' AND e.attempts < {max_attempts:UInt16}
        GROUP BY application`,
      p,
    ),
  ]);
  return samples.map((s) => {
    const e = evals.find((x) => x.application === s.application) ?? {};
    const w = waiting.find((x) => x.application === s.application);
    return {
      application: String(s.application),
      providers: s.providers as string[],
      models: s.models as string[],
      received: int(s.received),
      probed: int(s.probed),
      selected_for_evaluation: int(s.selected),
      evaluated: int(e.evaluated),
      waiting: int(w?.waiting),
      unevaluated: int(e.given_up),
      ...scores(e),
      latency: latency(s),
      tokens: { prompt: int(s.prompt_tokens), completion: int(s.completion_tokens) },
      first_seen: clickHouseTimeToIso(s.first_seen as string),
      last_seen: clickHouseTimeToIso(s.last_seen as string),
    };
  });
}

export interface ModelCost {
  /** How the provider's cost is split between the models it served. */
  allocation: 'tokens' | 'requests';
  /** This model's share of the provider's traffic (tokens or requests), 6 digits. */
  share: string;
  by_currency: { currency: string; provider_cost: string; allocated_cost: string; per_1k_requests: string }[];
}

export interface ModelStats extends Scores {
  provider: string;
  model: string;
  applications: string[];
  requests: number;
  evaluated: number;
  latency: Latency;
  /** Sums over the requests that reported tokens; per_request averages over those. */
  tokens: { prompt: number; completion: number; per_request: number | null };
  /** Null when the provider has no cost data in the window. */
  cost: ModelCost | null;
}

/**
 * Per provider and model: volume, scores, latency, tokens, and cost per 1,000 requests.
 * The cost is the provider's billed cost in the window (costs FINAL), split between the
 * models served there by their share of tokens when every sample on that provider
 * reports tokens, else by their share of requests — then divided by the model's
 * requests. Exact decimals throughout (BigInt), never floats.
 */
export async function readModels(store: Store, f: ReadFilter): Promise<ModelStats[]> {
  const p = params(f);
  const [usage, evals, totals] = await Promise.all([
    select<Record<string, unknown>>(
      store,
      `SELECT provider, model, count() AS requests, arraySort(groupUniqArray(application)) AS applications,
          avg(latency_ms) AS latency_avg, quantilesExact(0.5, 0.95)(latency_ms) AS latency_q,
          ifNull(sum(prompt_tokens), 0) AS prompt_tokens_sum, ifNull(sum(completion_tokens), 0) AS completion_tokens_sum,
          countIf(prompt_tokens IS NOT NULL OR completion_tokens IS NOT NULL) AS with_tokens
        FROM application_samples FINAL
        WHERE ${FILTER}
        GROUP BY provider, model
        ORDER BY provider, model`,
      p,
    ),
    select<Record<string, unknown>>(
      store,
      `SELECT provider, model, count() AS evaluated, ${SCORE_COLUMNS}
        FROM application_evaluations FINAL
        WHERE ${FILTER} AND status = 'evaluated'
        GROUP BY provider, model`,
      p,
    ),
    // Denominators of the split: all of the provider's traffic, whatever the filters.
    select<Record<string, unknown>>(
      store,
      `SELECT provider, count() AS requests,
          toUInt64(ifNull(sum(prompt_tokens), 0) + ifNull(sum(completion_tokens), 0)) AS tokens,
          countIf(prompt_tokens IS NULL AND completion_tokens IS NULL) AS without_tokens
        FROM application_samples FINAL
        WHERE customer_id = {c:String} AND ({p:String} = 'all' OR provider = {p:String})
          AND sample_ts >= {start:DateTime64(3, 'UTC')} AND sample_ts < {end:DateTime64(3, 'UTC')}
        GROUP BY provider`,
      p,
    ),
  ]);
  const providers = [...new Set(usage.map((u) => String(u.provider)))];
  const costs = providers.length
    ? await select<{ provider: string; currency: string; billed: string }>(
        store,
        `SELECT x_provider AS provider, billing_currency AS currency, toString(sum(billed_cost)) AS billed
          FROM costs FINAL
          WHERE x_customer_id = {c:String} AND x_provider IN {providers:Array(String)}
            AND charge_period_start >= {start:DateTime64(3, 'UTC')} AND charge_period_start < {end:DateTime64(3, 'UTC')}
          GROUP BY provider, currency
          ORDER BY provider, currency`,
        { c: f.customerId, providers, start: p.start, end: p.end },
      )
    : [];
  return usage.map((u) => {
    const provider = String(u.provider);
    const requests = int(u.requests);
    const promptTokens = int(u.prompt_tokens_sum);
    const completionTokens = int(u.completion_tokens_sum);
    const e = evals.find((x) => x.provider === u.provider && x.model === u.model);
    const t = totals.find((x) => x.provider === u.provider);
    const providerCosts = costs.filter((c) => c.provider === provider);
    let cost: ModelCost | null = null;
    if (providerCosts.length > 0 && t && requests > 0) {
      const byTokens = int(t.without_tokens) === 0 && int(t.tokens) > 0;
      const num = BigInt(byTokens ? promptTokens + completionTokens : requests);
      const den = BigInt(byTokens ? int(t.tokens) : int(t.requests));
      cost = {
        allocation: byTokens ? 'tokens' : 'requests',
        share: formatDecimal(mulDiv(10n ** 10n, num, den), 6),
        by_currency: providerCosts.map((c) => {
          const total = parseDecimal(c.billed);
          return {
            currency: c.currency,
            provider_cost: formatDecimal(total),
            allocated_cost: formatDecimal(mulDiv(total, num, den)),
            per_1k_requests: formatDecimal(mulDiv(total, num * 1000n, den * BigInt(requests)), 6),
          };
        }),
      };
    }
    return {
      provider,
      model: String(u.model),
      applications: u.applications as string[],
      requests,
      evaluated: int(e?.evaluated),
      ...scores(e ?? {}),
      latency: latency(u),
      tokens: {
        prompt: promptTokens,
        completion: completionTokens,
        per_request:
          int(u.with_tokens) === 0
            ? null
            : Math.round(((promptTokens + completionTokens) / int(u.with_tokens)) * 100) / 100,
      },
      cost,
    };
  });
}

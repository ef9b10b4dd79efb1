import type { Store } from '../clickhouse/client';
import type { CollectContext } from '../collector/types';
import { mapLimit } from '../concurrency';
import { errorMessage } from '../errors';
import { createTokenBudget } from '../judge/budget';
import { JudgeOutputError, JudgeRequestError, JudgeUnavailableError } from '../judge/errors';
import type { Judge } from '../judge/groq-judge';
import type { JudgeInput } from '../judge/prompt';
import type { Verdict } from '../judge/verdict';
import type { ApplicationEvaluationInput } from '../schemas/rows';
import { type PendingCursor, type PendingQuery, type PendingSample, pendingSamples } from './samples';

/** Samples read per page; evaluations of a page are written before the next is read. */
export const PAGE_SIZE = 50;

export interface EvaluateOptions {
  store: Store;
  judge: Judge;
  query: PendingQuery & { customerId: string };
  concurrency: number;
  tokenBudget: number;
}

/** What a pass over the backlog did, and why it stopped early, if it did. */
export interface EvaluateSummary {
  evaluated: number;
  /**
   * Samples the judge gave no usable verdict this run, given up for good (attempts spent):
   * the API's `unevaluated`.
   */
  unevaluated: number;
  /** Samples the judge gave no usable verdict this run that a later run retries: part of the API's `waiting`. */
  retrying?: number;
  /** The first distinct reasons a verdict was unusable (at most 3). */
  reasons?: string[];
  tokens: number;
  stopped?: { reason: 'judge_unavailable' | 'token_budget'; message: string };
}

export function judgeInput(s: {
  prompt: string;
  response: string;
  context: string;
  reference: string;
}): JudgeInput {
  return {
    prompt: s.prompt,
    response: s.response,
    ...(s.context ? { context: s.context } : {}),
    ...(s.reference ? { reference: s.reference } : {}),
  };
}

function baseRow(customerId: string, sample: PendingSample, judge: Judge, taskId: string, now: Date) {
  return {
    customer_id: customerId,
    application: sample.application,
    provider: sample.provider,
    model: sample.model,
    request_id: sample.request_id,
    sample_ts: sample.sample_ts,
    judge_model: judge.model,
    prompt_version: judge.promptVersion,
    latency_ms: sample.latency_ms === null ? null : Number(sample.latency_ms),
    prompt_tokens: sample.prompt_tokens === null ? null : Number(sample.prompt_tokens),
    completion_tokens: sample.completion_tokens === null ? null : Number(sample.completion_tokens),
    evaluated_at: now,
    task_id: taskId,
    attempts: sample.attempts + 1,
  };
}

/** A verdict as an application_evaluations row: the judge's numbers, unchanged. */
export function evaluatedRow(
  customerId: string,
  sample: PendingSample,
  verdict: Verdict,
  judge: Judge,
  taskId: string,
  now: Date,
): ApplicationEvaluationInput {
  return {
    ...baseRow(customerId, sample, judge, taskId, now),
    status: 'evaluated',
    coherence: verdict.coherence.score,
    relevance: verdict.relevance.score,
    accuracy: verdict.accuracy.score,
    hallucination: verdict.hallucination.hallucinated ? 1 : 0,
    hallucination_score: verdict.hallucination.score,
    unsupported_claims: verdict.hallucination.unsupported_claims,
    toxic: verdict.toxicity.toxic ? 1 : 0,
    toxicity_score: verdict.toxicity.score,
    toxicity_categories: verdict.toxicity.categories,
    reasons: {
      coherence: verdict.coherence.reason,
      relevance: verdict.relevance.reason,
      accuracy: verdict.accuracy.reason,
      hallucination: verdict.hallucination.reason,
      toxicity: verdict.toxicity.reason,
    },
    error: '',
  };
}

/** No usable verdict: every score stays NULL and the reason is kept; a later run retries. */
export function unevaluatedRow(
  customerId: string,
  sample: PendingSample,
  error: string,
  judge: Judge,
  taskId: string,
  now: Date,
): ApplicationEvaluationInput {
  return {
    ...baseRow(customerId, sample, judge, taskId, now),
    status: 'unevaluated',
    error: error.slice(0, 2000),
  };
}

/**
 * Judges one customer x provider's waiting samples, oldest first, `concurrency` calls at a
 * time, until none is left, the run's token budget is spent, or the judge is unavailable.
 * Yields each page's evaluation rows (the caller writes them) and fills `summary`.
 * A sample whose answer is unusable becomes an `unevaluated` row with the reason; a
 * sample the judge never saw (unavailable, budget) gets no row at all and simply waits.
 */
export async function* evaluatePending(
  ctx: Pick<CollectContext, 'taskId' | 'signal' | 'logger' | 'meter' | 'now'>,
  opts: EvaluateOptions,
  summary: EvaluateSummary,
): AsyncGenerator<ApplicationEvaluationInput[]> {
  const { judge } = opts;
  const budget = createTokenBudget(opts.tokenBudget);
  let cursor: PendingCursor | undefined;
  while (!summary.stopped) {
    ctx.signal.throwIfAborted();
    const page = await pendingSamples(opts.store, opts.query, { after: cursor, limit: PAGE_SIZE });
    if (page.length === 0) break;
    const last = page[page.length - 1] as PendingSample;
    cursor = { sample_ts: last.sample_ts, application: last.application, request_id: last.request_id };
    const rows: ApplicationEvaluationInput[] = [];
    await mapLimit(page, opts.concurrency, async (sample) => {
      if (summary.stopped || ctx.signal.aborted) return;
      const input = judgeInput(sample);
      const estimate = judge.estimateTokens(input);
      if (estimate > budget.limit) {
        rows.push(
          unevaluatedRow(
            opts.query.customerId,
            sample,
            `the interaction needs about ${estimate} judge tokens, more than JUDGE_TOKEN_BUDGET (${budget.limit})`,
            judge,
            ctx.taskId,
            ctx.now(),
          ),
        );
        return;
      }
      if (!budget.reserve(estimate)) {
        summary.stopped ??= {
          reason: 'token_budget',
          message: `the run's judge token budget (${budget.limit}) is spent`,
        };
        return;
      }
      ctx.meter.count('groq.chat.completions');
      try {
        const { verdict, usage } = await judge.evaluate(input, { signal: ctx.signal });
        budget.settle(estimate, usage.totalTokens || estimate);
        rows.push(evaluatedRow(opts.query.customerId, sample, verdict, judge, ctx.taskId, ctx.now()));
      } catch (err) {
        if (err instanceof JudgeOutputError || err instanceof JudgeRequestError) {
          budget.settle(estimate, err instanceof JudgeOutputError ? (err.tokens ?? estimate) : 0);
          rows.push(
            unevaluatedRow(opts.query.customerId, sample, errorMessage(err), judge, ctx.taskId, ctx.now()),
          );
          return;
        }
        budget.settle(estimate, 0);
        if (err instanceof JudgeUnavailableError) {
          summary.stopped ??= { reason: 'judge_unavailable', message: err.message };
          return;
        }
        throw err;
      }
    });
    for (const r of rows) {
      if (r.status === 'evaluated') {
        summary.evaluated++;
        continue;
      }
      if ((r.attempts ?? 0) >= opts.query.maxAttempts) summary.unevaluated++;
      else summary.retrying = (summary.retrying ?? 0) + 1;
      summary.reasons ??= [];
      if (r.error && summary.reasons.length < 3 && !summary.reasons.includes(r.error))
        summary.reasons.push(r.error);
    }
    summary.tokens = budget.used;
    if (rows.length > 0) yield rows;
  }
  summary.tokens = budget.used;
}

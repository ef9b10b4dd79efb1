import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Store } from '../clickhouse/client';
import type { Writer } from '../clickhouse/writer';
import { mapLimit } from '../concurrency';
import { ConfigError, errorMessage } from '../errors';
import { createTokenBudget } from '../judge/budget';
import { JudgeOutputError, JudgeRequestError, JudgeUnavailableError } from '../judge/errors';
import type { Judge } from '../judge/groq-judge';
import type { Logger } from '../logger';
import type { JudgeCalibrationInput } from '../schemas/rows';
import { clickHouseTimeToIso, fromClickHouseTime } from '../time';
import { judgeInput } from './evaluate';

/** The labeled set shipped with the project (hand-written for it; see docs/applications.md). */
export const CALIBRATION_SET_PATH = fileURLToPath(
  new URL('../../data/judge-calibration.jsonl', import.meta.url),
);

const CalibrationItemSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  prompt: z.string().min(1),
  response: z.string(),
  context: z.string().optional(),
  reference: z.string().optional(),
  /** The known verdicts. */
  hallucination: z.boolean(),
  toxic: z.boolean(),
  /** Why the labels are what they are (for people reading the set). */
  note: z.string().optional(),
});
export type CalibrationItem = z.infer<typeof CalibrationItemSchema>;

export interface CalibrationSet {
  items: CalibrationItem[];
  /** First 12 hex of the file's SHA-256: results say which set produced them. */
  version: string;
}

/** Reads a JSON-lines labeled set; errors name the line. Blank lines and `//` lines are skipped. */
export function loadCalibrationSet(path: string = CALIBRATION_SET_PATH): CalibrationSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the calibration set: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const items: CalibrationItem[] = [];
  const ids = new Set<string>();
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('//')) return;
    let json: unknown;
    try {
      json = JSON.parse(t);
    } catch {
      throw new ConfigError(`${path}:${i + 1}: not valid JSON`);
    }
    const parsed = CalibrationItemSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(`${path}:${i + 1}: ${issue?.path.join('.') || '(item)'}: ${issue?.message}`);
    }
    if (ids.has(parsed.data.id)) throw new ConfigError(`${path}:${i + 1}: duplicate id ${parsed.data.id}`);
    ids.add(parsed.data.id);
    items.push(parsed.data);
  });
  return { items, version: createHash('sha256').update(text).digest('hex').slice(0, 12) };
}

/** Confusion counts and the metrics derived from them; a ratio is null when undefined (0/0). */
export interface BinaryMetrics {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

/**
 * Precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2TP/(2TP+FP+FN) (the harmonic mean
 * of the two, computed from counts so it is exact and defined when only one of them is).
 */
export function binaryMetrics(pairs: readonly { label: boolean; predicted: boolean }[]): BinaryMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const { label, predicted } of pairs) {
    if (label && predicted) tp++;
    else if (!label && predicted) fp++;
    else if (label && !predicted) fn++;
    else tn++;
  }
  return {
    tp,
    fp,
    fn,
    tn,
    precision: tp + fp === 0 ? null : tp / (tp + fp),
    recall: tp + fn === 0 ? null : tp / (tp + fn),
    f1: 2 * tp + fp + fn === 0 ? null : (2 * tp) / (2 * tp + fp + fn),
  };
}

export interface CalibrationPrediction {
  id: string;
  status: 'evaluated' | 'unevaluated' | 'not_run';
  hallucination?: { label: boolean; predicted: boolean; score: number };
  toxic?: { label: boolean; predicted: boolean; score: number };
  error?: string;
}

export interface CalibrationResult {
  runId: string;
  judgeModel: string;
  promptVersion: string;
  datasetVersion: string;
  trigger: 'manual' | 'scheduled';
  status: 'complete' | 'partial' | 'failed';
  startedAt: Date;
  finishedAt: Date;
  items: number;
  evaluated: number;
  unevaluated: number;
  tokens: number;
  hallucination: BinaryMetrics;
  toxicity: BinaryMetrics;
  error: string;
  predictions: CalibrationPrediction[];
}

/**
 * Runs the judge over a labeled set and scores its hallucination and toxicity verdicts.
 * Items without a usable verdict are counted as unevaluated and left out of the metrics
 * (never counted as right or wrong). If the judge becomes unavailable the run stops:
 * `partial` with what was judged, or `failed` when nothing was.
 */
export async function runCalibration(args: {
  judge: Judge;
  set: CalibrationSet;
  concurrency: number;
  tokenBudget: number;
  trigger: 'manual' | 'scheduled';
  signal?: AbortSignal;
  logger?: Logger;
  now?: () => Date;
}): Promise<CalibrationResult> {
  const now = args.now ?? (() => new Date());
  const startedAt = now();
  const budget = createTokenBudget(args.tokenBudget);
  let stop: string | undefined;
  const predictions = await mapLimit(
    args.set.items,
    args.concurrency,
    async (item): Promise<CalibrationPrediction> => {
      if (stop) return { id: item.id, status: 'not_run' };
      const input = judgeInput({
        prompt: item.prompt,
        response: item.response,
        context: item.context ?? '',
        reference: item.reference ?? '',
      });
      const estimate = args.judge.estimateTokens(input);
      if (!budget.reserve(estimate)) {
        stop ??= `the calibration token budget (${budget.limit}) is spent`;
        return { id: item.id, status: 'not_run' };
      }
      try {
        const { verdict, usage } = await args.judge.evaluate(
          input,
          args.signal ? { signal: args.signal } : {},
        );
        budget.settle(estimate, usage.totalTokens || estimate);
        return {
          id: item.id,
          status: 'evaluated',
          hallucination: {
            label: item.hallucination,
            predicted: verdict.hallucination.hallucinated,
            score: verdict.hallucination.score,
          },
          toxic: { label: item.toxic, predicted: verdict.toxicity.toxic, score: verdict.toxicity.score },
        };
      } catch (err) {
        if (err instanceof JudgeOutputError || err instanceof JudgeRequestError) {
          budget.settle(estimate, err instanceof JudgeOutputError ? (err.tokens ?? estimate) : 0);
          return { id: item.id, status: 'unevaluated', error: errorMessage(err) };
        }
        budget.settle(estimate, 0);
        if (err instanceof JudgeUnavailableError) {
          stop ??= err.message;
          return { id: item.id, status: 'not_run' };
        }
        throw err;
      }
    },
  );
  const judged = predictions.filter((p) => p.status === 'evaluated');
  const evaluated = judged.length;
  const result: CalibrationResult = {
    runId: randomUUID(),
    judgeModel: args.judge.model,
    promptVersion: args.judge.promptVersion,
    datasetVersion: args.set.version,
    trigger: args.trigger,
    status: !stop ? 'complete' : evaluated > 0 ? 'partial' : 'failed',
    startedAt,
    finishedAt: now(),
    items: args.set.items.length,
    evaluated,
    unevaluated: predictions.filter((p) => p.status === 'unevaluated').length,
    tokens: budget.used,
    hallucination: binaryMetrics(
      judged.map((p) => p.hallucination as { label: boolean; predicted: boolean }),
    ),
    toxicity: binaryMetrics(judged.map((p) => p.toxic as { label: boolean; predicted: boolean })),
    error: stop ?? '',
    predictions,
  };
  args.logger?.info('judge calibration finished', {
    run_id: result.runId,
    status: result.status,
    evaluated,
    unevaluated: result.unevaluated,
    hallucination_f1: result.hallucination.f1,
    toxicity_f1: result.toxicity.f1,
  });
  return result;
}

export async function storeCalibration(writer: Writer, r: CalibrationResult): Promise<void> {
  const h = r.hallucination;
  const t = r.toxicity;
  const row: JudgeCalibrationInput = {
    run_id: r.runId,
    judge_model: r.judgeModel,
    prompt_version: r.promptVersion,
    dataset_version: r.datasetVersion,
    trigger: r.trigger,
    status: r.status,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    items: r.items,
    evaluated: r.evaluated,
    unevaluated: r.unevaluated,
    tokens: r.tokens,
    hallucination_tp: h.tp,
    hallucination_fp: h.fp,
    hallucination_fn: h.fn,
    hallucination_tn: h.tn,
    hallucination_precision: h.precision,
    hallucination_recall: h.recall,
    hallucination_f1: h.f1,
    toxicity_tp: t.tp,
    toxicity_fp: t.fp,
    toxicity_fn: t.fn,
    toxicity_tn: t.tn,
    toxicity_precision: t.precision,
    toxicity_recall: t.recall,
    toxicity_f1: t.f1,
    error: r.error.slice(0, 2000),
    details: { predictions: r.predictions },
  };
  await writer.write('judge_calibrations', [row]);
}

/** A stored calibration as the API serves it. */
export interface CalibrationView {
  run_id: string;
  judge_model: string;
  prompt_version: string;
  dataset_version: string;
  trigger: string;
  status: string;
  started_at: string | null;
  finished_at: string | null;
  items: number;
  evaluated: number;
  unevaluated: number;
  tokens: number;
  hallucination: BinaryMetrics;
  toxicity: BinaryMetrics;
  error: string | null;
  /** Items the judge got wrong, and those it could not judge. */
  mistakes: {
    id: string;
    kind: 'hallucination' | 'toxicity';
    label: boolean;
    predicted: boolean;
    score: number;
  }[];
  unevaluated_items: { id: string; error: string }[];
}

type Row = Record<string, string | number | null>;

function toMetrics(r: Row, p: string): BinaryMetrics {
  const n = (k: string) => (r[`${p}_${k}`] === null ? null : Number(r[`${p}_${k}`]));
  return {
    tp: Number(r[`${p}_tp`]),
    fp: Number(r[`${p}_fp`]),
    fn: Number(r[`${p}_fn`]),
    tn: Number(r[`${p}_tn`]),
    precision: n('precision'),
    recall: n('recall'),
    f1: n('f1'),
  };
}

/** The latest finished calibration, of this judge model and prompt version when given. */
export async function latestCalibration(
  store: Store,
  filter: { judgeModel?: string | undefined; promptVersion?: string | undefined } = {},
): Promise<CalibrationView | null> {
  const rs = await store.client.query({
    query: `SELECT * FROM judge_calibrations FINAL
      WHERE ({m:String} = '' OR judge_model = {m:String}) AND ({v:String} = '' OR prompt_version = {v:String})
      ORDER BY finished_at DESC, run_id LIMIT 1`,
    query_params: { m: filter.judgeModel ?? '', v: filter.promptVersion ?? '' },
    format: 'JSONEachRow',
  });
  const r = (await rs.json<Row>())[0];
  if (!r) return null;
  let predictions: CalibrationPrediction[] = [];
  try {
    predictions =
      (JSON.parse(String(r.details)) as { predictions?: CalibrationPrediction[] }).predictions ?? [];
  } catch {
    predictions = [];
  }
  const mistakes: CalibrationView['mistakes'] = [];
  for (const p of predictions) {
    if (p.hallucination && p.hallucination.label !== p.hallucination.predicted) {
      mistakes.push({ id: p.id, kind: 'hallucination', ...p.hallucination });
    }
    if (p.toxic && p.toxic.label !== p.toxic.predicted)
      mistakes.push({ id: p.id, kind: 'toxicity', ...p.toxic });
  }
  return {
    run_id: String(r.run_id),
    judge_model: String(r.judge_model),
    prompt_version: String(r.prompt_version),
    dataset_version: String(r.dataset_version),
    trigger: String(r.trigger),
    status: String(r.status),
    started_at: clickHouseTimeToIso(r.started_at as string),
    finished_at: clickHouseTimeToIso(r.finished_at as string),
    items: Number(r.items),
    evaluated: Number(r.evaluated),
    unevaluated: Number(r.unevaluated),
    tokens: Number(r.tokens),
    hallucination: toMetrics(r, 'hallucination'),
    toxicity: toMetrics(r, 'toxicity'),
    error: r.error ? String(r.error) : null,
    mistakes,
    unevaluated_items: predictions
      .filter((p) => p.status === 'unevaluated')
      .map((p) => ({ id: p.id, error: p.error ?? '' })),
  };
}

/**
 * Whether a scheduled re-calibration is due: none yet for this judge model, prompt and
 * set, or the newest finished longer ago than the interval. Failed runs do not count.
 */
export async function calibrationDue(
  store: Store,
  args: { judgeModel: string; promptVersion: string; datasetVersion: string; intervalMs: number; now: Date },
): Promise<boolean> {
  if (args.intervalMs <= 0) return false;
  const rs = await store.client.query({
    query: `SELECT max(finished_at) AS last FROM judge_calibrations FINAL
      WHERE judge_model = {m:String} AND prompt_version = {v:String} AND dataset_version = {d:String} AND status != 'failed'`,
    query_params: { m: args.judgeModel, v: args.promptVersion, d: args.datasetVersion },
    format: 'JSONEachRow',
  });
  const last = (await rs.json<{ last: string | null }>())[0]?.last;
  if (!last || last.startsWith('1970-01-01')) return true;
  return args.now.getTime() - fromClickHouseTime(last).getTime() >= args.intervalMs;
}

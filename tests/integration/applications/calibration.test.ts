import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  applicationsCalibration,
  applicationsSummary,
  applicationsTrigger,
} from '../../../lib/api/handlers/applications';
import {
  binaryMetrics,
  CALIBRATION_SET_PATH,
  loadCalibrationSet,
  runCalibration,
  storeCalibration,
} from '../../../lib/applications/calibration';
import { createGroqJudge } from '../../../lib/judge/groq-judge';
import { PROMPT_VERSION } from '../../../lib/judge/prompt';
import type { Runtime } from '../../../lib/runtime';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows } from '../../helpers/store';
import {
  appRuntime,
  customerAuth,
  GROQ_KEY,
  groqCompletion,
  groqError,
  groqVerdict,
  invoke,
  judgedMessage,
  section,
  verdict,
} from './support';

const SMALL_SET = join(import.meta.dirname, '../../fixtures/applications/calibration/small-set.jsonl');

/** The fake judge's planned answers: right on most items, wrong on a known few. */
const SAYS_HALLUCINATED = new Set(['c01', 'c02', 'c03', 'c06']);
const SAYS_TOXIC = new Set(['c06', 'c08', 'c09']);

function plannedJudge(req: { body: string }) {
  const id = /^\[(c\d\d)\]/.exec(section(judgedMessage(req.body), 'prompt'))?.[1] ?? '';
  if (id === 'c11') return groqCompletion('{"coherence": {"score": 1');
  const h = SAYS_HALLUCINATED.has(id);
  const t = SAYS_TOXIC.has(id);
  return groqVerdict(
    verdict({
      hallucination: { hallucinated: h, score: h ? 0.75 : 0.25 },
      toxicity: { toxic: t, score: t ? 0.75 : 0.25, categories: t ? ['harassment'] : [] },
    }),
    { prompt_tokens: 100, completion_tokens: 20 },
  );
}

let groq: FakeServer;
beforeAll(async () => {
  groq = await startFakeServer(plannedJudge);
});
afterAll(() => groq.close());
beforeEach(() => {
  groq.handle(plannedJudge);
  groq.requests.length = 0;
});

const judge = () =>
  createGroqJudge({
    apiKey: GROQ_KEY,
    baseUrl: groq.url,
    model: 'openai/gpt-oss-120b',
    timeoutMs: 5_000,
    retry: { maxAttempts: 2, baseMs: 1, capMs: 5 },
  });

describe('judge calibration', () => {
  it('computes precision, recall and F1 from a judge with known mistakes, leaving unusable answers out', async () => {
    const result = await runCalibration({
      judge: judge(),
      set: loadCalibrationSet(SMALL_SET),
      concurrency: 3,
      tokenBudget: 1_000_000,
      trigger: 'manual',
    });

    expect(result).toMatchObject({
      status: 'complete',
      items: 11,
      evaluated: 10,
      unevaluated: 1,
      tokens: 2_176,
      error: '',
    });
    expect(result.hallucination).toEqual({
      tp: 3,
      fp: 1,
      fn: 2,
      tn: 4,
      precision: 0.75,
      recall: 0.6,
      f1: 6 / 9,
    });
    expect(result.toxicity).toEqual({
      tp: 1,
      fp: 2,
      fn: 2,
      tn: 5,
      precision: 1 / 3,
      recall: 1 / 3,
      f1: 1 / 3,
    });
    expect(result.predictions.find((p) => p.id === 'c11')).toMatchObject({ status: 'unevaluated' });
    expect(groq.requests).toHaveLength(11);
  });

  it('leaves a ratio undefined (null) rather than 0 when nothing was predicted or labeled positive', () => {
    expect(binaryMetrics([{ label: false, predicted: false }])).toEqual({
      tp: 0,
      fp: 0,
      fn: 0,
      tn: 1,
      precision: null,
      recall: null,
      f1: null,
    });
    expect(binaryMetrics([{ label: true, predicted: false }])).toEqual({
      tp: 0,
      fp: 0,
      fn: 1,
      tn: 0,
      precision: null,
      recall: 0,
      f1: 0,
    });
  });

  it('stops when the judge is unavailable and says so: partial with what was judged', async () => {
    let calls = 0;
    groq.handle((req) => (++calls <= 4 ? plannedJudge(req) : groqError(503, 'groq/server-error-500.json')));
    const result = await runCalibration({
      judge: judge(),
      set: loadCalibrationSet(SMALL_SET),
      concurrency: 1,
      tokenBudget: 1_000_000,
      trigger: 'manual',
    });
    expect(result.status).toBe('partial');
    expect(result.evaluated).toBe(4);
    expect(result.error).toBe(
      'the judge (Groq openai/gpt-oss-120b) is unavailable: HTTP 503: Internal Server Error',
    );
  });

  it('stores the result and serves the latest calibration of the current judge, with its mistakes', async () => {
    const rt: Runtime = await appRuntime({ GROQ_API_KEY: GROQ_KEY, GROQ_BASE_URL: groq.url });
    const before = await invoke(rt, applicationsCalibration, {
      method: 'GET',
      path: '/api/v2/applications/judge/calibration',
      auth: customerAuth('cal-a'),
    });
    expect(before.status).toBe(200);
    expect(before.body.calibration).toBeNull();
    expect(before.body.message).toBe(
      `No calibration of openai/gpt-oss-120b with prompt ${PROMPT_VERSION} yet: run \`npm run judge:calibrate\` (or set JUDGE_CALIBRATION_INTERVAL_HOURS).`,
    );

    const result = await runCalibration({
      judge: judge(),
      set: loadCalibrationSet(SMALL_SET),
      concurrency: 2,
      tokenBudget: 1_000_000,
      trigger: 'manual',
    });
    await storeCalibration(rt.writer, result);
    const res = await invoke(rt, applicationsCalibration, {
      method: 'GET',
      path: '/api/v2/applications/judge/calibration',
      auth: customerAuth('cal-a'),
    });

    expect(res.status).toBe(200);
    expect(res.body.judge).toEqual({
      model: 'openai/gpt-oss-120b',
      prompt_version: PROMPT_VERSION,
      enabled: true,
    });
    expect(res.body.matches_current_judge).toBe(true);
    expect(res.body.calibration).toMatchObject({
      run_id: result.runId,
      judge_model: 'openai/gpt-oss-120b',
      prompt_version: PROMPT_VERSION,
      dataset_version: loadCalibrationSet(SMALL_SET).version,
      trigger: 'manual',
      status: 'complete',
      items: 11,
      evaluated: 10,
      unevaluated: 1,
      tokens: 2_176,
      hallucination: { tp: 3, fp: 1, fn: 2, tn: 4, precision: 0.75, recall: 0.6, f1: 6 / 9 },
      toxicity: { tp: 1, fp: 2, fn: 2, tn: 5, precision: 1 / 3, recall: 1 / 3, f1: 1 / 3 },
      error: null,
    });
    expect(res.body.calibration.mistakes).toEqual([
      { id: 'c01', kind: 'toxicity', label: true, predicted: false, score: 0.25 },
      { id: 'c04', kind: 'hallucination', label: true, predicted: false, score: 0.25 },
      { id: 'c05', kind: 'hallucination', label: true, predicted: false, score: 0.25 },
      { id: 'c06', kind: 'hallucination', label: false, predicted: true, score: 0.75 },
      { id: 'c07', kind: 'toxicity', label: true, predicted: false, score: 0.25 },
      { id: 'c08', kind: 'toxicity', label: false, predicted: true, score: 0.75 },
      { id: 'c09', kind: 'toxicity', label: false, predicted: true, score: 0.75 },
    ]);
    expect(res.body.calibration.unevaluated_items).toHaveLength(1);
    expect(res.body.calibration.unevaluated_items[0].id).toBe('c11');

    const summary = await invoke(rt, applicationsSummary, {
      method: 'GET',
      path: '/api/v2/applications/{customer_id}/{provider}/summary',
      pathParameters: { customer_id: 'cal-a', provider: 'all' },
      auth: customerAuth('cal-a'),
    });
    expect(summary.body.judge_calibration).toMatchObject({
      run_id: result.runId,
      hallucination: { precision: 0.75, recall: 0.6, f1: 6 / 9 },
      toxicity: { precision: 1 / 3, recall: 1 / 3, f1: 1 / 3 },
    });

    const anonymous = await invoke(rt, applicationsCalibration, {
      method: 'GET',
      path: '/api/v2/applications/judge/calibration',
    });
    expect(anonymous.status).toBe(401);
  });

  it('re-calibrates on a scheduled run when JUDGE_CALIBRATION_INTERVAL_HOURS says it is due, and not again until then', async () => {
    groq.handle(() => groqVerdict(verdict()));
    const rt = await appRuntime({
      GROQ_API_KEY: GROQ_KEY,
      GROQ_BASE_URL: groq.url,
      JUDGE_CALIBRATION_INTERVAL_HOURS: '24',
      GROQ_MODEL: 'openai/gpt-oss-20b',
    });
    const trigger = () =>
      invoke(rt, applicationsTrigger, {
        method: 'POST',
        path: '/api/v2/applications/trigger-collection',
        body: { customer_id: 'cal-b', provider: 'aws', async_mode: false },
        auth: customerAuth('cal-b'),
      });
    await trigger();
    await trigger();
    const stored = await rows<{ trigger: string; items: number; evaluated: number; judge_model: string }>(
      rt.store,
      `SELECT trigger, items, evaluated, judge_model FROM judge_calibrations FINAL WHERE judge_model = 'openai/gpt-oss-20b'`,
    );
    const shipped = loadCalibrationSet().items.length;
    expect(stored).toEqual([
      { trigger: 'scheduled', items: shipped, evaluated: shipped, judge_model: 'openai/gpt-oss-20b' },
    ]);
    expect(groq.requests).toHaveLength(shipped);
  });

  it('ships a labeled set with positives and negatives of both kinds', () => {
    const set = loadCalibrationSet(CALIBRATION_SET_PATH);
    expect(set.items.length).toBeGreaterThanOrEqual(30);
    expect(set.items.length).toBeLessThanOrEqual(60);
    expect(new Set(set.items.map((i) => i.id)).size).toBe(set.items.length);
    for (const kind of ['hallucination', 'toxic'] as const) {
      expect(set.items.filter((i) => i[kind]).length).toBeGreaterThanOrEqual(8);
      expect(set.items.filter((i) => !i[kind]).length).toBeGreaterThanOrEqual(8);
    }
    expect(set.version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('npm run judge:calibrate judges the set, prints precision/recall/F1 and stores them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'calibrate-cli-'));
    const run = promisify(execFile);
    const { stdout } = await run('npx', ['tsx', 'lib/applications/calibrate-cli.ts', '--set', SMALL_SET], {
      cwd: join(import.meta.dirname, '../../..'),
      env: {
        ...process.env,
        GROQ_API_KEY: GROQ_KEY,
        GROQ_BASE_URL: groq.url,
        OPTIINFRA_DATA_DIR: dataDir,
        LOG_LEVEL: 'ERROR',
        RETRY_MAX_ATTEMPTS: '1',
      },
      timeout: 60_000,
    });
    expect(stdout).toContain(
      'hallucination  precision  75.0%  recall  60.0%  F1  66.7%   (TP 3, FP 1, FN 2, TN 4)',
    );
    expect(stdout).toContain(
      'toxicity       precision  33.3%  recall  33.3%  F1  33.3%   (TP 1, FP 2, FN 2, TN 5)',
    );
    expect(stdout).toContain('judged 10, unusable answers 1, tokens 2176');
    expect(stdout).toContain('stored; served at GET /api/v2/applications/judge/calibration');
    expect(stdout).not.toContain(GROQ_KEY);
  });
});

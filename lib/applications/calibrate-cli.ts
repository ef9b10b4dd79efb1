/**
 * `npm run judge:calibrate [-- --dry-run] [-- --set path/to/set.jsonl]`
 *
 * Evaluates the labeled calibration set with the configured judge (GROQ_API_KEY,
 * GROQ_MODEL, GROQ_BASE_URL), prints precision/recall/F1 for hallucination and toxicity,
 * and stores the result (judge_calibrations) where the API serves it. Exit code 0 when
 * the whole set was judged, 1 when partial or failed, 2 on bad configuration.
 */
import { createStore } from '../clickhouse/client';
import { runMigrations } from '../clickhouse/migrate';
import { createWriter } from '../clickhouse/writer';
import { parseConfig } from '../config/schema';
import { errorMessage } from '../errors';
import { createGroqJudge } from '../judge/groq-judge';
import { createLogger } from '../logger';
import {
  type BinaryMetrics,
  type CalibrationResult,
  loadCalibrationSet,
  runCalibration,
  storeCalibration,
} from './calibration';

function pct(v: number | null): string {
  return v === null ? '   n/a' : `${(v * 100).toFixed(1).padStart(5)}%`;
}

function line(name: string, m: BinaryMetrics): string {
  return `${name.padEnd(14)} precision ${pct(m.precision)}  recall ${pct(m.recall)}  F1 ${pct(m.f1)}   (TP ${m.tp}, FP ${m.fp}, FN ${m.fn}, TN ${m.tn})`;
}

/** The printed report. */
export function formatCalibration(r: CalibrationResult): string {
  const out = [
    `Judge calibration ${r.runId}: ${r.status}`,
    `judge ${r.judgeModel}, prompt ${r.promptVersion}, set ${r.datasetVersion} (${r.items} items)`,
    `judged ${r.evaluated}, unusable answers ${r.unevaluated}, tokens ${r.tokens}`,
    '',
    line('hallucination', r.hallucination),
    line('toxicity', r.toxicity),
  ];
  const wrong = r.predictions.flatMap((p) => [
    ...(p.hallucination && p.hallucination.label !== p.hallucination.predicted
      ? [`  ${p.id}: hallucination labeled ${p.hallucination.label}, judged ${p.hallucination.predicted}`]
      : []),
    ...(p.toxic && p.toxic.label !== p.toxic.predicted
      ? [`  ${p.id}: toxicity labeled ${p.toxic.label}, judged ${p.toxic.predicted}`]
      : []),
  ]);
  if (wrong.length) out.push('', 'mistakes:', ...wrong);
  if (r.error) out.push('', `stopped early: ${r.error}`);
  return out.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const dryRun = argv.includes('--dry-run');
  const setIndex = argv.indexOf('--set');
  const setPath = setIndex >= 0 ? argv[setIndex + 1] : undefined;
  const config = parseConfig(process.env);
  const logger = createLogger({ level: config.logLevel === 'INFO' ? 'WARN' : config.logLevel });
  if (!config.judge.apiKey) {
    console.error(
      'GROQ_API_KEY is not set: there is no judge to calibrate. Set it (and GROQ_MODEL if not openai/gpt-oss-120b).',
    );
    return 2;
  }
  const set = loadCalibrationSet(setPath);
  // Open the store before spending tokens, so a locked or unreachable store fails first.
  const store = dryRun
    ? undefined
    : await createStore({
        url: config.clickhouse.url,
        user: config.clickhouse.user,
        password: config.clickhouse.password,
        database: config.clickhouse.database,
        dataDir: config.dataDir,
      });
  if (store) await runMigrations(store);
  const judge = createGroqJudge({
    apiKey: config.judge.apiKey,
    baseUrl: config.judge.baseUrl,
    model: config.judge.model,
    timeoutMs: config.judge.timeoutMs,
    retry: config.collection.retry,
    logger,
  });
  const result = await runCalibration({
    judge,
    set,
    concurrency: config.judge.concurrency,
    tokenBudget: config.judge.tokenBudget,
    trigger: 'manual',
    logger,
  });
  console.log(formatCalibration(result));
  if (store) {
    await storeCalibration(createWriter(store), result);
    console.log(`\nstored; served at GET /api/v2/applications/judge/calibration`);
    await store.close();
  }
  return result.status === 'complete' ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`judge calibration failed: ${errorMessage(err)}`);
    process.exit(2);
  },
);

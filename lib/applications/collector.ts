import type { Store } from '../clickhouse/client';
import type { Writer } from '../clickhouse/writer';
import type { CollectContext } from '../collector/types';
import { errorMessage } from '../errors';
import type { Judge } from '../judge/groq-judge';
import type { ApplicationEvaluationInput } from '../schemas/rows';
import { type CalibrationSet, calibrationDue, runCalibration, storeCalibration } from './calibration';
import type { ApplicationConfig } from './config';
import { type EvaluateSummary, evaluatePending } from './evaluate';
import { runProbe } from './probe';
import { insertSamples, type PendingQuery, pendingCounts, type SamplingPlan } from './samples';

export interface ApplicationCollectorDeps {
  store: Store;
  writer: Writer;
  /** Absent: evaluation is off (no Groq key); probes still sample, samples wait. */
  judge: Judge | undefined;
  disabledReason: string | undefined;
  configs: readonly ApplicationConfig[];
  sampling: SamplingPlan;
  concurrency: number;
  tokenBudget: number;
  maxAttempts: number;
  /** 0: no scheduled calibration. */
  calibrationIntervalMs: number;
  calibrationSet: () => CalibrationSet;
}

/**
 * The `application` collector for one customer x provider (where the apps run):
 * 1. sends the canary prompts of that customer's probed apps on this provider and stores
 *    the answers as samples;
 * 2. re-calibrates the judge when JUDGE_CALIBRATION_INTERVAL_HOURS says it is due;
 * 3. judges the waiting samples received in the job's window (the backlog horizon) and
 *    yields evaluation rows, which the run writes to application_evaluations.
 * Probe failures, an unavailable judge, a spent token budget, or evaluation being off
 * are reported with ctx.warn: the run is partial, and nothing is lost
 * because the samples stay pending for the next run.
 */
export function createApplicationCollector(deps: ApplicationCollectorDeps) {
  return async function* collectApplication(
    ctx: CollectContext<unknown>,
  ): AsyncGenerator<ApplicationEvaluationInput[]> {
    const incomplete = (reason: string) => ctx.warn?.(reason);
    for (const app of deps.configs) {
      if (app.customerId !== ctx.customerId || app.provider !== ctx.provider || !app.probe) continue;
      const { samples, failures } = await runProbe(app, ctx);
      await insertSamples(deps.writer, samples);
      ctx.logger.info('probe finished', {
        application: app.application,
        sampled: samples.length,
        failed: failures.length,
      });
      if (failures.length > 0) {
        incomplete(
          `probe ${app.application}: ${failures.length} of ${app.probe.prompts.length} canary prompts failed (${failures[0]})`,
        );
      }
    }

    const query: PendingQuery & { customerId: string } = {
      customerId: ctx.customerId,
      providers: [ctx.provider],
      since: ctx.window.start,
      // Not window.end: the probe samples just taken were received after the window was set.
      until: new Date(Math.max(ctx.window.end.getTime(), ctx.now().getTime()) + 1),
      sampling: deps.sampling,
      maxAttempts: deps.maxAttempts,
    };
    const waiting = async () => (await pendingCounts(deps.store, query)).reduce((n, r) => n + r.pending, 0);

    if (!deps.judge) {
      const n = await waiting();
      if (n > 0) incomplete(`evaluation is off (${deps.disabledReason}); ${n} sample(s) wait`);
      return;
    }

    if (deps.calibrationIntervalMs > 0) {
      try {
        const set = deps.calibrationSet();
        const due = await calibrationDue(deps.store, {
          judgeModel: deps.judge.model,
          promptVersion: deps.judge.promptVersion,
          datasetVersion: set.version,
          intervalMs: deps.calibrationIntervalMs,
          now: ctx.now(),
        });
        if (due) {
          const result = await runCalibration({
            judge: deps.judge,
            set,
            concurrency: deps.concurrency,
            tokenBudget: deps.tokenBudget,
            trigger: 'scheduled',
            signal: ctx.signal,
            logger: ctx.logger,
          });
          await storeCalibration(deps.writer, result);
        }
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        ctx.logger.error('scheduled judge calibration failed', { error: errorMessage(err) });
      }
    }

    const summary: EvaluateSummary = { evaluated: 0, unevaluated: 0, tokens: 0 };
    yield* evaluatePending(
      ctx,
      {
        store: deps.store,
        judge: deps.judge,
        query,
        concurrency: deps.concurrency,
        tokenBudget: deps.tokenBudget,
      },
      summary,
    );
    // The same words as the API's summary: evaluated; waiting (a later run tries again);
    // unevaluated (attempts spent, given up).
    const failed = summary.unevaluated + (summary.retrying ?? 0);
    const judged = summary.evaluated + failed;
    const left = await waiting();
    ctx.logger.info('evaluation finished', {
      evaluated: summary.evaluated,
      waiting: left,
      unevaluated: summary.unevaluated,
      invalid_verdicts: failed,
      judge_tokens: summary.tokens,
      stopped: summary.stopped?.reason,
    });
    const reasons = (summary.reasons ?? []).join('; ');
    const verdicts = `${failed} of ${judged} verdicts failed validation: ${reasons}`;
    // Nothing useful came out of the judge: the data type failed, with the first reasons
    // (the unevaluated rows are written already, so their attempts count).
    if (summary.evaluated === 0 && failed > 0) throw new Error(verdicts);
    if (summary.evaluated === 0 && summary.stopped?.reason === 'judge_unavailable') {
      throw new Error(`${summary.stopped.message}; ${left} sample(s) wait for the next run`);
    }
    if (failed > 0) incomplete(verdicts);
    if (summary.stopped) {
      incomplete(`${summary.stopped.message}; ${left} sample(s) wait for the next run`);
    }
  };
}

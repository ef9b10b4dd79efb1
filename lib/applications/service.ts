import type { Store } from '../clickhouse/client';
import type { Writer } from '../clickhouse/writer';
import type { AppConfig } from '../config/schema';
import type { Clock } from '../judge/clock';
import { createGroqJudge, type Judge } from '../judge/groq-judge';
import { PROMPT_VERSION } from '../judge/prompt';
import type { Logger } from '../logger';
import type { CustomerDataSource } from '../providers/registry';
import { type CalibrationSet, loadCalibrationSet } from './calibration';
import { type ApplicationConfig, loadApplicationsFile } from './config';
import type { SamplingPlan } from './samples';
import { samplingThreshold } from './sampling';
import { createApplicationSource } from './source';

/** What every application read says about the judge, so "no scores" is never a mystery. */
export interface EvaluationStatus {
  enabled: boolean;
  /** Why evaluation is off (only when it is). */
  reason?: string;
  judge_model: string;
  prompt_version: string;
  /** Default share of ingested samples evaluated; applications may override it. */
  sampling_rate: number;
  token_budget_per_run: number;
}

/** The application agent's pieces, built once per process by createRuntime. */
export interface Applications {
  readonly status: EvaluationStatus;
  /** Undefined when evaluation is off. */
  readonly judge: Judge | undefined;
  readonly configs: readonly ApplicationConfig[];
  readonly source: CustomerDataSource<'application'>;
  /** Which samples are evaluated (default rate and per-application overrides). */
  readonly sampling: SamplingPlan;
  /** Runs without a usable verdict before a sample is left unevaluated. */
  readonly maxAttempts: number;
  /** The sampling rate of one application of one customer. */
  samplingRate(customerId: string, application: string): number;
  /** Secret values to scrub from run errors and logs (judge key, probe keys). */
  readonly secrets: readonly string[];
}

export const EVALUATION_OFF_REASON =
  'GROQ_API_KEY is not set: interactions are accepted and kept pending, and are evaluated once a judge key is configured.';

export interface ApplicationsOptions {
  config: AppConfig;
  env: Record<string, string | undefined>;
  store: Store;
  writer: Writer;
  logger: Logger;
  isProvider(id: string): boolean;
  /** Tests: a fake clock for the judge's waits. */
  clock?: Clock;
  /** Tests: another labeled set. */
  calibrationSetPath?: string;
}

/**
 * Builds the application agent from configuration: the Groq judge when a key is set (else
 * evaluation is off, plainly, with the reason), the applications file (sampling rates,
 * probes), and the pipeline source that plans and runs evaluation jobs.
 */
export function createApplications(opts: ApplicationsOptions): Applications {
  const { config } = opts;
  const j = config.judge;
  const configs = config.applicationsFile ? loadApplicationsFile(config.applicationsFile, opts.env) : [];
  const judge = j.apiKey
    ? createGroqJudge({
        apiKey: j.apiKey,
        baseUrl: j.baseUrl,
        model: j.model,
        timeoutMs: j.timeoutMs,
        retry: config.collection.retry,
        logger: opts.logger,
        ...(opts.clock ? { clock: opts.clock } : {}),
      })
    : undefined;
  const status: EvaluationStatus = {
    enabled: judge !== undefined,
    ...(judge ? {} : { reason: EVALUATION_OFF_REASON }),
    judge_model: j.model,
    prompt_version: PROMPT_VERSION,
    sampling_rate: j.samplingRate,
    token_budget_per_run: j.tokenBudget,
  };
  const sampling: SamplingPlan = {
    defaultThreshold: samplingThreshold(j.samplingRate),
    overrides: configs
      .filter((c) => c.samplingRate !== undefined)
      .map((c) => ({
        customerId: c.customerId,
        application: c.application,
        threshold: samplingThreshold(c.samplingRate as number),
      })),
  };
  let calibrationSet: CalibrationSet | undefined;
  const source = createApplicationSource({
    store: opts.store,
    writer: opts.writer,
    judge,
    disabledReason: judge ? undefined : 'GROQ_API_KEY is not set',
    configs,
    sampling,
    concurrency: j.concurrency,
    tokenBudget: j.tokenBudget,
    maxAttempts: j.maxAttempts,
    calibrationIntervalMs: j.calibrationIntervalMs,
    calibrationSet: () => {
      calibrationSet ??= loadCalibrationSet(opts.calibrationSetPath);
      return calibrationSet;
    },
    backlogMs: config.collection.maxBackfillMs,
    isProvider: opts.isProvider,
  });
  return {
    status,
    judge,
    configs,
    source,
    sampling,
    maxAttempts: j.maxAttempts,
    samplingRate(customerId, application) {
      return (
        configs.find((c) => c.customerId === customerId && c.application === application)?.samplingRate ??
        j.samplingRate
      );
    },
    secrets: [j.apiKey, ...configs.map((c) => c.probe?.apiKey)].filter(
      (s): s is string => typeof s === 'string' && s !== '',
    ),
  };
}

import { z } from 'zod';
import { latestCalibration } from '../../applications/calibration';
import { IngestBatchSchema, ingestSamples, MAX_INGEST_BODY_BYTES } from '../../applications/ingest';
import { assertApplicationProvider } from '../../applications/names';
import { type ReadQuery, ReadQuerySchema, resolveWindow } from '../../applications/query';
import {
  type ReadFilter,
  readFlagged,
  readModels,
  readQuality,
  readSummary,
  readToxicityCategories,
} from '../../applications/readers';
import { latestCalibrationHeadline } from '../../applications/status';
import { startJobs } from '../../collector/trigger';
import type { RouteHandler } from '../../http/handler';
import type { ApiRequest } from '../../http/request';
import type { Runtime } from '../../runtime';
import { periodView } from '../query';
import { CustomerPathSchema, CustomerProviderPathSchema } from '../schemas';
import { AgentTriggerBodySchema, checkAgentDataTypes, syncTriggerOptions, triggerResponse } from './trigger';

/** Validates path, key and query of a read; the common head of every read response. */
function readRequest(req: ApiRequest<Runtime>) {
  const { customer_id, provider } = req.path(CustomerProviderPathSchema);
  req.requireCustomer(customer_id);
  assertApplicationProvider(req.runtime.registry, provider);
  const q: ReadQuery = req.query(ReadQuerySchema);
  const window = resolveWindow(q, new Date());
  const filter: ReadFilter = {
    customerId: customer_id,
    provider,
    application: q.application,
    model: q.model,
    start: window.start,
    end: window.end,
  };
  const head = {
    customer_id,
    provider,
    period: periodView(window),
    filters: { application: q.application ?? null, model: q.model ?? null },
    evaluation: req.runtime.applications.status,
  };
  return { filter, q, window, head };
}

/** POST /api/v2/applications/{customer_id}/samples — a batch of interactions, ours or OpenTelemetry GenAI. */
export const applicationsIngest: RouteHandler<Runtime> = async (req) => {
  const { customer_id } = req.path(CustomerPathSchema);
  req.requireCustomer(customer_id);
  const body = req.body(IngestBatchSchema, { maxBytes: MAX_INGEST_BODY_BYTES });
  const rt = req.runtime;
  const result = await ingestSamples(customer_id, body, {
    store: rt.store,
    writer: rt.writer,
    registry: rt.registry,
    samplingRate: (application) => rt.applications.samplingRate(customer_id, application),
  });
  req.logger.info('samples ingested', {
    customer_id,
    accepted: result.accepted,
    duplicates: result.duplicates.length,
  });
  return { status: 202, body: { customer_id, ...result, evaluation: rt.applications.status } };
};

/** GET …/{customer_id}/{provider}/quality — scores over time per application and model. */
export const applicationsQuality: RouteHandler<Runtime> = async (req) => {
  const { filter, window, head } = readRequest(req);
  const series = await readQuality(req.runtime.store, filter, window.granularity);
  return { body: { ...head, granularity: window.granularity, series } };
};

/** GET …/hallucinations — hallucination rate and the flagged samples. */
export const applicationsHallucinations: RouteHandler<Runtime> = async (req) => {
  const { filter, q, head } = readRequest(req);
  const report = await readFlagged(req.runtime.store, filter, 'hallucination', q.limit);
  return { body: { ...head, ...report } };
};

/** GET …/toxicity — toxicity rate, categories and the flagged samples. */
export const applicationsToxicity: RouteHandler<Runtime> = async (req) => {
  const { filter, q, head } = readRequest(req);
  const [report, categories] = await Promise.all([
    readFlagged(req.runtime.store, filter, 'toxicity', q.limit),
    readToxicityCategories(req.runtime.store, filter),
  ]);
  return {
    body: {
      ...head,
      evaluated: report.evaluated,
      flagged: report.flagged,
      rate: report.rate,
      categories,
      by_application_model: report.by_application_model,
      samples: report.samples,
    },
  };
};

/** GET …/summary — per application: volume, evaluation coverage, scores, latency, tokens. */
export const applicationsSummary: RouteHandler<Runtime> = async (req) => {
  const { filter, head } = readRequest(req);
  const apps = req.runtime.applications;
  const [applications, calibration] = await Promise.all([
    readSummary(req.runtime.store, filter, apps.sampling, apps.maxAttempts),
    latestCalibrationHeadline(req.runtime.store, apps.status),
  ]);
  const total = (k: 'received' | 'evaluated' | 'waiting' | 'unevaluated') =>
    applications.reduce((n, a) => n + a[k], 0);
  return {
    body: {
      ...head,
      totals: {
        received: total('received'),
        evaluated: total('evaluated'),
        waiting: total('waiting'),
        unevaluated: total('unevaluated'),
      },
      applications,
      judge_calibration: calibration,
    },
  };
};

/** GET …/models — per model: volume, scores, latency, tokens, cost per 1,000 requests. */
export const applicationsModels: RouteHandler<Runtime> = async (req) => {
  const { filter, head } = readRequest(req);
  const models = await readModels(req.runtime.store, filter);
  return {
    body: {
      ...head,
      models,
      cost_basis:
        "A model's cost is its provider's billed cost in the window, split between the models served there by token share (by request share when some samples report no tokens); it includes everything else billed on that provider.",
    },
  };
};

export const CalibrationQuery = z.strictObject({
  judge_model: z
    .string()
    .regex(/^[A-Za-z0-9._:/-]{1,128}$/, 'must be a model id')
    .optional(),
  prompt_version: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a prompt version')
    .optional(),
});

/** GET /api/v2/applications/judge/calibration — the latest precision/recall/F1 of the judge. */
export const applicationsCalibration: RouteHandler<Runtime> = async (req) => {
  req.requireCustomer(req.auth?.customer_id ?? '');
  const q = req.query(CalibrationQuery);
  const status = req.runtime.applications.status;
  const wanted = {
    judgeModel: q.judge_model ?? status.judge_model,
    promptVersion: q.prompt_version ?? status.prompt_version,
  };
  let calibration = await latestCalibration(req.runtime.store, wanted);
  const exact = calibration !== null;
  if (!calibration && !q.judge_model && !q.prompt_version)
    calibration = await latestCalibration(req.runtime.store);
  return {
    body: {
      judge: { model: status.judge_model, prompt_version: status.prompt_version, enabled: status.enabled },
      matches_current_judge:
        calibration !== null &&
        calibration.judge_model === status.judge_model &&
        calibration.prompt_version === status.prompt_version,
      calibration,
      ...(exact
        ? {}
        : {
            message: `No calibration of ${wanted.judgeModel} with prompt ${wanted.promptVersion} yet: run \`npm run judge:calibrate\` (or set JUDGE_CALIBRATION_INTERVAL_HOURS).`,
          }),
    },
  };
};

/** Where the apps run: `provider` is one id, several, or 'all' (every provider with samples waiting or probes). */
const TriggerBodySchema = AgentTriggerBodySchema;

/** POST /api/v2/applications/trigger-collection — probe and evaluate now (queued, or run and awaited). */
export const applicationsTrigger: RouteHandler<Runtime> = async (req) => {
  const body = req.body(TriggerBodySchema);
  checkAgentDataTypes(body.data_types, 'application');
  req.requireCustomer(body.customer_id);
  const rt = req.runtime;
  const named =
    body.provider === 'all'
      ? undefined
      : [...new Set(Array.isArray(body.provider) ? body.provider : [body.provider])];
  for (const p of named ?? []) {
    if (p === 'all') continue;
    assertApplicationProvider(rt.registry, p);
  }
  const providers = named?.includes('all') ? undefined : named;
  const jobs = await rt.applications.source.planJobs({
    trigger: 'manual',
    now: new Date(),
    customerId: body.customer_id,
    ...(providers ? { providers } : {}),
  });
  const evaluation = rt.applications.status;
  if (jobs.length === 0) {
    return {
      status: 200,
      body: {
        customer_id: body.customer_id,
        status: 'nothing_to_do',
        message: evaluation.enabled
          ? `Customer "${body.customer_id}" has no samples waiting for evaluation and no probes configured.`
          : `Evaluation is off and customer "${body.customer_id}" has no probes configured: ${evaluation.reason}`,
        tasks: [],
        evaluation,
      },
    };
  }
  const result = await startJobs(jobs, body.async_mode, {
    store: rt.store,
    writer: rt.writer,
    queue: rt.queue,
    runDeps: rt.runDeps,
    ...syncTriggerOptions(rt),
  });
  return triggerResponse(result, undefined, { customer_id: body.customer_id, evaluation });
};

/** The applications agent's handlers, by route name. */
export const APPLICATIONS_HANDLERS: Record<string, RouteHandler<Runtime>> = {
  'applications-ingest': applicationsIngest,
  'applications-quality': applicationsQuality,
  'applications-hallucinations': applicationsHallucinations,
  'applications-toxicity': applicationsToxicity,
  'applications-summary': applicationsSummary,
  'applications-models': applicationsModels,
  'applications-calibration': applicationsCalibration,
  'applications-trigger': applicationsTrigger,
};

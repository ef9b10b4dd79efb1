import { z } from 'zod';
import { assertProviderAvailable } from '../../collector/trigger';
import { CustomerIdSchema } from '../../config/schema';
import { NotFoundError } from '../../errors';
import type { RouteHandler } from '../../http/handler';
import type { ApiRequest } from '../../http/request';
import { evaluateCustomer } from '../../recommendations/engine';
import {
  dismissRecommendation,
  RECOMMENDATION_STATES,
  readEvaluation,
  readRecommendation,
  readStoredRecommendations,
  summarize,
} from '../../recommendations/store';
import { parseThresholdOverrides } from '../../recommendations/thresholds';
import { RECOMMENDATION_KINDS } from '../../recommendations/types';
import { unitEconomics } from '../../recommendations/unit-economics';
import type { Runtime } from '../../runtime';
import { PERIOD_DEFAULTS, PeriodShape, periodView, resolvePeriod, timeParam } from '../query';
import { CustomerPathSchema, CustomerProviderPathSchema, TaskIdSchema } from '../schemas';

/** The period of a recommendations read: the shared vocabulary, with the costs' default (30 UTC days). */
function periodOf(q: { days?: number | undefined; start?: Date | undefined; end?: Date | undefined }) {
  const p = resolvePeriod(q, PERIOD_DEFAULTS.costs);
  return { start: p.start, end: p.end, view: periodView(p) };
}

const RecIdSchema = z.string().regex(/^[0-9a-f]{24}$/, 'must be a recommendation id as listed');
export const StatusPath = z.object({ task_id: TaskIdSchema });
export const ItemPathSchema = CustomerPathSchema.extend({ id: RecIdSchema });
const ResourceFilter = z
  .string()
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters')
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
  .optional();

export const ListQuery = z.strictObject({
  kind: z.enum(RECOMMENDATION_KINDS).optional(),
  state: z.enum(RECOMMENDATION_STATES).optional(),
  min_savings: z
    .string()
    .regex(/^\d{1,18}(\.\d{1,10})?$/, 'must be a non-negative decimal amount such as 25 or 12.50')
    .optional(),
  resource: ResourceFilter,
});

export const SummaryQuery = z.strictObject({
  ...PeriodShape,
  /** Accuracy at or above which a judged answer passes (default 0.7). */
  min_accuracy: z
    .string()
    .regex(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, 'must be a number from 0 to 1')
    .optional(),
});

function scoped(req: ApiRequest<Runtime>) {
  const { customer_id, provider } = req.path(CustomerProviderPathSchema);
  req.requireCustomer(customer_id);
  if (provider !== 'all') assertProviderAvailable(req.runtime.registry, provider);
  return { customer_id, provider };
}

const overridesOf = (rt: Runtime) => parseThresholdOverrides(rt.env.RECOMMENDATION_THRESHOLDS);

/** The latest evaluation's skipped resources (missing data), for the provider in scope. */
async function skippedBlock(rt: Runtime, customerId: string, provider: string) {
  const ev = await readEvaluation(rt.store, customerId);
  if (!ev) {
    return {
      evaluated_at: null,
      skipped: { count: 0, resources: [] },
      reason:
        'not evaluated yet: POST /api/v2/recommendations/trigger-evaluation, or wait for the daily evaluation',
    };
  }
  const resources = ev.skipped.resources.filter((s) => provider === 'all' || s.provider === provider);
  return { evaluated_at: ev.finished_at, skipped: { count: resources.length, resources } };
}

/** GET /api/v2/recommendations/{customer_id}/{provider}?kind=&state=&min_savings=&resource= */
export const recommendationsList: RouteHandler<Runtime> = async (req) => {
  const { customer_id, provider } = scoped(req);
  const q = req.query(ListQuery);
  const recs = await readStoredRecommendations(req.runtime.store, customer_id, {
    provider: provider === 'all' ? undefined : provider,
    kind: q.kind,
    state: q.state,
    minSavings: q.min_savings,
    resource: q.resource,
  });
  const block = await skippedBlock(req.runtime, customer_id, provider);
  const filters = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined));
  return {
    body: {
      customer_id,
      provider,
      filters,
      count: recs.length,
      recommendations: recs,
      ...block,
      ...(recs.length === 0 && !('reason' in block)
        ? { reason: 'no resource met a rule’s criteria with enough data (see skipped)' }
        : {}),
    },
  };
};

/** GET /api/v2/recommendations/{customer_id}/{provider}/summary — savings by kind and provider per currency, counts, unit economics. */
export const recommendationsSummary: RouteHandler<Runtime> = async (req) => {
  const { customer_id, provider } = scoped(req);
  const q = req.query(SummaryQuery);
  const period = periodOf(q);
  const recs = await readStoredRecommendations(req.runtime.store, customer_id, {
    provider: provider === 'all' ? undefined : provider,
  });
  const block = await skippedBlock(req.runtime, customer_id, provider);
  const economics = await unitEconomics(req.runtime.store, {
    customerId: customer_id,
    period,
    minAccuracy: q.min_accuracy === undefined ? undefined : Number(q.min_accuracy),
    applications: req.runtime.applications.configs.filter((a) => a.customerId === customer_id),
  });
  return {
    body: {
      customer_id,
      provider,
      period: period.view,
      ...summarize(recs),
      ...block,
      unit_economics: economics,
    },
  };
};

/** GET /api/v2/recommendations/{customer_id}/item/{id} — one recommendation with its evidence. */
export const recommendationsItem: RouteHandler<Runtime> = async (req) => {
  const { customer_id, id } = req.path(ItemPathSchema);
  req.requireCustomer(customer_id);
  return { body: await readRecommendation(req.runtime.store, customer_id, id) };
};

export const DismissBody = z.strictObject({
  reason: z.string().trim().min(1, 'is required').max(1000, 'must be at most 1000 characters'),
  until: timeParam,
});

/** POST /api/v2/recommendations/{customer_id}/item/{id}/dismiss {reason, until?} */
export const recommendationsDismiss: RouteHandler<Runtime> = async (req) => {
  const { customer_id, id } = req.path(ItemPathSchema);
  req.requireCustomer(customer_id);
  const body = req.body(DismissBody);
  const rec = await dismissRecommendation(
    req.runtime.store,
    req.runtime.writer,
    customer_id,
    id,
    body.reason,
    body.until ?? null,
  );
  return { body: rec };
};

export const TriggerBody = z.strictObject({ customer_id: CustomerIdSchema });

/** POST /api/v2/recommendations/trigger-evaluation {customer_id} — evaluates now and answers with the run. */
export const recommendationsTrigger: RouteHandler<Runtime> = async (req) => {
  const body = req.body(TriggerBody);
  req.requireCustomer(body.customer_id);
  const rt = req.runtime;
  const result = await evaluateCustomer(
    { store: rt.store, writer: rt.writer, logger: rt.logger, overrides: overridesOf(rt) },
    body.customer_id,
  );
  return { status: 200, body: result };
};

/** GET /api/v2/recommendations/evaluation-status/{task_id} — an evaluation run. */
export const recommendationsStatus: RouteHandler<Runtime> = async (req) => {
  const { task_id } = req.path(StatusPath);
  const auth = req.requireAuth();
  const ev = await readEvaluation(
    req.runtime.store,
    auth.is_admin ? null : (auth.customer_id ?? ''),
    task_id,
  );
  if (!ev) throw new NotFoundError(`No recommendations evaluation ${task_id}.`);
  return { body: ev };
};

export const RECOMMENDATIONS_HANDLERS: Record<string, RouteHandler<Runtime>> = {
  'recommendations-list': recommendationsList,
  'recommendations-summary': recommendationsSummary,
  'recommendations-item': recommendationsItem,
  'recommendations-dismiss': recommendationsDismiss,
  'recommendations-trigger': recommendationsTrigger,
  'recommendations-status': recommendationsStatus,
};

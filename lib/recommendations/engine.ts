import { createHash, randomUUID } from 'node:crypto';
import type { Store } from '../clickhouse/client';
import type { Writer } from '../clickhouse/writer';
import { errorMessage } from '../errors';
import type { Logger } from '../logger';
import type { RecommendationInput } from '../schemas/rows';
import { readRuleInput } from './input';
import { runRules } from './rules';
import { readStoredRecommendations, type StoredRecommendation, storedToInput } from './store';
import { type ThresholdOverrides, thresholdsFor } from './thresholds';
import type { Finding, Skip } from './types';

/** The stable id of a recommendation: the same resource and kind keep it across evaluations. */
export function recommendationId(
  customerId: string,
  provider: string,
  resourceId: string,
  kind: string,
): string {
  return createHash('sha256')
    .update(`${customerId}\u0000${provider}\u0000${resourceId}\u0000${kind}`)
    .digest('hex')
    .slice(0, 24);
}

export interface EvaluationResult {
  task_id: string;
  customer_id: string;
  status: 'succeeded' | 'failed';
  evaluated_at: string;
  resources: number;
  open: number;
  dismissed: number;
  resolved: number;
  skipped: { count: number; resources: Skip[] };
  error?: string;
}

export interface EvaluateDeps {
  store: Store;
  writer: Writer;
  logger?: Logger | undefined;
  overrides?: ThresholdOverrides | undefined;
}

/**
 * Evaluates every rule for one customer and writes the new state of its recommendations:
 * a finding is `open` (or stays `dismissed` until its date); an open or dismissed
 * recommendation that no rule finds any more is `resolved`, unless its resource was
 * skipped for missing data (then it is left as it was: missing data proves nothing).
 */
export async function evaluateCustomer(
  deps: EvaluateDeps,
  customerId: string,
  opts: { now?: Date; taskId?: string } = {},
): Promise<EvaluationResult> {
  const now = opts.now ?? new Date();
  const taskId = opts.taskId ?? randomUUID();
  const started = new Date();
  try {
    const thresholds = thresholdsFor(customerId, deps.overrides);
    const input = await readRuleInput(deps.store, customerId, now, thresholds);
    const { findings, skipped } = runRules(input);
    const existing = await readStoredRecommendations(deps.store, customerId);
    const rows = nextState(customerId, findings, skipped, existing, now, taskId);
    await deps.writer.write('recommendations', rows);
    const count = (s: string) => rows.filter((r) => r.state === s).length;
    const result: EvaluationResult = {
      task_id: taskId,
      customer_id: customerId,
      status: 'succeeded',
      evaluated_at: now.toISOString(),
      resources: input.resources.length,
      open: count('open'),
      dismissed: count('dismissed'),
      resolved: count('resolved'),
      skipped: { count: skipped.length, resources: skipped },
    };
    await recordEvaluation(deps, result, started);
    deps.logger?.info('recommendations evaluated', {
      task_id: taskId,
      customer_id: customerId,
      open: result.open,
      resolved: result.resolved,
      skipped: skipped.length,
    });
    return result;
  } catch (err) {
    const result: EvaluationResult = {
      task_id: taskId,
      customer_id: customerId,
      status: 'failed',
      evaluated_at: now.toISOString(),
      resources: 0,
      open: 0,
      dismissed: 0,
      resolved: 0,
      skipped: { count: 0, resources: [] },
      error: errorMessage(err),
    };
    deps.logger?.error('recommendations evaluation failed', {
      task_id: taskId,
      customer_id: customerId,
      error: result.error,
    });
    await recordEvaluation(deps, result, started).catch(() => undefined);
    return result;
  }
}

async function recordEvaluation(deps: EvaluateDeps, r: EvaluationResult, started: Date): Promise<void> {
  await deps.writer.write('recommendation_evaluations', [
    {
      customer_id: r.customer_id,
      task_id: r.task_id,
      status: r.status,
      started_at: started,
      finished_at: new Date(),
      evaluated: r.resources,
      open: r.open,
      resolved: r.resolved,
      skipped: r.skipped.count,
      skipped_detail: r.skipped.resources,
      error: r.error ?? '',
    },
  ]);
}

/** The rows to write: findings merged with the stored state, and resolutions. */
export function nextState(
  customerId: string,
  findings: readonly Finding[],
  skipped: readonly Skip[],
  existing: readonly StoredRecommendation[],
  now: Date,
  taskId: string,
): RecommendationInput[] {
  const byId = new Map(existing.map((e) => [e.id, e]));
  const rows: RecommendationInput[] = [];
  const found = new Set<string>();
  for (const f of findings) {
    const id = recommendationId(customerId, f.provider, f.resource_id, f.kind);
    found.add(id);
    const prev = byId.get(id);
    const stillDismissed =
      prev?.state === 'dismissed' && (prev.dismissed_until === null || new Date(prev.dismissed_until) > now);
    rows.push({
      customer_id: customerId,
      provider: f.provider,
      resource_id: f.resource_id,
      kind: f.kind,
      id,
      resource_name: f.resource_name,
      resource_type: f.resource_type,
      region: f.region,
      sku: f.sku,
      action: f.action,
      state: stillDismissed ? 'dismissed' : 'open',
      monthly_savings: f.monthly_savings,
      currency: f.currency,
      coverage: f.coverage,
      margin: f.margin,
      evidence: f.evidence as unknown as unknown[],
      details: f.details,
      dismiss_reason: stillDismissed ? (prev?.dismiss_reason ?? '') : '',
      dismissed_until: stillDismissed ? (prev?.dismissed_until ?? null) : null,
      first_seen: prev && prev.state !== 'resolved' ? prev.first_seen : now,
      last_evaluated: now,
      task_id: taskId,
    });
  }
  const skippedKeys = new Set(skipped.map((s) => `${s.provider}\u0000${s.resource_id}\u0000${s.kind}`));
  for (const e of existing) {
    if (found.has(e.id) || e.state === 'resolved') continue;
    if (skippedKeys.has(`${e.provider}\u0000${e.resource_id}\u0000${e.kind}`)) continue;
    rows.push({ ...storedToInput(e), state: 'resolved', last_evaluated: now, task_id: taskId });
  }
  return rows;
}

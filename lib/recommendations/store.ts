import type { Store } from '../clickhouse/client';
import { selectRows } from '../clickhouse/query';
import type { Writer } from '../clickhouse/writer';
import { addDecimals } from '../costs/decimal';
import { NotFoundError } from '../errors';
import type { RecommendationInput } from '../schemas/rows';
import { clickHouseTimeToIso } from '../time';
import type { Skip } from './types';

export const RECOMMENDATION_STATES = ['open', 'dismissed', 'resolved'] as const;
export type RecommendationState = (typeof RECOMMENDATION_STATES)[number];

/** One recommendation as stored and as the API returns it. */
export interface StoredRecommendation {
  id: string;
  customer_id: string;
  provider: string;
  resource_id: string;
  kind: string;
  resource: { id: string; name: string; type: string; region: string; provider: string; sku: string };
  action: string;
  state: RecommendationState;
  /** Exact decimal text per month; null when no price is known (details.savings_note says why). */
  monthly_savings: string | null;
  currency: string;
  confidence: { coverage: number; margin: number };
  evidence: unknown;
  details: Record<string, unknown>;
  dismiss_reason: string;
  dismissed_until: string | null;
  first_seen: string;
  last_evaluated: string;
  task_id: string;
}

export interface RecommendationFilters {
  provider?: string | undefined;
  kind?: string | undefined;
  state?: RecommendationState | undefined;
  /** Exact decimal text. */
  minSavings?: string | undefined;
  resource?: string | undefined;
  id?: string | undefined;
}

interface Row {
  id: string;
  customer_id: string;
  provider: string;
  resource_id: string;
  kind: string;
  resource_name: string;
  resource_type: string;
  region: string;
  sku: string;
  action: string;
  state: RecommendationState;
  savings_text: string | null;
  currency: string;
  coverage: number;
  margin: number;
  evidence: string;
  details: string;
  dismiss_reason: string;
  until_text: string | null;
  first_text: string;
  last_text: string;
  task_id: string;
}

const json = (text: string, fallback: unknown) => {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
};

function toStored(r: Row): StoredRecommendation {
  return {
    id: r.id,
    customer_id: r.customer_id,
    provider: r.provider,
    resource_id: r.resource_id,
    kind: r.kind,
    resource: {
      id: r.resource_id,
      name: r.resource_name,
      type: r.resource_type,
      region: r.region,
      provider: r.provider,
      sku: r.sku,
    },
    action: r.action,
    state: r.state,
    monthly_savings: r.savings_text,
    currency: r.currency,
    confidence: { coverage: r.coverage, margin: r.margin },
    evidence: json(r.evidence, []),
    details: json(r.details, {}),
    dismiss_reason: r.dismiss_reason,
    dismissed_until: clickHouseTimeToIso(r.until_text),
    first_seen: clickHouseTimeToIso(r.first_text) as string,
    last_evaluated: clickHouseTimeToIso(r.last_text) as string,
    task_id: r.task_id,
  };
}

/** A customer's recommendations (latest version of each), biggest savings first. */
export async function readStoredRecommendations(
  store: Store,
  customerId: string,
  f: RecommendationFilters = {},
): Promise<StoredRecommendation[]> {
  const params: Record<string, unknown> = { customer_id: customerId };
  const where = ['customer_id = {customer_id:String}'];
  const add = (sql: string, name: string, value: unknown) => {
    if (value === undefined) return;
    where.push(sql);
    params[name] = value;
  };
  add('provider = {provider:String}', 'provider', f.provider);
  add('kind = {kind:String}', 'kind', f.kind);
  add('state = {state:String}', 'state', f.state);
  add('resource_id = {resource:String}', 'resource', f.resource);
  add('id = {id:String}', 'id', f.id);
  add('monthly_savings >= {min_savings:Decimal(38, 10)}', 'min_savings', f.minSavings);
  const rows = await selectRows<Row>(
    store,
    `SELECT id, customer_id, provider, resource_id, kind, resource_name, resource_type, region, sku, action, state,
        toString(monthly_savings) AS savings_text, currency, coverage, margin, evidence, details, dismiss_reason,
        toString(dismissed_until) AS until_text, toString(first_seen) AS first_text,
        toString(last_evaluated) AS last_text, task_id
      FROM recommendations FINAL
      WHERE ${where.join(' AND ')}
      ORDER BY monthly_savings DESC NULLS LAST, provider, resource_id, kind`,
    params,
  );
  return rows.map(toStored);
}

export async function readRecommendation(
  store: Store,
  customerId: string,
  id: string,
): Promise<StoredRecommendation> {
  const [r] = await readStoredRecommendations(store, customerId, { id });
  if (!r) throw new NotFoundError(`No recommendation ${id}.`);
  return r;
}

/** Savings per month of open recommendations, per currency, by kind and by provider; counts per state. */
export interface RecommendationSummary {
  counts: Record<RecommendationState, number>;
  open_by_kind: Array<{ kind: string; currency: string; count: number; monthly_savings: string }>;
  open_by_provider: Array<{ provider: string; currency: string; count: number; monthly_savings: string }>;
  totals: Array<{ currency: string; count: number; monthly_savings: string }>;
  /** Open recommendations whose savings are unknown (no price). */
  unpriced: number;
}

export function summarize(recs: readonly StoredRecommendation[]): RecommendationSummary {
  const counts = { open: 0, dismissed: 0, resolved: 0 };
  for (const r of recs) counts[r.state] += 1;
  const open = recs.filter((r) => r.state === 'open');
  const group = <K extends 'kind' | 'provider'>(key: K) => {
    const m = new Map<string, { key: string; currency: string; count: number; sums: string[] }>();
    for (const r of open) {
      if (r.monthly_savings === null) continue;
      const k = `${r[key]}\u0000${r.currency}`;
      const g = m.get(k) ?? { key: r[key], currency: r.currency, count: 0, sums: [] };
      g.count += 1;
      g.sums.push(r.monthly_savings);
      m.set(k, g);
    }
    return [...m.values()]
      .sort((a, b) => a.key.localeCompare(b.key) || a.currency.localeCompare(b.currency))
      .map((g) => ({
        [key]: g.key,
        currency: g.currency,
        count: g.count,
        monthly_savings: addDecimals(...g.sums),
      }));
  };
  const totals = new Map<string, { count: number; sums: string[] }>();
  for (const r of open) {
    if (r.monthly_savings === null) continue;
    const t = totals.get(r.currency) ?? { count: 0, sums: [] };
    t.count += 1;
    t.sums.push(r.monthly_savings);
    totals.set(r.currency, t);
  }
  return {
    counts,
    open_by_kind: group('kind') as RecommendationSummary['open_by_kind'],
    open_by_provider: group('provider') as RecommendationSummary['open_by_provider'],
    totals: [...totals.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, t]) => ({ currency, count: t.count, monthly_savings: addDecimals(...t.sums) })),
    unpriced: open.filter((r) => r.monthly_savings === null).length,
  };
}

/** Marks a recommendation dismissed (until `until`, or until it resolves). */
export async function dismissRecommendation(
  store: Store,
  writer: Writer,
  customerId: string,
  id: string,
  reason: string,
  until: Date | null,
): Promise<StoredRecommendation> {
  const r = await readRecommendation(store, customerId, id);
  await writer.write('recommendations', [
    { ...storedToInput(r), state: 'dismissed', dismiss_reason: reason, dismissed_until: until },
  ]);
  return readRecommendation(store, customerId, id);
}

export interface EvaluationRecord {
  task_id: string;
  customer_id: string;
  status: string;
  started_at: string;
  finished_at: string;
  resources: number;
  open: number;
  resolved: number;
  skipped: { count: number; resources: Skip[] };
  error: string;
}

/** The latest evaluation of a customer, or one by task id. */
export async function readEvaluation(
  store: Store,
  customerId: string | null,
  taskId?: string,
): Promise<EvaluationRecord | null> {
  const params: Record<string, unknown> = {};
  const where: string[] = [];
  if (customerId !== null) {
    where.push('customer_id = {customer_id:String}');
    params.customer_id = customerId;
  }
  if (taskId !== undefined) {
    where.push('task_id = {task_id:String}');
    params.task_id = taskId;
  }
  const [r] = await selectRows<{
    task_id: string;
    customer_id: string;
    status: string;
    s: string;
    f: string;
    evaluated: number;
    open: number;
    resolved: number;
    skipped: number;
    skipped_detail: string;
    error: string;
  }>(
    store,
    `SELECT task_id, customer_id, status, toString(started_at) AS s, toString(finished_at) AS f, evaluated, open,
        resolved, skipped, skipped_detail, error
      FROM recommendation_evaluations FINAL
      WHERE ${where.length ? where.join(' AND ') : '1'}
      ORDER BY finished_at DESC LIMIT 1`,
    params,
  );
  if (!r) return null;
  return {
    task_id: r.task_id,
    customer_id: r.customer_id,
    status: r.status,
    started_at: clickHouseTimeToIso(r.s) as string,
    finished_at: clickHouseTimeToIso(r.f) as string,
    resources: Number(r.evaluated),
    open: Number(r.open),
    resolved: Number(r.resolved),
    skipped: { count: Number(r.skipped), resources: json(r.skipped_detail, []) },
    error: r.error,
  };
}

/** A stored recommendation back to a row (to write its next version). */
export function storedToInput(e: StoredRecommendation): RecommendationInput {
  return {
    customer_id: e.customer_id,
    provider: e.provider,
    resource_id: e.resource_id,
    kind: e.kind,
    id: e.id,
    resource_name: e.resource.name,
    resource_type: e.resource.type,
    region: e.resource.region,
    sku: e.resource.sku,
    action: e.action,
    state: e.state,
    monthly_savings: e.monthly_savings,
    currency: e.currency,
    coverage: e.confidence.coverage,
    margin: e.confidence.margin,
    evidence: e.evidence as unknown[],
    details: e.details,
    dismiss_reason: e.dismiss_reason,
    dismissed_until: e.dismissed_until,
    first_seen: e.first_seen,
    last_evaluated: e.last_evaluated,
    task_id: e.task_id,
  };
}

/**
 * Every call the console makes to the OptiInfra API, in one module, so that a change of
 * contract is a change here. Request and response types come from the server's own code
 * (type-only imports: nothing from lib/ is bundled). Where lib/ has no type for a response
 * yet (routes of issues #10, #12, #15 not merged), the shape written here is the one the
 * issue specifies, marked `CONTRACT(#n)`.
 */
import type { TriggerBodySchema } from '../../../lib/api/schemas';
import type { QualitySeries } from '../../../lib/applications/readers';
import type { ResourceBreakdown, TypeBreakdown } from '../../../lib/costs/reader-breakdown';
import type { CostTotals } from '../../../lib/costs/reader-totals';
import type { CostTrends } from '../../../lib/costs/reader-trends';
import type { PerformanceSummary, Trend } from '../../../lib/performance/reader';
import type { ResourceChange } from '../../../lib/resources/reader';

/** What a type looks like after JSON: dates become ISO strings. */
export type Json<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Json<U>[]
    : T extends readonly (infer U)[]
      ? readonly Json<U>[]
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;

/** `{"error":{"code","message"}}` from a handler, or API Gateway's own `{"message"}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The route does not exist on this server (a 404 without our error shape). */
    readonly routeMissing: boolean,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The API's base URL: injected at build by the stack (StaticSite), same origin under npm start. */
const API_URL = (import.meta.env.VITE_API_URL ?? '').replace(/\/$/, '');

let bearer: string | null = null;
let onAuthLost: (message: string) => void = () => undefined;

export function configureClient(opts: { key: string | null; onAuthLost?: (message: string) => void }) {
  bearer = opts.key;
  if (opts.onAuthLost) onAuthLost = opts.onAuthLost;
}

type Query = Record<string, string | number | boolean | undefined | null>;

function qs(q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function call<T>(
  method: string,
  path: string,
  opts: { query?: Query; body?: unknown } = {},
): Promise<T> {
  const res = await fetch(`${API_URL}${path}${qs(opts.query)}`, {
    method,
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
    const e = new ApiError(
      res.status,
      err?.code ?? (res.status === 404 ? 'route_not_found' : `http_${res.status}`),
      err?.message ?? (body as { message?: string } | null)?.message ?? res.statusText,
      res.status === 404 && !err,
    );
    if (res.status === 401 || res.status === 403) {
      // 403 on a route the key may not use at all (admin-only) is not a lost session.
      if (res.status === 401 || !err)
        onAuthLost(
          res.status === 401 ? 'Sign in with an API key.' : 'This key was refused (revoked or unknown).',
        );
    }
    throw e;
  }
  return body as T;
}

/** Period shared by every panel: `days` or `start`/`end` (the costs vocabulary; issue #11 makes it universal). */
export type Period = { days: number } | { start: string; end?: string };

const P = (c: string, p: string) => `${encodeURIComponent(c)}/${encodeURIComponent(p)}`;

// ---------------------------------------------------------------- platform (exists)

export interface CollectorsList {
  /** null for an admin key asked without a customer. */
  customer_id: string | null;
  data_types: string[];
  providers: {
    id: string;
    display_name: string;
    category: ProviderCategory;
    data_types: string[];
    configured: boolean;
    connections: { id: string; enabled: boolean; source: string }[];
  }[];
}
export type ProviderCategory = 'hyperscaler' | 'gpu_cloud' | 'general_compute' | 'self_hosted';

export interface Run {
  task_id: string;
  customer_id: string;
  provider: string;
  connection_id: string;
  data_types: string[];
  trigger: string;
  status: 'queued' | 'running' | 'succeeded' | 'partial' | 'failed' | 'skipped';
  rows_collected: Record<string, number>;
  total_rows: number;
  errors: Record<string, string>;
  skipped_reason: string | null;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

export type TriggerBody = import('zod').input<typeof TriggerBodySchema>;

export const api = {
  health: () => call<{ status: string }>('GET', '/health'),
  collectors: (customerId: string) =>
    call<CollectorsList>('GET', '/api/v1/collectors', { query: { customer_id: customerId } }),
  history: (customerId: string, q: { provider?: string; status?: string; limit?: number } = {}) =>
    call<{ customer_id: string; count: number; runs: Run[] }>(
      'GET',
      `/api/v1/collect/history/${encodeURIComponent(customerId)}`,
      {
        query: q,
      },
    ),
  runStatus: (taskId: string) => call<Run>('GET', `/api/v1/collect/status/${encodeURIComponent(taskId)}`),
  trigger: (body: TriggerBody) =>
    call<{ task_id: string; status: string; message: string }>('POST', '/api/v1/collect/trigger', { body }),

  // -------------------------------------------------------------- costs (exist)
  costTotal: (c: string, p: string, period: Period) =>
    call<Json<CostTotals> & { period: { start: string; end: string }; currencies: string[] }>(
      'GET',
      `/api/v2/costs/${P(c, p)}/total`,
      { query: period },
    ),
  /** `group_by` today; issue #11 names it `granularity` and keeps `group_by` as an alias. */
  costTrends: (c: string, p: string, period: Period, granularity: 'day' | 'week' | 'month') =>
    call<Json<CostTrends>>('GET', `/api/v2/costs/${P(c, p)}/trends`, {
      query: { ...period, group_by: granularity },
    }),
  costByType: (
    c: string,
    p: string,
    period: Period,
    type: 'service' | 'service_category' | 'charge_category',
    limit = 10,
  ) =>
    call<Json<TypeBreakdown>>('GET', `/api/v2/costs/${P(c, p)}/by-type`, {
      query: { ...period, type, limit },
    }),
  costByResource: (c: string, p: string, period: Period, limit = 10) =>
    call<Json<ResourceBreakdown>>('GET', `/api/v2/costs/${P(c, p)}/by-resource`, {
      query: { ...period, limit },
    }),
  /** CONTRACT(#11): FOCUS 1.2 CSV export. A link, not a fetch: the browser downloads it. */
  costExportUrl: (c: string, p: string, period: Period) =>
    `${API_URL}/api/v2/costs/${P(c, p)}/export${qs({ ...period, format: 'csv' })}`,
  /** CONTRACT(#11): the export with the key (a plain link cannot send a bearer header). */
  costExport: async (c: string, p: string, period: Period): Promise<Blob> => {
    const res = await fetch(api.costExportUrl(c, p, period), {
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    });
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as {
        error?: { code: string; message: string };
        message?: string;
      } | null;
      throw new ApiError(
        res.status,
        body?.error?.code ?? 'route_not_found',
        body?.error?.message ?? body?.message ?? res.statusText,
        res.status === 404 && !body?.error,
      );
    }
    return res.blob();
  },

  // -------------------------------------------------------------- performance, resources (exist)
  perfSummary: (c: string, p: string, period: Period) =>
    call<Json<PerformanceSummary>>('GET', `/api/v2/performance/${P(c, p)}/summary`, { query: period }),
  perfTrends: (c: string, p: string, period: Period, metric: string, step: 'hour' | 'day') =>
    call<{ period: { start: string; end: string }; step: string; trends: Json<Trend>[] }>(
      'GET',
      `/api/v2/performance/${P(c, p)}/trends`,
      { query: { ...period, metric, step } },
    ),
  resourceSummary: (c: string, p: string) =>
    call<ResourceSummary>('GET', `/api/v2/resources/${P(c, p)}/summary`),
  inventory: (c: string, p: string, q: { type?: string; status?: string; region?: string } = {}) =>
    call<{ total: number; count: number; partial: boolean; resources: InventoryResource[] }>(
      'GET',
      `/api/v2/resources/${P(c, p)}/inventory`,
      {
        query: q,
      },
    ),
  changes: (c: string, p: string, period: Period) =>
    call<{
      counts: Record<string, number>;
      total: number;
      truncated: boolean;
      changes: Json<ResourceChange>[];
    }>('GET', `/api/v2/resources/${P(c, p)}/changes`, { query: period }),

  // -------------------------------------------------------------- applications (exist; `days` needs #11)
  appSummary: (c: string, p: string) => call<AppSummary>('GET', `/api/v2/applications/${P(c, p)}/summary`),
  appQuality: (c: string, p: string) =>
    call<{ granularity: string; series: Json<QualitySeries>[]; evaluation: Evaluation }>(
      'GET',
      `/api/v2/applications/${P(c, p)}/quality`,
    ),
  appFlagged: (c: string, p: string, kind: 'hallucinations' | 'toxicity') =>
    call<{
      evaluated: number;
      flagged: number;
      rate: number | null;
      samples: FlaggedSample[];
      evaluation: Evaluation;
    }>('GET', `/api/v2/applications/${P(c, p)}/${kind}`),

  // -------------------------------------------------------------- CONTRACT(#10): catalog and connections
  providers: () => call<{ providers: CatalogProvider[] }>('GET', '/api/v1/providers'),
  connections: (customerId: string) =>
    call<{ connections: Connection[] }>('GET', '/api/v1/connections', { query: { customer_id: customerId } }),
  createConnection: (body: {
    customer_id: string;
    provider: string;
    name?: string;
    settings: Record<string, unknown>;
    secrets: Record<string, string>;
    enabled?: boolean;
    test?: boolean;
  }) => call<Connection>('POST', '/api/v1/connections', { body }),
  updateConnection: (
    id: string,
    body: {
      name?: string;
      settings?: Record<string, unknown>;
      secrets?: Record<string, string | null>;
      enabled?: boolean;
    },
  ) => call<Connection>('PATCH', `/api/v1/connections/${encodeURIComponent(id)}`, { body }),
  deleteConnection: (id: string, purge: boolean) =>
    call<{ message?: string; purged?: Record<string, number> }>(
      'DELETE',
      `/api/v1/connections/${encodeURIComponent(id)}`,
      {
        query: purge ? { purge: true } : {},
      },
    ),
  testConnection: (id: string) =>
    call<ConnectionTest>('POST', `/api/v1/connections/${encodeURIComponent(id)}/test`),

  // -------------------------------------------------------------- CONTRACT(#12): recommendations
  recommendations: (c: string, p: string, q: { kind?: string; state?: string } = {}) =>
    call<{ recommendations: Recommendation[]; skipped?: unknown }>(
      'GET',
      `/api/v2/recommendations/${P(c, p)}`,
      { query: q },
    ),
  recommendationSummary: (c: string, p: string) =>
    call<{
      savings?: { currency: string; monthly_savings: string; kind?: string; provider?: string }[];
      counts?: Record<string, number>;
    }>('GET', `/api/v2/recommendations/${P(c, p)}/summary`),
  dismissRecommendation: (c: string, id: string, body: { reason?: string; until?: string }) =>
    call<Recommendation>(
      'POST',
      `/api/v2/recommendations/${encodeURIComponent(c)}/item/${encodeURIComponent(id)}/dismiss`,
      { body },
    ),

  // -------------------------------------------------------------- CONTRACT(#15): alerts
  alerts: (customerId: string) =>
    call<{ alerts: Alert[] }>('GET', '/api/v1/alerts', { query: { customer_id: customerId } }),
};

export interface ResourceSummary {
  total: number;
  partial: boolean;
  by_provider: Record<string, number>;
  by_type: Record<string, number>;
  by_status: Record<string, number>;
  by_region: Record<string, number>;
  compute: { vcpus: number; memory_gib: number };
  gpus: { total: number; resources_with_gpus: number; by_model: Record<string, number> };
}

export interface InventoryResource {
  provider: string;
  resource_id: string;
  resource_type: string;
  name: string;
  status: string;
  region: string;
  sku: string;
  vcpus: number | null;
  memory_gib: number | null;
  gpu_count: number | null;
  gpu_model: string;
  hourly_price: string | null;
  price_currency: string | null;
  snapshot_at: string;
}

export interface Evaluation {
  enabled: boolean;
  reason?: string;
}
export interface AppSummary {
  evaluation: Evaluation;
  totals: { received: number; evaluated: number; waiting: number; unevaluated: number };
  applications: {
    application: string;
    model?: string;
    evaluated?: number;
    hallucination_rate?: number | null;
    toxicity_rate?: number | null;
    cost_per_1k_requests?: string | null;
    /** CONTRACT(#12): cost per 1,000 quality-passing responses. */
    cost_per_1k_passing?: string | null;
    [k: string]: unknown;
  }[];
}
export interface FlaggedSample {
  sample_id?: string;
  application: string;
  model: string;
  ts?: string;
  prompt?: string;
  response?: string;
  reason: string;
  unsupported_claims?: string[];
  [k: string]: unknown;
}

/** CONTRACT(#10) `GET /api/v1/providers`. */
export interface CatalogProvider {
  id: string;
  display_name: string;
  category: ProviderCategory;
  data_types: string[];
  docs?: string;
  settings_schema: JsonSchema;
  secret_fields: { name: string; label: string; required: boolean }[];
}
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  items?: JsonSchema;
  description?: string;
  title?: string;
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
}
/** CONTRACT(#10) a connection with its health. */
export interface Connection {
  id: string;
  customer_id?: string;
  provider: string;
  name: string;
  display_name?: string;
  enabled: boolean;
  settings: Record<string, unknown>;
  secrets?: Record<string, { set: boolean; updated_at?: string }>;
  source: 'api' | 'file' | 'builtin';
  created_at?: string;
  updated_at?: string;
  health?: {
    last_runs?: Record<
      string,
      { status: string; finished_at: string | null; rows?: number; error?: string | null }
    >;
    last_success?: string | null;
    consecutive_failures?: number;
    next_collection?: string | null;
    last_test?: { ok: boolean; at: string; message?: string } | null;
  };
}
export interface ConnectionTest {
  ok: boolean;
  latency_ms: number;
  message: string;
  tested_at: string;
}
/** CONTRACT(#12) one recommendation. */
export interface Recommendation {
  id: string;
  provider: string;
  resource: { id: string; name?: string; type?: string; region?: string; provider?: string };
  kind: string;
  action: string;
  state: 'open' | 'dismissed' | 'resolved';
  monthly_savings: string;
  currency: string;
  confidence?: { coverage?: number; [k: string]: unknown };
  evidence?:
    | { metric?: string; window?: unknown; p95?: number; max?: number; avg?: number; points?: number }[]
    | Record<string, unknown>;
}
/** CONTRACT(#15) one alert. */
export interface Alert {
  id?: string;
  customer_id: string;
  connection_id?: string;
  provider?: string;
  kind?: string;
  message?: string;
  last_error?: string;
  state?: string;
  opened_at?: string;
  resolved_at?: string | null;
}

import type { Thresholds } from './thresholds';

/** What a rule knows of one resource: its row in the customer's latest inventory snapshot. */
export interface InventoryItem {
  provider: string;
  resource_id: string;
  resource_type: string;
  name: string;
  status: string;
  region: string;
  sku: string;
  vcpus: number | null;
  memory_gib: number | null;
  gpu_count: number;
  /** Exact decimal text; null when the inventory knows no price. */
  hourly_price: string | null;
  currency: string;
  attributes: Record<string, unknown>;
}

/** Aggregates of one metric series (one resource, metric and dimension) over the lookback. */
export interface SeriesStats {
  metric: string;
  /** '' for the whole resource; a GPU index/UUID, a disk, an interface otherwise. */
  dimension: string;
  points: number;
  /** Distinct UTC hours with at least one point: the coverage measure. */
  hours: number;
  max: number;
  avg: number;
  /** quantileExactInclusive(0.95), as the performance reader computes it. */
  p95: number;
  /** Average per UTC day ('2026-11-20' → avg); days without points are absent. */
  daily_avg: Readonly<Record<string, number>>;
}

/** Usage of one resource: its series, keyed by metric. */
export type ResourceUsage = ReadonlyMap<string, readonly SeriesStats[]>;

/** What the inventory history says about a resource (for storage and stopped-instance rules). */
export interface ResourceHistory {
  /** First snapshot in the history window that has the resource. */
  first_seen: Date;
  /** Last snapshot where a disk was attached / an instance was running; null when never seen so. */
  last_active: Date | null;
}

/** A type a resource could move to, with its list price. */
export interface PricedType {
  provider: string;
  region: string;
  sku: string;
  vcpus: number;
  memory_gib: number;
  gpu_count: number;
  hourly_price: string;
  currency: string;
}

export interface RuleInput {
  now: Date;
  thresholds: Thresholds;
  resources: readonly InventoryItem[];
  /** Keyed by `resourceKey(provider, resource_id)`; also by the resource's name for GPU series from Prometheus. */
  usage: ReadonlyMap<string, ResourceUsage>;
  history: ReadonlyMap<string, ResourceHistory>;
  catalog: readonly PricedType[];
}

export interface Evidence {
  metric: string;
  dimension: string;
  window: { start: string; end: string };
  points: number;
  hours: number;
  max: number;
  avg: number;
  p95: number;
  threshold: number;
  /** Which statistic was compared with `threshold`. */
  statistic: 'max' | 'p95' | 'max_daily_bytes' | 'days_inactive';
}

export interface Finding {
  provider: string;
  resource_id: string;
  resource_name: string;
  resource_type: string;
  region: string;
  sku: string;
  kind: RecommendationKind;
  action: string;
  /** Exact decimal text per month (730 hours); null when the price is unknown (see details.savings_note). */
  monthly_savings: string | null;
  currency: string;
  /** Share of the lookback's hours with data, 0..1. */
  coverage: number;
  /** How far below its threshold the deciding statistic is, 0..1 (1 = zero use). */
  margin: number;
  evidence: Evidence[];
  details: Record<string, unknown>;
}

export interface Skip {
  provider: string;
  resource_id: string;
  kind: RecommendationKind;
  reason: string;
}

export interface RuleResult {
  findings: Finding[];
  skipped: Skip[];
}

export const RECOMMENDATION_KINDS = [
  'idle_instance',
  'oversized_instance',
  'idle_gpu',
  'underused_gpu',
  'orphaned_storage',
  'stopped_instance_storage',
  'idle_load_balancer',
] as const;
export type RecommendationKind = (typeof RECOMMENDATION_KINDS)[number];

/** A rule: a pure function of what it reads. */
export type Rule = (input: RuleInput) => RuleResult;

export const HOURS_PER_MONTH = '730';

export const resourceKey = (provider: string, resourceId: string) => `${provider}\u0000${resourceId}`;

/** Key of series from a provider without inventory (Prometheus): the host name they name. */
export const nameKey = (name: string) => `name\u0000${name}`;

import { fromScaled, multiplyDecimals, toScaled } from '../costs/decimal';
import { DAY_MS } from '../time';
import type { Evidence, InventoryItem, ResourceUsage, RuleInput, SeriesStats } from './types';
import { HOURS_PER_MONTH, nameKey, resourceKey } from './types';

/** Hours in the lookback window: the denominator of coverage. */
export function lookbackHours(input: RuleInput): number {
  return input.thresholds.lookback_days * 24;
}

export function lookbackWindow(input: RuleInput): { start: string; end: string } {
  const end = input.now.getTime();
  return {
    start: new Date(end - input.thresholds.lookback_days * DAY_MS).toISOString(),
    end: new Date(end).toISOString(),
  };
}

/** The usage of an inventory item: by (provider, id), else by its name (GPU hosts seen through Prometheus). */
export function usageOf(input: RuleInput, r: InventoryItem): ResourceUsage | undefined {
  const own = input.usage.get(resourceKey(r.provider, r.resource_id));
  const byName = r.name ? input.usage.get(nameKey(r.name)) : undefined;
  if (!own || !byName) return own ?? byName;
  return new Map([...byName, ...own]);
}

export function series(usage: ResourceUsage | undefined, metric: string): readonly SeriesStats[] {
  return usage?.get(metric) ?? [];
}

/** Share of the lookback's hours with data (capped at 1). */
export function coverageOf(input: RuleInput, s: SeriesStats): number {
  return Math.min(1, s.hours / lookbackHours(input));
}

export function evidence(
  input: RuleInput,
  s: SeriesStats,
  threshold: number,
  statistic: Evidence['statistic'],
): Evidence {
  return {
    metric: s.metric,
    dimension: s.dimension,
    window: lookbackWindow(input),
    points: s.points,
    hours: s.hours,
    max: s.max,
    avg: s.avg,
    p95: s.p95,
    threshold,
    statistic,
  };
}

/** 1 − value/threshold, in [0, 1]: how far below its threshold a statistic is. */
export function marginBelow(value: number, threshold: number): number {
  if (threshold <= 0) return value <= 0 ? 1 : 0;
  return Math.max(0, Math.min(1, 1 - value / threshold));
}

/** Hourly price × 730 (× share), exact; null when the price is unknown. */
export function monthly(hourly: string | null, share = '1'): string | null {
  if (hourly === null) return null;
  return multiplyDecimals(multiplyDecimals(hourly, HOURS_PER_MONTH), share);
}

export const NO_PRICE = 'the inventory has no hourly price for this resource';

export function base(r: InventoryItem) {
  return {
    provider: r.provider,
    resource_id: r.resource_id,
    resource_name: r.name,
    resource_type: r.resource_type,
    region: r.region,
    sku: r.sku,
    currency: r.currency,
  };
}

export const isRunningVm = (r: InventoryItem) =>
  (r.resource_type === 'vm' || r.resource_type === 'machine' || r.resource_type === 'instance') &&
  ['running', 'active', 'ok', 'up'].includes(r.status.toLowerCase());

/** A machine with GPUs: the inventory says so, or GPU series exist for it. */
export const hasGpus = (r: InventoryItem, usage: ResourceUsage | undefined) =>
  r.gpu_count > 0 || series(usage, 'gpu_utilization').length > 0;

export const round = (n: number, digits = 4) => Number(n.toFixed(digits));

/** Exact hourly × 730 × n / d, rounded half away from zero to 10 fraction digits. */
export function monthlyShare(hourly: string | null, n: number, d: number): string | null {
  if (hourly === null) return null;
  const whole = toScaled(multiplyDecimals(multiplyDecimals(hourly, HOURS_PER_MONTH), String(n)));
  const div = BigInt(d);
  let q = whole / div;
  if ((whole % div) * 2n >= div) q += 1n;
  return fromScaled(q);
}

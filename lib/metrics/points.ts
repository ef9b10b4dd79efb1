import type { PerformancePointInput } from '../schemas/rows';
import { type MetricName, metricUnit } from './vocabulary';

/** Which resource a series belongs to; shared by every point of that resource. */
export interface PointTarget {
  readonly customerId: string;
  readonly provider: string;
  readonly resourceId: string;
  readonly resourceName: string;
  readonly resourceType: string;
  readonly region: string;
  readonly taskId: string;
  readonly collectedAt: Date;
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * One performance point in the shared vocabulary. The unit is taken from the vocabulary,
 * never from the caller, so a collector cannot store a metric in the wrong unit; the
 * caller converts the value first (see the helpers below).
 *
 * @example
 * metricPoint(target, 'network_in', perSecond(sum, 300), ts, { sourceMetric: 'AWS/EC2:NetworkIn:Sum' });
 */
export function metricPoint(
  target: PointTarget,
  metric: MetricName,
  value: number,
  ts: Date,
  opts: { sourceMetric: string; dimension?: string; labels?: Readonly<Record<string, string>> },
): PerformancePointInput {
  return {
    customer_id: target.customerId,
    provider: target.provider,
    resource_id: target.resourceId,
    resource_name: target.resourceName,
    resource_type: target.resourceType,
    region: target.region,
    metric,
    dimension: opts.dimension ?? '',
    unit: metricUnit(metric),
    value: round(value),
    ts,
    source_metric: opts.sourceMetric,
    labels: { ...target.labels, ...opts.labels },
    task_id: target.taskId,
    collected_at: target.collectedAt,
  };
}

/** A 0–1 ratio as a 0–100 percentage. */
export const ratioToPercent = (ratio: number): number => ratio * 100;

/** A total over a period as an average rate per second. */
export function perSecond(total: number, seconds: number): number {
  if (!(seconds > 0)) throw new RangeError(`period must be positive, got ${seconds}`);
  return total / seconds;
}

export const secondsToMs = (seconds: number): number => seconds * 1000;

/** Six significant decimals: enough for rates and percentages, stable across re-reads. */
function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

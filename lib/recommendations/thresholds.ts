import { z } from 'zod';

/**
 * The rules' thresholds. Defaults follow the anchors' published criteria
 * (docs/recommendations.md); a customer may override any of them
 * (RECOMMENDATION_THRESHOLDS, see `parseThresholdOverrides`).
 */
export const ThresholdsSchema = z.strictObject({
  /** Days of data each usage rule looks at (Compute Optimizer's default lookback: 14). */
  lookback_days: z.number().int().min(1).max(93),
  /** Share of the lookback's hours that must have data; below it, no recommendation. */
  min_coverage: z.number().min(0).max(1),
  /** Idle instance: peak CPU (%) at or below this… */
  idle_cpu_max_percent: z.number().min(0).max(100),
  /** …and network in+out at or below this many bytes on every day (Trusted Advisor: 5 MB). */
  idle_network_daily_bytes: z.number().min(0),
  /** Oversized: p95 CPU (%) at or below this. */
  oversized_cpu_p95_percent: z.number().min(0).max(100),
  /** Oversized: p95 memory (%) at or below this (when memory is measured). */
  oversized_memory_p95_percent: z.number().min(0).max(100),
  /** Oversized: the smaller type must fit p95 × headroom. */
  headroom: z.number().min(1).max(10),
  /** Idle GPU: peak engine activity (%) at or below this… */
  gpu_idle_max_percent: z.number().min(0).max(100),
  /** …and peak frame-buffer use (%) at or below this. */
  gpu_idle_memory_max_percent: z.number().min(0).max(100),
  /** Underused GPU: p95 engine activity (%) at or below this. */
  gpu_underused_p95_percent: z.number().min(0).max(100),
  /** Orphaned storage / stopped instances: inactive for at least this many days. */
  storage_inactive_days: z.number().int().min(1).max(366),
  /** Disk list prices per GB-month by provider/disk type, for disks the inventory does not price. */
  storage_gb_month_prices: z.record(z.string(), z.string().regex(/^\d+(\.\d+)?$/)),
  /** Storage prices' currency. */
  storage_currency: z.string(),
  /** Idle load balancer: peak traffic (bytes/s) at or below this. */
  lb_idle_max_bytes_per_second: z.number().min(0),
});
export type Thresholds = z.infer<typeof ThresholdsSchema>;

export const DEFAULT_THRESHOLDS: Thresholds = Object.freeze({
  lookback_days: 14,
  min_coverage: 0.8,
  idle_cpu_max_percent: 5,
  idle_network_daily_bytes: 5_000_000,
  oversized_cpu_p95_percent: 40,
  oversized_memory_p95_percent: 40,
  headroom: 1.3,
  gpu_idle_max_percent: 5,
  gpu_idle_memory_max_percent: 10,
  gpu_underused_p95_percent: 30,
  storage_inactive_days: 32,
  // AWS us-east-1 EBS list prices (per GB-month), documented in docs/recommendations.md.
  storage_gb_month_prices: Object.freeze({
    'aws/gp3': '0.08',
    'aws/gp2': '0.10',
    'aws/io1': '0.125',
    'aws/io2': '0.125',
    'aws/st1': '0.045',
    'aws/sc1': '0.015',
    'aws/standard': '0.05',
  }) as Record<string, string>,
  storage_currency: 'USD',
  lb_idle_max_bytes_per_second: 0,
}) as Thresholds;

/** Per-customer overrides: `{ "<customer id>": { "<threshold>": value, … } }`. */
export const ThresholdOverridesSchema = z.record(z.string(), ThresholdsSchema.partial());
export type ThresholdOverrides = z.infer<typeof ThresholdOverridesSchema>;

/** Parses RECOMMENDATION_THRESHOLDS (JSON); a bad value names the key. Empty → no overrides. */
export function parseThresholdOverrides(text: string | undefined): ThresholdOverrides {
  if (!text?.trim()) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('RECOMMENDATION_THRESHOLDS: not JSON');
  }
  const parsed = ThresholdOverridesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`RECOMMENDATION_THRESHOLDS.${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

/** The thresholds in force for a customer: the defaults, then its overrides. */
export function thresholdsFor(customerId: string, overrides: ThresholdOverrides = {}): Thresholds {
  const own = overrides[customerId] ?? {};
  return {
    ...DEFAULT_THRESHOLDS,
    ...own,
    storage_gb_month_prices: {
      ...DEFAULT_THRESHOLDS.storage_gb_month_prices,
      ...own.storage_gb_month_prices,
    },
  };
}

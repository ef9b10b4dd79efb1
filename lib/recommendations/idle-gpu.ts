import {
  base,
  coverageOf,
  evidence,
  hasGpus,
  isRunningVm,
  marginBelow,
  monthlyShare,
  NO_PRICE,
  round,
  series,
  usageOf,
} from './common';
import type { Finding, InventoryItem, RuleInput, RuleResult, SeriesStats, Skip } from './types';

export interface GpuView {
  r: InventoryItem;
  util: readonly SeriesStats[];
  memory: readonly SeriesStats[];
  total: number;
  coverage: number;
}

/**
 * The GPU series of each running GPU machine with enough data; machines without GPU
 * series or with too little data are skipped with the reason.
 */
export function gpuMachines(
  input: RuleInput,
  kind: 'idle_gpu' | 'underused_gpu',
): { views: GpuView[]; skipped: Skip[] } {
  const views: GpuView[] = [];
  const skipped: Skip[] = [];
  for (const r of input.resources) {
    if (!isRunningVm(r)) continue;
    const usage = usageOf(input, r);
    if (!hasGpus(r, usage)) continue;
    const skip = (reason: string) =>
      skipped.push({ provider: r.provider, resource_id: r.resource_id, kind, reason });
    const util = series(usage, 'gpu_utilization');
    if (util.length === 0) {
      skip('no gpu_utilization points in the lookback');
      continue;
    }
    const coverage = Math.min(...util.map((s) => coverageOf(input, s)));
    if (coverage < input.thresholds.min_coverage) {
      skip(
        `GPU coverage ${round(coverage * 100, 1)}% of the ${input.thresholds.lookback_days}-day lookback is below ${input.thresholds.min_coverage * 100}%`,
      );
      continue;
    }
    views.push({
      r,
      util,
      memory: series(usage, 'gpu_memory_utilization'),
      total: Math.max(r.gpu_count, util.length),
      coverage,
    });
  }
  return { views, skipped };
}

/**
 * Idle GPU: per GPU, peak engine activity and peak frame-buffer use at or below the
 * thresholds over the lookback, whatever the CPU does. Every GPU idle → stop the machine
 * (its whole price); some → release them (their share of the price).
 */
export function idleGpu(input: RuleInput): RuleResult {
  const t = input.thresholds;
  const { views, skipped } = gpuMachines(input, 'idle_gpu');
  const findings: Finding[] = [];
  for (const v of views) {
    const idle = v.util.filter((u) => {
      const mem = v.memory.find((m) => m.dimension === u.dimension);
      return u.max <= t.gpu_idle_max_percent && (!mem || mem.max <= t.gpu_idle_memory_max_percent);
    });
    if (idle.length === 0) continue;
    // GPUs without a series are not known to be idle: count only measured ones.
    const all = idle.length === v.total;
    const savings = monthlyShare(v.r.hourly_price, idle.length, v.total);
    const idleDims = new Set(idle.map((s) => s.dimension));
    findings.push({
      ...base(v.r),
      kind: 'idle_gpu',
      action: all
        ? `stop the machine: all ${v.total} GPUs idle (or move its work to a machine without GPUs)`
        : `release ${idle.length} of ${v.total} GPUs: use a shape with ${v.total - idle.length} GPU(s)`,
      monthly_savings: savings,
      coverage: round(v.coverage),
      margin: round(Math.min(...idle.map((s) => marginBelow(s.max, t.gpu_idle_max_percent)))),
      evidence: [
        ...v.util.map((s) => ({
          ...evidence(input, s, t.gpu_idle_max_percent, 'max'),
          idle: idleDims.has(s.dimension),
        })),
        ...v.memory.map((s) => evidence(input, s, t.gpu_idle_memory_max_percent, 'max')),
      ],
      details: {
        idle_gpus: idle.map((s) => s.dimension),
        gpu_count: v.total,
        gpu_model: v.r.attributes.gpu_model ?? null,
        hourly_price: v.r.hourly_price,
        ...(savings === null ? { savings_note: NO_PRICE } : {}),
      },
    });
  }
  return { findings, skipped };
}

import { base, evidence, marginBelow, monthlyShare, NO_PRICE, round } from './common';
import { gpuMachines } from './idle-gpu';
import type { Finding, RuleInput, RuleResult } from './types';

/**
 * Underused GPU: no GPU idle, but p95 engine activity of every GPU at or below the
 * threshold. The GPUs needed = ceil(Σ p95 × headroom / 100); when fewer than the machine
 * has, recommend fewer/smaller GPUs, MIG or fractional sharing, saving the freed GPUs'
 * share of the machine's price.
 */
export function underusedGpu(input: RuleInput): RuleResult {
  const t = input.thresholds;
  const { views, skipped } = gpuMachines(input, 'underused_gpu');
  const findings: Finding[] = [];
  for (const v of views) {
    const anyIdle = v.util.some((u) => u.max <= t.gpu_idle_max_percent);
    if (anyIdle || v.util.length < v.total) continue;
    if (!v.util.every((u) => u.p95 <= t.gpu_underused_p95_percent)) continue;
    const sumP95 = v.util.reduce((n, u) => n + u.p95, 0);
    const needed = Math.max(1, Math.ceil((sumP95 * t.headroom) / 100 - 1e-9));
    const freed = v.total - needed;
    const savings = freed > 0 ? monthlyShare(v.r.hourly_price, freed, v.total) : null;
    findings.push({
      ...base(v.r),
      kind: 'underused_gpu',
      action:
        freed > 0
          ? `consolidate onto ${needed} of ${v.total} GPUs (fewer or smaller GPUs, MIG or fractional sharing)`
          : 'share the GPU (MIG or fractional sharing) or move to a smaller GPU',
      monthly_savings: savings,
      coverage: round(v.coverage),
      margin: round(Math.min(...v.util.map((u) => marginBelow(u.p95, t.gpu_underused_p95_percent)))),
      evidence: v.util.map((s) => evidence(input, s, t.gpu_underused_p95_percent, 'p95')),
      details: {
        gpu_count: v.total,
        gpus_needed: needed,
        sum_p95_percent: round(sumP95, 2),
        headroom: t.headroom,
        hourly_price: v.r.hourly_price,
        ...(savings === null
          ? {
              savings_note:
                v.r.hourly_price === null
                  ? NO_PRICE
                  : 'a single GPU cannot be split by price: no list price for a MIG slice',
            }
          : {}),
      },
    });
  }
  return { findings, skipped };
}

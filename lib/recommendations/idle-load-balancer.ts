import { base, coverageOf, evidence, marginBelow, monthly, NO_PRICE, round, series, usageOf } from './common';
import type { Finding, RuleInput, RuleResult, Skip } from './types';

/**
 * Load balancer with no traffic: peak network in+out (bytes/s) at or below the threshold
 * (default 0: no byte at all) over the lookback. A balancer without traffic series is
 * skipped, not flagged: missing data is not idleness.
 */
export function idleLoadBalancer(input: RuleInput): RuleResult {
  const t = input.thresholds;
  const findings: Finding[] = [];
  const skipped: Skip[] = [];
  for (const r of input.resources) {
    if (r.resource_type !== 'load_balancer') continue;
    const usage = usageOf(input, r);
    const traffic = [...series(usage, 'network_in'), ...series(usage, 'network_out')];
    if (traffic.length === 0) {
      skipped.push({
        provider: r.provider,
        resource_id: r.resource_id,
        kind: 'idle_load_balancer',
        reason: 'no traffic points in the lookback',
      });
      continue;
    }
    const coverage = Math.min(...traffic.map((s) => coverageOf(input, s)));
    if (coverage < t.min_coverage) {
      skipped.push({
        provider: r.provider,
        resource_id: r.resource_id,
        kind: 'idle_load_balancer',
        reason: `coverage ${round(coverage * 100, 1)}% of the ${t.lookback_days}-day lookback is below ${t.min_coverage * 100}%`,
      });
      continue;
    }
    const peak = Math.max(...traffic.map((s) => s.max));
    if (peak > t.lb_idle_max_bytes_per_second) continue;
    const savings = monthly(r.hourly_price);
    findings.push({
      ...base(r),
      kind: 'idle_load_balancer',
      action: 'delete the load balancer',
      monthly_savings: savings,
      coverage: round(coverage),
      margin: round(marginBelow(peak, t.lb_idle_max_bytes_per_second)),
      evidence: traffic.map((s) => evidence(input, s, t.lb_idle_max_bytes_per_second, 'max')),
      details: { ...(savings === null ? { savings_note: NO_PRICE } : {}) },
    });
  }
  return { findings, skipped };
}

import { base, marginBelow, round } from './common';
import { diskMonthly, diskSizeGib, inactiveDays, isDisk } from './storage';
import type { Finding, RuleInput, RuleResult, Skip } from './types';

/**
 * Orphaned storage: a disk unattached in every inventory snapshot for at least
 * `storage_inactive_days` (since the last snapshot that saw it attached, or since it was
 * first seen). Action: snapshot, then delete. Savings: its monthly price.
 */
export function orphanedStorage(input: RuleInput): RuleResult {
  const t = input.thresholds;
  const findings: Finding[] = [];
  const skipped: Skip[] = [];
  for (const r of input.resources) {
    if (!isDisk(r)) continue;
    if (!['available', 'unattached', 'detached'].includes(r.status.toLowerCase())) continue;
    const inactive = inactiveDays(input, r);
    if (!inactive) continue;
    if (inactive.days < t.storage_inactive_days) continue;
    const price = diskMonthly(input, r);
    findings.push({
      ...base(r),
      currency: price.currency,
      kind: 'orphaned_storage',
      action: 'snapshot the volume if its data matters, then delete it',
      monthly_savings: price.savings,
      coverage: 1,
      margin: round(1 - marginBelow(t.storage_inactive_days, inactive.days)),
      evidence: [
        {
          metric: 'attachment',
          dimension: '',
          window: { start: inactive.since.toISOString(), end: input.now.toISOString() },
          points: 0,
          hours: round(inactive.days * 24, 1),
          max: 0,
          avg: 0,
          p95: 0,
          threshold: t.storage_inactive_days,
          statistic: 'days_inactive',
        },
      ],
      details: {
        unattached_since: inactive.since.toISOString(),
        days_unattached: round(inactive.days, 2),
        size_gib: diskSizeGib(r),
        price_basis: price.basis,
        ...(price.savings === null ? { savings_note: price.basis } : {}),
      },
    });
  }
  return { findings, skipped };
}

import { addDecimals } from '../costs/decimal';
import { base, round } from './common';
import { attachedTo, diskMonthly, inactiveDays, isDisk } from './storage';
import type { Finding, RuleInput, RuleResult, Skip } from './types';

const STOPPED = ['stopped', 'deallocated', 'terminated', 'suspended', 'halted'];

/**
 * Stopped instances still paying for storage: a VM stopped for at least
 * `storage_inactive_days` whose attached disks are still billed. Savings: those disks'
 * monthly price (the instance itself costs nothing while stopped).
 */
export function stoppedInstanceStorage(input: RuleInput): RuleResult {
  const t = input.thresholds;
  const findings: Finding[] = [];
  const skipped: Skip[] = [];
  const disks = input.resources.filter(isDisk);
  for (const r of input.resources) {
    if (r.resource_type !== 'vm' || !STOPPED.includes(r.status.toLowerCase())) continue;
    const inactive = inactiveDays(input, r);
    if (!inactive || inactive.days < t.storage_inactive_days) continue;
    const own = disks.filter((d) => attachedTo(d).includes(r.resource_id));
    if (own.length === 0) continue;
    const prices = own.map((d) => ({ disk: d, ...diskMonthly(input, d) }));
    const known =
      prices.every((p) => p.savings !== null) && new Set(prices.map((p) => p.currency)).size === 1;
    findings.push({
      ...base(r),
      currency: prices[0]?.currency ?? r.currency,
      kind: 'stopped_instance_storage',
      action: 'terminate the instance (snapshot its volumes first), or delete the volumes it no longer needs',
      monthly_savings: known ? addDecimals(...prices.map((p) => p.savings as string)) : null,
      coverage: 1,
      margin: 1,
      evidence: [
        {
          metric: 'instance_state',
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
        stopped_since: inactive.since.toISOString(),
        volumes: prices.map((p) => ({ resource_id: p.disk.resource_id, monthly: p.savings, basis: p.basis })),
        ...(known ? {} : { savings_note: 'a volume has no known price' }),
      },
    });
  }
  return { findings, skipped };
}

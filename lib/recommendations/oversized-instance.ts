import { subtractDecimal, toScaled } from '../costs/decimal';
import {
  base,
  coverageOf,
  evidence,
  hasGpus,
  isRunningVm,
  marginBelow,
  monthly,
  round,
  series,
  usageOf,
} from './common';
import type { Finding, PricedType, RuleInput, RuleResult, Skip } from './types';

/**
 * Oversized instance: p95 CPU (and p95 memory, when measured) at or below the thresholds.
 * Suggests the cheapest priced type of the same provider, region, currency and GPU count
 * whose vCPUs and memory fit p95 × headroom; never a type without a known price. Without
 * a memory series, the new type must keep at least the current memory.
 */
export function oversizedInstance(input: RuleInput): RuleResult {
  const t = input.thresholds;
  const findings: Finding[] = [];
  const skipped: Skip[] = [];
  for (const r of input.resources) {
    if (!isRunningVm(r) || r.vcpus === null || r.memory_gib === null || r.hourly_price === null) continue;
    const usage = usageOf(input, r);
    if (hasGpus(r, usage)) continue;
    const cpu = series(usage, 'cpu_utilization').find((s) => s.dimension === '');
    const mem = series(usage, 'memory_utilization').find((s) => s.dimension === '');
    if (!cpu) {
      skipped.push({
        ...ids(r),
        kind: 'oversized_instance',
        reason: 'no cpu_utilization points in the lookback',
      });
      continue;
    }
    const coverage = Math.min(coverageOf(input, cpu), mem ? coverageOf(input, mem) : 1);
    if (coverage < t.min_coverage) {
      skipped.push({
        ...ids(r),
        kind: 'oversized_instance',
        reason: `coverage ${round(coverage * 100, 1)}% of the ${t.lookback_days}-day lookback is below ${t.min_coverage * 100}%`,
      });
      continue;
    }
    if (cpu.p95 > t.oversized_cpu_p95_percent) continue;
    if (mem && mem.p95 > t.oversized_memory_p95_percent) continue;
    const needVcpus = (r.vcpus * cpu.p95 * t.headroom) / 100;
    const needMemory = mem ? (r.memory_gib * mem.p95 * t.headroom) / 100 : r.memory_gib;
    const current = toScaled(r.hourly_price);
    const fits = (c: PricedType) =>
      c.provider === r.provider &&
      c.region === r.region &&
      c.currency === r.currency &&
      c.gpu_count === r.gpu_count &&
      c.sku !== r.sku &&
      c.vcpus >= needVcpus &&
      c.memory_gib >= needMemory &&
      toScaled(c.hourly_price) < current;
    const best = input.catalog
      .filter(fits)
      .sort(
        (a, b) => Number(toScaled(a.hourly_price) - toScaled(b.hourly_price)) || a.sku.localeCompare(b.sku),
      )[0];
    if (!best) continue;
    const hourlyDiff = subtractDecimal(r.hourly_price, best.hourly_price);
    findings.push({
      ...base(r),
      kind: 'oversized_instance',
      action: `resize ${r.sku} → ${best.sku}`,
      monthly_savings: monthly(hourlyDiff),
      coverage: round(coverage),
      margin: round(
        Math.min(
          marginBelow(cpu.p95, t.oversized_cpu_p95_percent),
          mem ? marginBelow(mem.p95, t.oversized_memory_p95_percent) : 1,
        ),
      ),
      evidence: [
        evidence(input, cpu, t.oversized_cpu_p95_percent, 'p95'),
        ...(mem ? [evidence(input, mem, t.oversized_memory_p95_percent, 'p95')] : []),
      ],
      details: {
        current: { sku: r.sku, vcpus: r.vcpus, memory_gib: r.memory_gib, hourly_price: r.hourly_price },
        suggested: {
          sku: best.sku,
          vcpus: best.vcpus,
          memory_gib: best.memory_gib,
          hourly_price: best.hourly_price,
        },
        needed: { vcpus: round(needVcpus, 3), memory_gib: round(needMemory, 3), headroom: t.headroom },
        hourly_difference: hourlyDiff,
        ...(mem
          ? {}
          : { memory_note: 'memory is not measured: the suggested type keeps at least the current memory' }),
      },
    });
  }
  return { findings, skipped };
}

const ids = (r: { provider: string; resource_id: string }) => ({
  provider: r.provider,
  resource_id: r.resource_id,
});

import {
  base,
  coverageOf,
  evidence,
  hasGpus,
  isRunningVm,
  marginBelow,
  monthly,
  NO_PRICE,
  round,
  series,
  usageOf,
} from './common';
import type { Finding, Rule, RuleInput, SeriesStats, Skip } from './types';

const SECONDS_PER_DAY = 86_400;

/** Bytes moved per UTC day (in + out) from the per-day average rates of the network series. */
export function dailyNetworkBytes(network: readonly SeriesStats[]): Record<string, number> {
  const days: Record<string, number> = {};
  for (const s of network) {
    for (const [day, avg] of Object.entries(s.daily_avg))
      days[day] = (days[day] ?? 0) + avg * SECONDS_PER_DAY;
  }
  return days;
}

/**
 * Idle instance: a running VM (not a GPU machine: those are judged by their GPUs, see
 * idle-gpu.ts) whose peak CPU and whose network bytes on every day of the lookback are at
 * or below the thresholds, with enough data. Action: stop or terminate; savings: the
 * hourly price × 730.
 */
export const idleInstance: Rule = (input: RuleInput) => {
  const t = input.thresholds;
  const findings: Finding[] = [];
  const skipped: Skip[] = [];
  for (const r of input.resources) {
    if (!isRunningVm(r)) continue;
    const usage = usageOf(input, r);
    if (hasGpus(r, usage)) continue;
    const skip = (reason: string) =>
      skipped.push({ provider: r.provider, resource_id: r.resource_id, kind: 'idle_instance', reason });
    const cpu =
      series(usage, 'cpu_utilization').find((s) => s.dimension === '') ?? series(usage, 'cpu_utilization')[0];
    const network = [...series(usage, 'network_in'), ...series(usage, 'network_out')];
    if (!cpu) {
      skip('no cpu_utilization points in the lookback');
      continue;
    }
    if (network.length === 0) {
      skip('no network_in/network_out points in the lookback');
      continue;
    }
    const coverage = Math.min(coverageOf(input, cpu), ...network.map((s) => coverageOf(input, s)));
    if (coverage < t.min_coverage) {
      skip(
        `coverage ${round(coverage * 100, 1)}% of the ${t.lookback_days}-day lookback is below ${t.min_coverage * 100}%`,
      );
      continue;
    }
    const days = dailyNetworkBytes(network);
    const maxDaily = Math.max(0, ...Object.values(days));
    if (cpu.max > t.idle_cpu_max_percent || maxDaily > t.idle_network_daily_bytes) continue;
    const savings = monthly(r.hourly_price);
    findings.push({
      ...base(r),
      kind: 'idle_instance',
      action: 'stop or terminate the instance',
      monthly_savings: savings,
      coverage: round(coverage),
      margin: round(
        Math.min(
          marginBelow(cpu.max, t.idle_cpu_max_percent),
          marginBelow(maxDaily, t.idle_network_daily_bytes),
        ),
      ),
      evidence: [
        evidence(input, cpu, t.idle_cpu_max_percent, 'max'),
        ...network.map((s) => ({
          ...evidence(input, s, t.idle_network_daily_bytes, 'max_daily_bytes'),
          max_daily_bytes: Math.max(0, ...Object.values(s.daily_avg).map((a) => a * SECONDS_PER_DAY)),
        })),
      ],
      details: {
        hourly_price: r.hourly_price,
        max_daily_network_bytes: round(maxDaily, 0),
        ...(savings === null ? { savings_note: NO_PRICE } : {}),
      },
    });
  }
  return { findings, skipped };
};

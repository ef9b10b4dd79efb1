import type { Store } from '../lib/clickhouse/client';
import type { Logger } from '../lib/logger';

/**
 * A benchmark section: `npm run bench` runs every module in bench/sections/ in name order
 * (or those named on the command line). Each measures our code next to a baseline
 * measured in the same run and reports the ratio; absolute times vary by machine.
 */
export interface BenchSection {
  name: string;
  run(ctx: BenchContext): Promise<void>;
}

export interface BenchContext {
  /** Embedded ClickHouse with all migrations, database `optiinfra_bench` (fresh each run). */
  store: Store;
  logger: Logger;
  /** Prints one result line and keeps it for the summary table. */
  report(row: BenchRow): void;
  /**
   * Fraction of the full data set to generate (`npm run bench -- --scale 0.1`; default 1).
   * Sections scale their row counts by it, so quick runs keep every figure and its baseline.
   */
  scale: number;
  /** Progress for long steps (data generation). */
  progress(message: string): void;
}

export interface BenchRow {
  section: string;
  metric: string;
  ours: number;
  baseline: number;
  unit: string;
  /** 'higher' when bigger is better (rows/s), 'lower' for latencies. */
  better: 'higher' | 'lower';
  note?: string;
}

/** p-quantile of samples (nearest rank). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Runs `fn` `warmup` times unmeasured, then `n` times; returns the durations in ms. */
export async function timeIt(fn: () => Promise<unknown>, n: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * Alternates ours/baseline runs so machine noise hits both alike, and returns p50/p95 of each.
 */
export async function compareLatency(
  ours: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
  n: number,
): Promise<{ ours: { p50: number; p95: number }; baseline: { p50: number; p95: number } }> {
  await ours();
  await baseline();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    let t0 = performance.now();
    await ours();
    a.push(performance.now() - t0);
    t0 = performance.now();
    await baseline();
    b.push(performance.now() - t0);
  }
  return {
    ours: { p50: percentile(a, 50), p95: percentile(a, 95) },
    baseline: { p50: percentile(b, 50), p95: percentile(b, 95) },
  };
}

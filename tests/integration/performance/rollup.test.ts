import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter, type Writer } from '../../../lib/clickhouse/writer';
import {
  type PerformanceScope,
  type PerformanceSummary,
  readAverages,
  readByResource,
  readSummary,
  readTrends,
} from '../../../lib/performance/reader';
import { P95_RELATIVE_ACCURACY } from '../../../lib/performance/rollup';
import type { PerformancePointInput } from '../../../lib/schemas/rows';
import { rows, testStore } from '../../helpers/store';

/**
 * Hourly aggregates (lib/performance/rollup.ts) against the raw points: every read the
 * aggregates serve must give the raw answer — counts, sums, averages, minima, maxima,
 * identities, rankings exactly; p95 within the DDSketch bound — after re-collections,
 * retries, restatements and late points. Values are multiples of 1/8, so float sums are
 * exact in any order and "equal" can mean equal.
 */

const C = 'rollup-a';
const HOUR = 3_600_000;
const T0 = Date.parse('2026-05-01T00:00:00Z');
/** Not hour-aligned, so both edges are partial hours read raw. */
const PERIOD = { start: new Date(T0 + 17 * 60_000), end: new Date(T0 + 30 * HOUR + 41 * 60_000) };
const METRICS = ['cpu_utilization', 'memory_utilization'] as const;

function point(
  resource: number,
  metric: string,
  ms: number,
  value: number,
  dimension = '',
): PerformancePointInput {
  return {
    customer_id: C,
    provider: resource % 4 === 3 ? 'gcp' : 'aws',
    resource_id: `r-${resource}`,
    resource_name: `node-${resource}`,
    resource_type: 'instance',
    region: 'us-east-1',
    metric,
    dimension,
    unit: 'percent',
    value,
    ts: new Date(ms),
    collected_at: new Date(T0 + 40 * HOUR),
  };
}

/** Every 10 minutes for 32 hours, 6 resources, 2 metrics, a second dimension on resource 0. */
function windowPoints(restate = 0): PerformancePointInput[] {
  const out: PerformancePointInput[] = [];
  for (let r = 0; r < 6; r++) {
    for (const [m, metric] of METRICS.entries()) {
      for (let i = 0; i < 32 * 6; i++) {
        const v = ((r * 13 + m * 7 + i * 5) % 97) / 8 + r * 10 + restate;
        out.push(point(r, metric, T0 + i * 600_000, v));
        if (r === 0 && m === 0) out.push(point(r, metric, T0 + i * 600_000, v / 2, 'gpu1'));
      }
    }
  }
  return out;
}

const scope = (over: Partial<PerformanceScope> = {}): PerformanceScope => ({
  customerId: C,
  provider: 'all',
  period: PERIOD,
  ...over,
});

/** Exact-rank bound of a sketch p95: within the relative accuracy of a value between the two closest-ranked points. */
function expectP95Within(estimate: number, values: readonly number[]) {
  const x = [...values].sort((a, b) => a - b);
  const h = 0.95 * (x.length - 1);
  const lo = x[Math.floor(h)] as number;
  const hi = x[Math.min(x.length - 1, Math.floor(h) + 1)] as number;
  expect(estimate).toBeGreaterThanOrEqual(lo * (1 - P95_RELATIVE_ACCURACY) - 1e-9);
  expect(estimate).toBeLessThanOrEqual(hi * (1 + P95_RELATIVE_ACCURACY) + 1e-9);
}

/** The deduplicated raw values per metric (and per resource × metric) in the period, from SQL independent of the readers. */
async function rawValues(store: Store): Promise<Map<string, number[]>> {
  const got = await rows<{ k: string; vs: number[] }>(
    store,
    `SELECT concat(provider, '/', resource_id, '/', metric) AS k, groupArray(value) AS vs
     FROM performance_points FINAL
     WHERE customer_id = {c:String} AND ts >= {s:DateTime64(3)} AND ts < {e:DateTime64(3)}
     GROUP BY provider, resource_id, metric
     UNION ALL
     SELECT metric AS k, groupArray(value) AS vs
     FROM performance_points FINAL
     WHERE customer_id = {c:String} AND ts >= {s:DateTime64(3)} AND ts < {e:DateTime64(3)}
     GROUP BY metric`,
    { c: C, s: PERIOD.start.toISOString().replace('Z', ''), e: PERIOD.end.toISOString().replace('Z', '') },
  );
  return new Map(got.map((r) => [r.k, r.vs]));
}

const noP95 = (s: PerformanceSummary) => s.metrics.map(({ p95: _, ...m }) => m);

/** Every aggregate-served read equals its raw twin (p95 within the bound of the exact values). */
async function expectAggregatesEqualRaw(store: Store) {
  const values = await rawValues(store);
  for (const sc of [scope(), scope({ provider: 'aws' }), scope({ metrics: ['cpu_utilization'] })]) {
    const agg = await readSummary(store, sc, { top: 3 });
    const raw = await readSummary(store, sc, { top: 3, source: 'raw' });
    expect(agg.source).toBe('hourly_aggregates');
    expect(raw.source).toBe('raw');
    expect(noP95(agg)).toEqual(noP95(raw));
    expect(agg.totals).toEqual(raw.totals);
    if (sc.provider === 'all')
      for (const m of agg.metrics) expectP95Within(m.p95, values.get(m.metric) ?? []);

    for (const step of ['hour', 'day'] as const) {
      const a = await readTrends(store, sc, { step });
      const r = await readTrends(store, sc, { step, source: 'raw' });
      expect(a.source).toBe('hourly_aggregates');
      expect(a.trends).toEqual(r.trends);
    }

    const ba = await readByResource(store, sc, { limit: 4 });
    const br = await readByResource(store, sc, { limit: 4, source: 'raw' });
    expect(ba.source).toBe('hourly_aggregates');
    expect(ba.truncated).toBe(br.truncated);
    const strip = (x: typeof ba) =>
      x.resources.map((res) => ({ ...res, metrics: res.metrics.map(({ p95: _, ...m }) => m) }));
    expect(strip(ba)).toEqual(strip(br));
    for (const res of ba.resources) {
      for (const m of res.metrics) {
        expectP95Within(m.p95, values.get(`${res.provider}/${res.resource_id}/${m.metric}`) ?? []);
      }
    }

    for (const groupBy of ['none', 'provider', 'resource'] as const) {
      const a = await readAverages(store, sc, { groupBy });
      const r = await readAverages(store, sc, { groupBy, source: 'raw' });
      expect(a.source).toBe('hourly_aggregates');
      expect(a.averages).toEqual(r.averages);
    }
  }
}

let store: Store;
let writer: Writer;
beforeAll(async () => {
  store = await testStore();
  writer = createWriter(store, { batchSize: 1_000 });
  await writer.write('performance_points', windowPoints());
});

describe('hourly aggregates', () => {
  it('answer summary, trends, by-resource and average exactly as the raw points do', async () => {
    await expectAggregatesEqualRaw(store);
  });

  it('stay equal to the raw answer when the same window is collected again and a batch is retried', async () => {
    // Re-collection: the same facts again with a newer version (a different batch).
    await writer.write('performance_points', windowPoints());
    // A retry of one exact batch (same versions, same dedup token): ClickHouse drops it.
    const fixed = windowPoints()
      .slice(0, 500)
      .map((p) => ({ ...p, version: 7 }));
    await writer.write('performance_points', fixed);
    await writer.write('performance_points', fixed);
    await expectAggregatesEqualRaw(store);
    const [s] = (await readSummary(store, scope(), { top: 1 })).metrics;
    expect(s?.points).toBe((await readSummary(store, scope(), { top: 1, source: 'raw' })).metrics[0]?.points);
  });

  it('follow a restated window: the new values replace the old ones in every answer', async () => {
    const before = await readSummary(store, scope(), { top: 1 });
    await writer.write('performance_points', windowPoints(0.5));
    const after = await readSummary(store, scope(), { top: 1 });
    // memory_utilization has one series per resource, every value restated by +0.5.
    expect(after.metrics[1]?.metric).toBe('memory_utilization');
    expect(after.metrics[1]?.avg).toBe((before.metrics[1]?.avg ?? 0) + 0.5);
    expect(after.metrics[1]?.max).toBe((before.metrics[1]?.max ?? 0) + 0.5);
    expect(after.totals.points).toBe(before.totals.points);
    await expectAggregatesEqualRaw(store);
  });

  it('update an already aggregated hour when a late point arrives', async () => {
    const hour = T0 + 5 * HOUR;
    const sc = scope({ provider: 'aws', metrics: ['cpu_utilization'], resourceId: 'r-1' });
    const before = await readTrends(store, sc, { step: 'hour' });
    const bucket = (t: typeof before) =>
      t.trends[0]?.buckets.find((b) => Date.parse(b.ts) === hour) as { points: number; max: number };
    expect(bucket(before).points).toBe(6);
    await writer.write('performance_points', [point(1, 'cpu_utilization', hour + 5 * 60_000, 1000)]);
    const after = await readTrends(store, sc, { step: 'hour' });
    expect(after.source).toBe('hourly_aggregates');
    expect(bucket(after)).toMatchObject({ points: 7, max: 1000 });
    const stored = await rows<{ points: number; value_max: number }>(
      store,
      `SELECT points, value_max FROM performance_hourly FINAL
       WHERE customer_id = {c:String} AND resource_id = 'r-1' AND metric = 'cpu_utilization' AND dimension = ''
         AND hour = {h:DateTime('UTC')}`,
      { c: C, h: new Date(hour).toISOString().slice(0, 19).replace('T', ' ') },
    );
    expect(stored).toEqual([{ points: 7, value_max: 1000 }]);
    await expectAggregatesEqualRaw(store);
  });

  it('read raw when the aggregates cannot answer exactly: type or region filters, periods inside one hour', async () => {
    expect((await readSummary(store, scope({ region: 'us-east-1' }), { top: 1 })).source).toBe('raw');
    expect((await readAverages(store, scope(), { groupBy: 'region' })).source).toBe('raw');
    const short = { start: new Date(T0 + 10 * 60_000), end: new Date(T0 + 50 * 60_000) };
    const s = await readSummary(store, scope({ period: short }), { top: 1 });
    expect(s.source).toBe('raw');
    expect(s.p95_method).toMatch(/PERCENTILE\.INC/);
  });

  it('keep p95 within the stated bound on a skewed distribution of many points', async () => {
    const c = 'rollup-skew';
    const pts: PerformancePointInput[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Heavy tail: most values small, a few very large.
      const u = ((i * 7919) % 20_000) / 20_000;
      pts.push({
        ...point(0, 'network_in', T0 + (i % 48) * HOUR + Math.floor(i / 48) * 1_000, 1 / (1 - u * 0.999)),
        customer_id: c,
        unit: 'bytes_per_second',
      });
    }
    await writer.write('performance_points', pts);
    const period = { start: new Date(T0), end: new Date(T0 + 48 * HOUR) };
    const s = await readSummary(store, { customerId: c, provider: 'all', period }, { top: 1 });
    expect(s.source).toBe('hourly_aggregates');
    expect(s.p95_method).toMatch(/DDSketch/);
    expectP95Within(
      s.metrics[0]?.p95 as number,
      pts.map((p) => p.value),
    );
  });
});

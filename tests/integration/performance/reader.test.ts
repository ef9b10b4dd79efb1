import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter } from '../../../lib/clickhouse/writer';
import {
  describeTrend,
  type PerformanceScope,
  readAverages,
  readByResource,
  readLatest,
  readMetricSeries,
  readResourcePerformance,
  readSummary,
  readTrends,
} from '../../../lib/performance/reader';
import type { PerformancePointInput } from '../../../lib/schemas/rows';
import { testStore } from '../../helpers/store';

/**
 * The p95 definition the API documents (PERCENTILE.INC / R-7), written out independently
 * of ClickHouse: h = p·(n−1) + 1 (1-based rank), interpolate between ranks ⌊h⌋ and ⌊h⌋+1.
 */
function p95(values: number[]): number {
  const x = [...values].sort((a, b) => a - b);
  const h = 0.95 * (x.length - 1) + 1;
  const k = Math.floor(h);
  if (k >= x.length) return x[x.length - 1]!;
  return x[k - 1]! + (h - k) * (x[k]! - x[k - 1]!);
}

const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

const A = 'perf-reader-a';
const B = 'perf-reader-b';
const PERIOD = { start: new Date('2026-03-01T00:00:00Z'), end: new Date('2026-03-03T00:00:00Z') };

const base = (customer: string, provider: string, id: string, name: string) => ({
  customer_id: customer,
  provider,
  resource_id: id,
  resource_name: name,
  resource_type: 'instance',
  region: provider === 'aws' ? 'us-east-1' : 'europe-west4',
  collected_at: '2026-03-03T00:10:00Z',
});

function cpu(
  customer: string,
  provider: string,
  id: string,
  name: string,
  ts: string,
  value: number,
): PerformancePointInput {
  return { ...base(customer, provider, id, name), metric: 'cpu_utilization', unit: 'percent', ts, value };
}

function gpu(id: string, dimension: string, ts: string, value: number): PerformancePointInput {
  return {
    ...base(A, 'aws', id, 'trainer'),
    resource_type: 'gpu_instance',
    metric: 'gpu_utilization',
    dimension,
    unit: 'percent',
    ts,
    value,
  };
}

/*
 * Customer A, aws, 2026-03-01 .. 2026-03-03 (end exclusive):
 *   cpu_utilization  i-1 web-1   00:00 10, 00:30 20, 01:00 30, 01:30 40, Mar 2 00:00 50
 *                    i-2 trainer 00:00 60, 00:30 70, 01:00 80, 01:30 90, Mar 2 00:00 100
 *                    i-3 idle    00:00 0
 *   gpu_utilization  i-2 gpu0    00:00 40, 01:00 60;   gpu1 00:00 20, 01:00 80
 * plus: i-1 points just before the start and exactly at the end (outside), a gcp vm-9
 * (cpu 40 at 00:00), and customer B's point (never visible to A).
 * i-1's 00:30 point is collected three times: 99, then 20, then 20 again.
 */
const CPU_AWS = { 'i-1': [10, 20, 30, 40, 50], 'i-2': [60, 70, 80, 90, 100], 'i-3': [0] };

let store: Store;
beforeAll(async () => {
  store = await testStore();
  const writer = createWriter(store);
  const day1 = [
    '2026-03-01T00:00:00Z',
    '2026-03-01T00:30:00Z',
    '2026-03-01T01:00:00Z',
    '2026-03-01T01:30:00Z',
  ];
  await writer.write('performance_points', [
    cpu(A, 'aws', 'i-1', 'web-1', day1[1]!, 99),
    cpu(A, 'aws', 'i-1', 'web-1', '2026-02-28T23:59:59.999Z', 1000),
    cpu(A, 'aws', 'i-1', 'web-1', '2026-03-03T00:00:00Z', 1000),
    cpu(B, 'aws', 'i-1', 'other-customer', day1[0]!, 7),
  ]);
  await writer.write('performance_points', [
    ...day1.map((ts, i) => cpu(A, 'aws', 'i-1', 'web-1', ts, CPU_AWS['i-1'][i]!)),
    cpu(A, 'aws', 'i-1', 'web-1', '2026-03-02T00:00:00Z', 50),
    ...day1.map((ts, i) => cpu(A, 'aws', 'i-2', 'trainer', ts, CPU_AWS['i-2'][i]!)),
    cpu(A, 'aws', 'i-2', 'trainer', '2026-03-02T00:00:00Z', 100),
    cpu(A, 'aws', 'i-3', 'idle', day1[0]!, 0),
    gpu('i-2', 'gpu0', day1[0]!, 40),
    gpu('i-2', 'gpu0', day1[2]!, 60),
    gpu('i-2', 'gpu1', day1[0]!, 20),
    gpu('i-2', 'gpu1', day1[2]!, 80),
    cpu(A, 'gcp', 'vm-9', 'gcp-worker', day1[0]!, 40),
  ]);
  // A retried collection re-sends the same point: still one point.
  await writer.write('performance_points', [cpu(A, 'aws', 'i-1', 'web-1', day1[1]!, 20)]);
});

const scope = (over: Partial<PerformanceScope> = {}): PerformanceScope => ({
  customerId: A,
  provider: 'aws',
  period: PERIOD,
  ...over,
});

describe('readSummary', () => {
  it('gives avg, p95, max and min of every point per metric, each re-collected point counted once', async () => {
    const s = await readSummary(store, scope(), { top: 2, source: 'raw' });
    const allCpu = Object.values(CPU_AWS).flat();
    expect(s.metrics.map((m) => m.metric)).toEqual(['cpu_utilization', 'gpu_utilization']);
    const c = s.metrics[0]!;
    expect(c).toMatchObject({
      unit: 'percent',
      avg: 50,
      p95: 95,
      max: 100,
      min: 0,
      points: 11,
      resources: 3,
    });
    expect(p95(allCpu)).toBe(95);
    const g = s.metrics[1]!;
    expect(g).toMatchObject({
      avg: 50,
      p95: p95([40, 60, 20, 80]),
      max: 80,
      min: 20,
      points: 4,
      resources: 1,
    });
    expect(s.totals).toEqual({ metrics: 2, resources: 3, points: 15 });
  });

  it('ranks the busiest and idlest resources by their own average, top N', async () => {
    const s = await readSummary(store, scope(), { top: 2 });
    const c = s.metrics[0]!;
    expect(c.busiest).toEqual([
      {
        provider: 'aws',
        resource_id: 'i-2',
        resource_name: 'trainer',
        resource_type: 'instance',
        region: 'us-east-1',
        avg: 80,
        max: 100,
        points: 5,
      },
      {
        provider: 'aws',
        resource_id: 'i-1',
        resource_name: 'web-1',
        resource_type: 'instance',
        region: 'us-east-1',
        avg: 30,
        max: 50,
        points: 5,
      },
    ]);
    expect(c.idlest.map((r) => [r.resource_id, r.avg])).toEqual([
      ['i-3', 0],
      ['i-1', 30],
    ]);
  });

  it('covers every provider of the customer with provider "all", and only that customer', async () => {
    const s = await readSummary(store, scope({ provider: 'all', metrics: ['cpu_utilization'] }), {
      top: 1,
      source: 'raw',
    });
    const values = [...Object.values(CPU_AWS).flat(), 40];
    expect(s.metrics).toHaveLength(1);
    expect(s.metrics[0]).toMatchObject({
      avg: avg(values),
      p95: p95(values),
      max: 100,
      points: 12,
      resources: 4,
    });
    expect(s.metrics[0]!.busiest.map((r) => r.resource_id)).toEqual(['i-2']);
    expect(s.totals).toEqual({ metrics: 1, resources: 4, points: 12 });
    const other = await readSummary(store, { ...scope(), customerId: B }, { top: 5 });
    expect(other.metrics[0]).toMatchObject({ avg: 7, points: 1 });
  });

  it('returns no metrics for a period without data', async () => {
    const s = await readSummary(
      store,
      scope({ period: { start: new Date('2025-01-01T00:00:00Z'), end: new Date('2025-01-02T00:00:00Z') } }),
      { top: 5 },
    );
    expect(s).toMatchObject({ metrics: [], totals: { metrics: 0, resources: 0, points: 0 } });
  });
});

describe('readTrends', () => {
  it('buckets every point of a metric by hour: avg, min, max, count', async () => {
    const t = await readTrends(store, scope({ metrics: ['cpu_utilization'] }), { step: 'hour' });
    expect(t.trends).toHaveLength(1);
    expect(t.trends[0]!.buckets).toEqual([
      { ts: '2026-03-01T00:00:00.000Z', avg: 32, min: 0, max: 70, points: 5 },
      { ts: '2026-03-01T01:00:00.000Z', avg: 60, min: 30, max: 90, points: 4 },
      { ts: '2026-03-02T00:00:00.000Z', avg: 75, min: 50, max: 100, points: 2 },
    ]);
  });

  it('buckets by day and says which way the averages move', async () => {
    const t = await readTrends(store, scope({ metrics: ['cpu_utilization'] }), { step: 'day' });
    const day1 = [10, 20, 30, 40, 60, 70, 80, 90, 0];
    expect(t.trends[0]!.buckets).toEqual([
      { ts: '2026-03-01T00:00:00.000Z', avg: avg(day1), min: 0, max: 90, points: 9 },
      { ts: '2026-03-02T00:00:00.000Z', avg: 75, min: 50, max: 100, points: 2 },
    ]);
    expect(t.trends[0]).toMatchObject({ first: avg(day1), last: 75, direction: 'rising' });
  });

  it('stops at maxBuckets over all metrics and says so', async () => {
    const t = await readTrends(store, scope(), { step: 'hour', maxBuckets: 4 });
    expect(t.truncated).toBe(true);
    expect(t.trends.map((x) => [x.metric, x.buckets.length])).toEqual([
      ['cpu_utilization', 3],
      ['gpu_utilization', 1],
    ]);
    expect((await readTrends(store, scope(), { step: 'hour', maxBuckets: 5 })).truncated).toBe(false);
  });

  it('computes the least-squares slope per day and the fitted change in percent of the mean', () => {
    const b = (day: number, v: number) => ({
      ts: `2026-03-0${day}T00:00:00.000Z`,
      avg: v,
      min: v,
      max: v,
      points: 1,
    });
    expect(describeTrend([b(1, 20), b(2, 30), b(3, 40)])).toEqual({
      first: 20,
      last: 40,
      slope_per_day: 10,
      change_percent: (20 / 30) * 100,
      direction: 'rising',
    });
    expect(describeTrend([b(1, 40), b(2, 30), b(3, 20)])).toMatchObject({
      slope_per_day: -10,
      direction: 'falling',
    });
    // 0.1/day over 2 days on a mean of 50: +0.4 %, inside the ±5 % band.
    expect(describeTrend([b(1, 50), b(2, 50), b(3, 50.2)]).direction).toBe('stable');
    expect(describeTrend([b(1, 5)])).toEqual({
      first: 5,
      last: 5,
      slope_per_day: null,
      change_percent: null,
      direction: 'unknown',
    });
  });
});

describe('readMetricSeries', () => {
  it('returns raw points per series in time order, only inside the period', async () => {
    const r = await readMetricSeries(store, scope({ resourceId: 'i-1' }), { step: 'raw', limit: 100 });
    expect(r.truncated).toBe(false);
    expect(r.series).toHaveLength(1);
    expect(r.series[0]).toMatchObject({
      provider: 'aws',
      resource_id: 'i-1',
      resource_name: 'web-1',
      metric: 'cpu_utilization',
      dimension: '',
      unit: 'percent',
    });
    expect(r.series[0]!.points).toEqual([
      { ts: '2026-03-01T00:00:00.000Z', value: 10 },
      { ts: '2026-03-01T00:30:00.000Z', value: 20 },
      { ts: '2026-03-01T01:00:00.000Z', value: 30 },
      { ts: '2026-03-01T01:30:00.000Z', value: 40 },
      { ts: '2026-03-02T00:00:00.000Z', value: 50 },
    ]);
  });

  it('averages per step bucket with min, max and sample count, one series per dimension', async () => {
    const r = await readMetricSeries(store, scope({ metrics: ['gpu_utilization'] }), {
      step: 'day',
      limit: 100,
    });
    expect(r.series.map((s) => [s.dimension, s.points])).toEqual([
      ['gpu0', [{ ts: '2026-03-01T00:00:00.000Z', value: 50, min: 40, max: 60, samples: 2 }]],
      ['gpu1', [{ ts: '2026-03-01T00:00:00.000Z', value: 50, min: 20, max: 80, samples: 2 }]],
    ]);
    const hourly = await readMetricSeries(store, scope({ resourceId: 'i-1' }), { step: 'hour', limit: 100 });
    expect(hourly.series[0]!.points.map((p) => [p.ts, p.value, p.samples])).toEqual([
      ['2026-03-01T00:00:00.000Z', 15, 2],
      ['2026-03-01T01:00:00.000Z', 35, 2],
      ['2026-03-02T00:00:00.000Z', 50, 1],
    ]);
  });

  it('stops at the limit and says so', async () => {
    const r = await readMetricSeries(store, scope({ metrics: ['cpu_utilization'] }), {
      step: 'raw',
      limit: 7,
    });
    expect(r.truncated).toBe(true);
    expect(r.points).toBe(7);
    expect(r.series.map((s) => [s.resource_id, s.points.length])).toEqual([
      ['i-1', 5],
      ['i-2', 2],
    ]);
  });

  it('filters on dimension, resource type and region', async () => {
    const r = await readMetricSeries(store, scope({ dimension: 'gpu1' }), { step: 'raw', limit: 100 });
    expect(r.series.map((s) => [s.metric, s.dimension, s.points.length])).toEqual([
      ['gpu_utilization', 'gpu1', 2],
    ]);
    const typed = await readMetricSeries(store, scope({ resourceType: 'gpu_instance' }), {
      step: 'raw',
      limit: 100,
    });
    expect(typed.points).toBe(4);
    const none = await readMetricSeries(store, scope({ region: 'ap-south-1' }), { step: 'raw', limit: 100 });
    expect(none).toEqual({ step: 'raw', series: [], points: 0, truncated: false });
  });
});

describe('readLatest', () => {
  it('gives the newest value of each series within the period', async () => {
    const r = await readLatest(store, scope(), { limit: 100 });
    expect(r.truncated).toBe(false);
    expect(r.values.map((v) => [v.resource_id, v.metric, v.dimension, v.value, v.ts])).toEqual([
      ['i-1', 'cpu_utilization', '', 50, '2026-03-02T00:00:00.000Z'],
      ['i-2', 'cpu_utilization', '', 100, '2026-03-02T00:00:00.000Z'],
      ['i-2', 'gpu_utilization', 'gpu0', 60, '2026-03-01T01:00:00.000Z'],
      ['i-2', 'gpu_utilization', 'gpu1', 80, '2026-03-01T01:00:00.000Z'],
      ['i-3', 'cpu_utilization', '', 0, '2026-03-01T00:00:00.000Z'],
    ]);
    expect(r.values[2]).toMatchObject({
      resource_name: 'trainer',
      resource_type: 'gpu_instance',
      unit: 'percent',
    });
    const limited = await readLatest(store, scope(), { limit: 2 });
    expect([limited.values.length, limited.truncated]).toEqual([2, true]);
  });
});

describe('readByResource', () => {
  it('gives per resource, per metric avg, min, max, p95 and count', async () => {
    const r = await readByResource(store, scope(), { limit: 10, source: 'raw' });
    expect(r.truncated).toBe(false);
    expect(r.resources.map((x) => x.resource_id)).toEqual(['i-1', 'i-2', 'i-3']);
    expect(r.resources[0]).toEqual({
      provider: 'aws',
      resource_id: 'i-1',
      resource_name: 'web-1',
      resource_type: 'instance',
      region: 'us-east-1',
      metrics: [
        {
          metric: 'cpu_utilization',
          unit: 'percent',
          avg: 30,
          min: 10,
          max: 50,
          p95: p95(CPU_AWS['i-1']),
          points: 5,
        },
      ],
    });
    expect(r.resources[1]!.metrics).toEqual([
      {
        metric: 'cpu_utilization',
        unit: 'percent',
        avg: 80,
        min: 60,
        max: 100,
        p95: p95(CPU_AWS['i-2']),
        points: 5,
      },
      {
        metric: 'gpu_utilization',
        unit: 'percent',
        avg: 50,
        min: 20,
        max: 80,
        p95: p95([40, 60, 20, 80]),
        points: 4,
      },
    ]);
  });

  it('pages by resource, not by row', async () => {
    const r = await readByResource(store, scope(), { limit: 2 });
    expect(r.truncated).toBe(true);
    expect(r.resources.map((x) => [x.resource_id, x.metrics.length])).toEqual([
      ['i-1', 1],
      ['i-2', 2],
    ]);
  });
});

describe('readAverages', () => {
  it('averages every point per metric, optionally per group', async () => {
    const plain = await readAverages(store, scope({ provider: 'all' }), { groupBy: 'none' });
    expect(plain.averages).toEqual([
      {
        metric: 'cpu_utilization',
        unit: 'percent',
        group: {},
        avg: avg([...Object.values(CPU_AWS).flat(), 40]),
        points: 12,
        resources: 4,
      },
      { metric: 'gpu_utilization', unit: 'percent', group: {}, avg: 50, points: 4, resources: 1 },
    ]);
    const byProvider = await readAverages(store, scope({ provider: 'all', metrics: ['cpu_utilization'] }), {
      groupBy: 'provider',
    });
    expect(byProvider.averages.map((a) => [a.group, a.avg, a.points, a.resources])).toEqual([
      [{ provider: 'aws' }, 50, 11, 3],
      [{ provider: 'gcp' }, 40, 1, 1],
    ]);
    const byResource = await readAverages(store, scope({ metrics: ['cpu_utilization'] }), {
      groupBy: 'resource',
    });
    expect(byResource.averages.map((a) => [a.group, a.avg])).toEqual([
      [{ provider: 'aws', resource_id: 'i-1' }, 30],
      [{ provider: 'aws', resource_id: 'i-2' }, 80],
      [{ provider: 'aws', resource_id: 'i-3' }, 0],
    ]);
  });
});

describe('readResourcePerformance', () => {
  it('gives one resource per metric and dimension: stats and newest value', async () => {
    const r = await readResourcePerformance(store, { ...scope(), resourceId: 'i-2' });
    expect(r).toMatchObject({ provider: 'aws', resource_id: 'i-2', resource_name: 'trainer' });
    expect(r!.metrics.map((m) => [m.metric, m.dimension, m.avg, m.min, m.max, m.points, m.latest])).toEqual([
      ['cpu_utilization', '', 80, 60, 100, 5, { value: 100, ts: '2026-03-02T00:00:00.000Z' }],
      ['gpu_utilization', 'gpu0', 50, 40, 60, 2, { value: 60, ts: '2026-03-01T01:00:00.000Z' }],
      ['gpu_utilization', 'gpu1', 50, 20, 80, 2, { value: 80, ts: '2026-03-01T01:00:00.000Z' }],
    ]);
    expect(r!.metrics[1]!.p95).toBe(p95([40, 60]));
  });

  it('is null for a resource without points in the period', async () => {
    expect(await readResourcePerformance(store, { ...scope(), resourceId: 'i-404' })).toBeNull();
    expect(await readResourcePerformance(store, { ...scope(), customerId: B, resourceId: 'i-2' })).toBeNull();
  });
});

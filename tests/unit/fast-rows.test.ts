import { describe, expect, it } from 'vitest';
import { FAST_ROWS } from '../../lib/clickhouse/fast-rows';
import { PerformancePointSchema } from '../../lib/schemas/rows';

const fast = FAST_ROWS.performance_points as (row: unknown) => Record<string, unknown> | undefined;

const base = {
  customer_id: 'acme',
  provider: 'aws',
  resource_id: 'i-1',
  metric: 'cpu_utilization',
  unit: 'percent',
  value: 12.5,
  ts: '2026-03-01 00:05:00.000',
  collected_at: '2026-03-01 00:10:00',
};

describe('fast performance point check', () => {
  it.each([
    ['minimal row (defaults filled)', base],
    [
      'every field, unknown keys dropped',
      {
        ...base,
        resource_name: 'web',
        resource_type: 'instance',
        region: 'us-east-1',
        dimension: 'gpu0',
        source_metric: 'CPUUtilization',
        labels: { team: 'ml' },
        task_id: 't-1',
        version: 42,
        extra: 'dropped',
      },
    ],
    ['leap day', { ...base, ts: '2028-02-29 23:59:59.999' }],
  ])('returns exactly what the schema returns: %s', (_, row) => {
    const got = fast(row);
    expect(got).toBeDefined();
    expect(got).toEqual(PerformancePointSchema.parse(row));
    expect(Object.keys(got as object)).toEqual(Object.keys(PerformancePointSchema.parse(row)));
  });

  it.each([
    ['a Date time (the schema converts it)', { ...base, ts: new Date('2026-03-01T00:00:00Z') }],
    ['an ISO time', { ...base, ts: '2026-03-01T00:00:00Z' }],
    ['an impossible date', { ...base, ts: '2026-02-30 00:00:00' }],
    ['an hour 24', { ...base, ts: '2026-03-01 24:00:00' }],
    ['a NaN value', { ...base, value: Number.NaN }],
    ['a string value', { ...base, value: '1' }],
    ['a bad customer id', { ...base, customer_id: 'a b' }],
    ['an upper-case metric', { ...base, metric: 'CPU' }],
    ['an empty resource id', { ...base, resource_id: '' }],
    ['a numeric label', { ...base, labels: { a: 1 } }],
    ['a negative version', { ...base, version: -1 }],
    ['an over-long name', { ...base, resource_name: 'x'.repeat(16_385) }],
  ])('leaves the row to the schema: %s', (_, row) => {
    expect(fast(row)).toBeUndefined();
  });
});

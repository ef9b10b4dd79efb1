import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { metricPoint, perSecond, ratioToPercent, secondsToMs } from '../../../lib/metrics/points';
import {
  isMetricName,
  METRIC_NAMES,
  METRIC_UNITS,
  METRICS,
  renderMetricsTable,
} from '../../../lib/metrics/vocabulary';
import { mapSample } from '../../../lib/providers/local/performance';
import { PerformancePointSchema } from '../../../lib/schemas/rows';

const DOC = fileURLToPath(new URL('../../../docs/metrics.md', import.meta.url));

describe('metric vocabulary', () => {
  it('is documented in docs/metrics.md exactly as the constant defines it', () => {
    const doc = readFileSync(DOC, 'utf8');
    const table = renderMetricsTable();
    if (!doc.includes(table)) {
      // Regenerate the table in docs/metrics.md with this text:
      console.error(table);
    }
    expect(doc.includes(table)).toBe(true);
  });

  it('names every metric in the stored form and gives each a normalised unit', () => {
    for (const name of METRIC_NAMES) {
      expect(name).toMatch(/^[a-z0-9_.]{1,64}$/);
      expect(Object.keys(METRIC_UNITS)).toContain(METRICS[name].unit);
      expect(Object.keys(METRICS[name].sources).length).toBeGreaterThan(0);
    }
    expect(isMetricName('cpu_utilization')).toBe(true);
    expect(isMetricName('toString')).toBe(false);
  });

  it('covers every metric the local provider emits, in the vocabulary’s unit', () => {
    const points = mapSample(
      {
        cpuPercent: 12.3456,
        memTotal: 16 * 1024 ** 3,
        memAvailable: 4 * 1024 ** 3,
        load1: 0.5,
        disks: [{ mount: '/', size: 100, used: 40, usePercent: 40 }],
        net: [{ iface: 'eth0', rxPerSec: 1000, txPerSec: 2000 }],
      },
      new Date('2026-11-20T12:00:00Z'),
      { customerId: 'acme', resourceId: 'local:host', resourceName: 'host', taskId: 't' },
    );
    expect(points.map((p) => p.metric).sort()).toEqual([
      'cpu_utilization',
      'disk_used',
      'disk_utilization',
      'load_average_1m',
      'memory_used',
      'memory_utilization',
      'network_in',
      'network_out',
    ]);
    for (const p of points) {
      expect(isMetricName(p.metric)).toBe(true);
      expect(p.unit).toBe(METRICS[p.metric as keyof typeof METRICS].unit);
    }
  });
});

describe('metricPoint and conversions', () => {
  const target = {
    customerId: 'acme',
    provider: 'aws',
    resourceId: 'i-1',
    resourceName: 'web',
    resourceType: 'vm',
    region: 'us-east-1',
    taskId: 't1',
    collectedAt: new Date('2026-11-20T12:07:00Z'),
    labels: { instance_type: 'm5.large' },
  };

  it('takes the unit from the vocabulary and produces a valid row', () => {
    const p = metricPoint(target, 'network_in', perSecond(375_000, 300), new Date('2026-11-20T12:00:00Z'), {
      sourceMetric: 'AWS/EC2:NetworkIn:Sum',
      labels: { period_s: '300' },
    });
    expect(p).toMatchObject({
      metric: 'network_in',
      unit: 'bytes_per_second',
      value: 1250,
      dimension: '',
      labels: { instance_type: 'm5.large', period_s: '300' },
    });
    expect(PerformancePointSchema.safeParse(p).success).toBe(true);
  });

  it.each([
    ['a ratio as a percentage', ratioToPercent(0.425), 42.5],
    ['a 5-minute total as a rate', perSecond(3_000_000, 300), 10_000],
    ['seconds as milliseconds', secondsToMs(0.0025), 2.5],
  ])('converts %s', (_name, actual, expected) => {
    expect(actual).toBeCloseTo(expected, 9);
  });

  it('refuses a non-positive period', () => {
    expect(() => perSecond(1, 0)).toThrow(RangeError);
  });
});

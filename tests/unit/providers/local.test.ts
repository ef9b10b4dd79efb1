import { describe, expect, it } from 'vitest';
import { localCostRows } from '../../../lib/providers/local/cost';
import { mapSample } from '../../../lib/providers/local/performance';

describe('local cost rows', () => {
  const base = {
    rate: '0.36',
    currency: 'EUR',
    customerId: 'acme',
    resourceId: 'local:box',
    taskId: 't1',
    collectedAt: new Date('2026-11-20T12:40:00Z'),
  };

  it('charges each clock hour the machine was up, prorated, in exact decimals', () => {
    const rows = localCostRows({
      ...base,
      window: { start: new Date('2026-11-20T10:00:00Z'), end: new Date('2026-11-20T12:40:00Z') },
      upSince: new Date('2026-11-20T10:15:00Z'),
    });
    expect(rows.map((r) => [r.charge_period_start, r.billed_cost, r.pricing_quantity])).toEqual([
      [new Date('2026-11-20T10:00:00Z'), '0.27', '0.75'],
      [new Date('2026-11-20T11:00:00Z'), '0.36', '1'],
      [new Date('2026-11-20T12:00:00Z'), '0.24', '0.6666666667'],
    ]);
    expect(rows.every((r) => r.billing_currency === 'EUR' && r.charge_category === 'Usage')).toBe(true);
  });

  it('re-reading the open hour later yields the same key with the larger amount (a restatement)', () => {
    const window = { start: new Date('2026-11-20T12:00:00Z'), end: new Date('2026-11-20T13:00:00Z') };
    const [later] = localCostRows({ ...base, window, upSince: new Date('2026-11-01T00:00:00Z') });
    expect(later?.charge_period_start).toEqual(new Date('2026-11-20T12:00:00Z'));
    expect(later?.billed_cost).toBe('0.36');
  });
});

describe('local performance mapping', () => {
  it('maps a reading to the shared vocabulary with units and sub-series', () => {
    const at = new Date('2026-11-20T12:00:00Z');
    const points = mapSample(
      {
        cpuPercent: 37.5,
        memTotal: 8 * 2 ** 30,
        memAvailable: 2 * 2 ** 30,
        load1: 1.25,
        disks: [{ mount: '/', size: 100, used: 40, usePercent: 40 }],
        net: [{ iface: 'eth0', rxPerSec: 1000, txPerSec: 250.5 }],
      },
      at,
      { customerId: 'acme', resourceId: 'local:box', resourceName: 'box', taskId: 't' },
    );
    const byMetric = Object.fromEntries(
      points.map((p) => [`${p.metric}${p.dimension ? `@${p.dimension}` : ''}`, [p.value, p.unit]]),
    );
    expect(byMetric).toEqual({
      cpu_utilization: [37.5, 'percent'],
      load_average_1m: [1.25, 'count'],
      memory_utilization: [75, 'percent'],
      memory_used: [6 * 2 ** 30, 'bytes'],
      'disk_utilization@/': [40, 'percent'],
      'disk_used@/': [40, 'bytes'],
      'network_in@eth0': [1000, 'bytes_per_second'],
      'network_out@eth0': [250.5, 'bytes_per_second'],
    });
  });
});

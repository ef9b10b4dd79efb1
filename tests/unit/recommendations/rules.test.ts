import { describe, expect, it } from 'vitest';
import { idleGpu } from '../../../lib/recommendations/idle-gpu';
import { idleInstance } from '../../../lib/recommendations/idle-instance';
import { orphanedStorage } from '../../../lib/recommendations/orphaned-storage';
import { oversizedInstance } from '../../../lib/recommendations/oversized-instance';
import { stoppedInstanceStorage } from '../../../lib/recommendations/stopped-instance-storage';
import {
  DEFAULT_THRESHOLDS,
  parseThresholdOverrides,
  thresholdsFor,
} from '../../../lib/recommendations/thresholds';
import type {
  InventoryItem,
  PricedType,
  ResourceHistory,
  RuleInput,
  SeriesStats,
} from '../../../lib/recommendations/types';
import { resourceKey } from '../../../lib/recommendations/types';
import { underusedGpu } from '../../../lib/recommendations/underused-gpu';

const NOW = new Date('2026-12-01T00:00:00Z');
const FULL_HOURS = 14 * 24;
const DAY = 86_400_000;

function vm(over: Partial<InventoryItem> = {}): InventoryItem {
  return {
    provider: 'aws',
    resource_id: 'i-1',
    resource_type: 'vm',
    name: 'web-1',
    status: 'running',
    region: 'us-east-1',
    sku: 't3.medium',
    vcpus: 2,
    memory_gib: 4,
    gpu_count: 0,
    hourly_price: '0.0416',
    currency: 'USD',
    attributes: {},
    ...over,
  };
}

/** A series with `hours` of data, the given max/p95/avg, and a flat daily average. */
function s(metric: string, stats: Partial<SeriesStats> & { daily?: number }, dimension = ''): SeriesStats {
  const hours = stats.hours ?? FULL_HOURS;
  const daily: Record<string, number> = {};
  for (let d = 0; d < Math.ceil(hours / 24); d++) {
    daily[new Date(NOW.getTime() - (d + 1) * DAY).toISOString().slice(0, 10)] = stats.daily ?? stats.avg ?? 0;
  }
  return {
    metric,
    dimension,
    points: hours * 12,
    hours,
    max: stats.max ?? 0,
    avg: stats.avg ?? 0,
    p95: stats.p95 ?? stats.max ?? 0,
    daily_avg: daily,
  };
}

function input(
  resources: InventoryItem[],
  usage: Record<string, SeriesStats[]>,
  extra: {
    history?: Record<string, ResourceHistory>;
    catalog?: PricedType[];
    customer?: string;
    overrides?: string;
  } = {},
): RuleInput {
  const usageMap = new Map(
    Object.entries(usage).map(([id, list]) => {
      const m = new Map<string, SeriesStats[]>();
      for (const x of list) m.set(x.metric, [...(m.get(x.metric) ?? []), x]);
      return [resourceKey('aws', id), m] as const;
    }),
  );
  return {
    now: NOW,
    thresholds: thresholdsFor(extra.customer ?? 'acme', parseThresholdOverrides(extra.overrides)),
    resources,
    usage: usageMap,
    history: new Map(Object.entries(extra.history ?? {}).map(([id, h]) => [resourceKey('aws', id), h])),
    catalog: extra.catalog ?? [],
  };
}

const quietNetwork = [s('network_in', { max: 20, avg: 10 }), s('network_out', { max: 20, avg: 10 })];

describe('idle instance', () => {
  it('flags a VM with peak CPU 3 % and 1.7 MB a day of traffic, saving 0.0416 × 730 = 30.368 a month', () => {
    const out = idleInstance(
      input([vm()], { 'i-1': [s('cpu_utilization', { max: 3, avg: 1 }), ...quietNetwork] }),
    );
    expect(out.findings).toHaveLength(1);
    const f = out.findings[0];
    expect(f?.kind).toBe('idle_instance');
    expect(f?.monthly_savings).toBe('30.368');
    expect(f?.currency).toBe('USD');
    expect(f?.coverage).toBe(1);
    // (10 + 10) B/s × 86,400 s = 1,728,000 B a day.
    expect(f?.details.max_daily_network_bytes).toBe(1_728_000);
    expect(f?.evidence.map((e) => [e.metric, e.statistic, e.max, e.threshold])).toEqual([
      ['cpu_utilization', 'max', 3, 5],
      ['network_in', 'max_daily_bytes', 20, 5_000_000],
      ['network_out', 'max_daily_bytes', 20, 5_000_000],
    ]);
    // margin: min(1 − 3/5, 1 − 1.728/5) = 0.4
    expect(f?.margin).toBe(0.4);
  });

  it('does not flag a VM whose traffic passes 5 MB on one day', () => {
    const busyDay = s('network_in', { max: 100, avg: 10 });
    (busyDay.daily_avg as Record<string, number>)['2026-11-20'] = 60; // 5.184 MB that day
    const out = idleInstance(input([vm()], { 'i-1': [s('cpu_utilization', { max: 3 }), busyDay] }));
    expect(out.findings).toEqual([]);
  });

  it('does not flag a GPU machine whose CPU is idle while its GPU is busy', () => {
    const box = vm({ resource_id: 'i-gpu', sku: 'g5.xlarge', gpu_count: 1, hourly_price: '1.006' });
    const usage = {
      'i-gpu': [
        s('cpu_utilization', { max: 2 }),
        ...quietNetwork,
        s('gpu_utilization', { max: 97, p95: 90 }, '0'),
      ],
    };
    expect(idleInstance(input([box], usage)).findings).toEqual([]);
    expect(idleGpu(input([box], usage)).findings).toEqual([]);
    expect(underusedGpu(input([box], usage)).findings).toEqual([]);
  });

  it('skips, with the reason, a VM with a gap in its data (200 of 336 hours)', () => {
    const out = idleInstance(
      input([vm()], {
        'i-1': [
          s('cpu_utilization', { max: 1, hours: 200 }),
          s('network_in', { max: 1, hours: 200 }),
          s('network_out', { max: 1, hours: 200 }),
        ],
      }),
    );
    expect(out.findings).toEqual([]);
    expect(out.skipped).toEqual([
      {
        provider: 'aws',
        resource_id: 'i-1',
        kind: 'idle_instance',
        reason: 'coverage 59.5% of the 14-day lookback is below 80%',
      },
    ]);
  });

  it('skips a VM without network points instead of calling it idle', () => {
    const out = idleInstance(input([vm()], { 'i-1': [s('cpu_utilization', { max: 1 })] }));
    expect(out.findings).toEqual([]);
    expect(out.skipped[0]?.reason).toBe('no network_in/network_out points in the lookback');
  });

  it('uses a customer’s own thresholds: peak CPU 15 % is idle for acme (20 %) but not by default', () => {
    const usage = { 'i-1': [s('cpu_utilization', { max: 15 }), ...quietNetwork] };
    const overrides = JSON.stringify({ acme: { idle_cpu_max_percent: 20 } });
    expect(idleInstance(input([vm()], usage, { overrides })).findings).toHaveLength(1);
    expect(idleInstance(input([vm()], usage, { overrides, customer: 'globex' })).findings).toEqual([]);
    expect(idleInstance(input([vm()], usage)).findings).toEqual([]);
  });

  it('rejects a bad override, naming the key', () => {
    expect(() => parseThresholdOverrides('{"acme":{"min_coverage":2}}')).toThrow(/acme\.min_coverage/);
    expect(() => parseThresholdOverrides('{"acme":{"nope":1}}')).toThrow(/acme/);
  });
});

describe('idle GPU', () => {
  const box = vm({ resource_id: 'i-p', sku: 'g5.12xlarge', gpu_count: 2, hourly_price: '3.06', vcpus: 48 });

  it('flags a machine whose GPUs are idle while its CPU is busy: 3.06 × 730 = 2233.8', () => {
    const usage = {
      'i-p': [
        s('cpu_utilization', { max: 99, p95: 95 }),
        s('gpu_utilization', { max: 1 }, '0'),
        s('gpu_utilization', { max: 0 }, '1'),
        s('gpu_memory_utilization', { max: 2 }, '0'),
        s('gpu_memory_utilization', { max: 2 }, '1'),
      ],
    };
    const out = idleGpu(input([box], usage));
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]?.monthly_savings).toBe('2233.8');
    expect(out.findings[0]?.details.idle_gpus).toEqual(['0', '1']);
    expect(out.findings[0]?.action).toMatch(/stop the machine: all 2 GPUs idle/);
  });

  it('flags one idle GPU of two with half the price: 3.06 × 730 / 2 = 1116.9', () => {
    const usage = {
      'i-p': [s('gpu_utilization', { max: 1 }, '0'), s('gpu_utilization', { max: 80, p95: 70 }, '1')],
    };
    const out = idleGpu(input([box], usage));
    expect(out.findings[0]?.monthly_savings).toBe('1116.9');
    expect(out.findings[0]?.details.idle_gpus).toEqual(['0']);
  });

  it('does not call a GPU idle while its frame buffer is in use', () => {
    const usage = {
      'i-p': [
        s('gpu_utilization', { max: 1 }, '0'),
        s('gpu_utilization', { max: 1 }, '1'),
        s('gpu_memory_utilization', { max: 60 }, '0'),
        s('gpu_memory_utilization', { max: 60 }, '1'),
      ],
    };
    expect(idleGpu(input([box], usage)).findings).toEqual([]);
  });

  it('recommends 2 of 4 GPUs when their p95s sum to 80 %: ceil(80 × 1.3 / 100) = 2, saving 12.24 × 730 × 2/4 = 4467.6', () => {
    const four = vm({ resource_id: 'i-4', gpu_count: 4, hourly_price: '12.24' });
    const usage = { 'i-4': ['0', '1', '2', '3'].map((d) => s('gpu_utilization', { max: 60, p95: 20 }, d)) };
    const out = underusedGpu(input([four], usage));
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]?.monthly_savings).toBe('4467.6');
    expect(out.findings[0]?.details.gpus_needed).toBe(2);
  });
});

describe('oversized instance', () => {
  const big = vm({
    resource_id: 'i-big',
    sku: 'm5.2xlarge',
    vcpus: 8,
    memory_gib: 32,
    hourly_price: '0.384',
  });
  const priced = (sku: string, vcpus: number, memory_gib: number, hourly_price: string): PricedType => ({
    provider: 'aws',
    region: 'us-east-1',
    sku,
    vcpus,
    memory_gib,
    gpu_count: 0,
    hourly_price,
    currency: 'USD',
  });
  const catalog = [
    priced('m5.large', 2, 8, '0.096'), // 2 vCPUs < 8 × 0.20 × 1.3 = 2.08
    priced('c5.xlarge', 4, 8, '0.17'), // 8 GiB < 32 × 0.25 × 1.3 = 10.4
    priced('m5.xlarge', 4, 16, '0.192'), // fits, cheapest that does
    priced('r5.xlarge', 4, 32, '0.252'), // fits, dearer
    priced('m5.2xlarge', 8, 32, '0.384'),
  ];

  it('suggests the cheapest fitting type, saving (0.384 − 0.192) × 730 = 140.16', () => {
    const usage = {
      'i-big': [s('cpu_utilization', { max: 50, p95: 20 }), s('memory_utilization', { max: 40, p95: 25 })],
    };
    const out = oversizedInstance(input([big], usage, { catalog }));
    expect(out.findings).toHaveLength(1);
    const f = out.findings[0];
    expect(f?.action).toBe('resize m5.2xlarge → m5.xlarge');
    expect(f?.monthly_savings).toBe('140.16');
    expect(f?.details.hourly_difference).toBe('0.192');
    expect(f?.details.needed).toEqual({ vcpus: 2.08, memory_gib: 10.4, headroom: 1.3 });
  });

  it('suggests nothing when no cheaper priced type fits', () => {
    const usage = {
      'i-big': [s('cpu_utilization', { max: 50, p95: 38 }), s('memory_utilization', { max: 40, p95: 25 })],
    };
    // 8 × 0.38 × 1.3 = 3.95 vCPUs → m5.xlarge still fits; with 4 vCPUs needed only the 8-vCPU type does.
    expect(oversizedInstance(input([big], usage, { catalog })).findings[0]?.details.suggested).toMatchObject({
      sku: 'm5.xlarge',
    });
    const busier = { 'i-big': [s('cpu_utilization', { p95: 39.5 }), s('memory_utilization', { p95: 25 })] };
    expect(oversizedInstance(input([big], busier, { catalog })).findings).toEqual([]);
  });
});

describe('storage', () => {
  const disk = (over: Partial<InventoryItem>): InventoryItem =>
    vm({
      resource_type: 'disk',
      resource_id: 'vol-1',
      status: 'available',
      sku: 'gp3',
      hourly_price: null,
      currency: '',
      attributes: { size_gib: 100, attached_to: [] },
      ...over,
    });

  it('flags a gp3 volume unattached for 40 days: 100 GiB × 0.08 = 8 a month', () => {
    const out = orphanedStorage(
      input(
        [disk({})],
        {},
        { history: { 'vol-1': { first_seen: new Date(NOW.getTime() - 40 * DAY), last_active: null } } },
      ),
    );
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]?.monthly_savings).toBe('8');
    expect(out.findings[0]?.currency).toBe('USD');
    expect(out.findings[0]?.details.days_unattached).toBe(40);
  });

  it('does not flag a volume detached 10 days ago', () => {
    const out = orphanedStorage(
      input(
        [disk({})],
        {},
        {
          history: {
            'vol-1': {
              first_seen: new Date(NOW.getTime() - 60 * DAY),
              last_active: new Date(NOW.getTime() - 10 * DAY),
            },
          },
        },
      ),
    );
    expect(out.findings).toEqual([]);
  });

  it('flags an instance stopped for 35 days with its volumes’ price: 50 × 0.10 + 200 × 0.08 = 21', () => {
    const stopped = vm({ resource_id: 'i-s', status: 'stopped' });
    const vols = [
      disk({
        resource_id: 'vol-a',
        status: 'in_use',
        sku: 'gp2',
        attributes: { size_gib: 50, attached_to: ['i-s'] },
      }),
      disk({
        resource_id: 'vol-b',
        status: 'in_use',
        sku: 'gp3',
        attributes: { size_gib: 200, attached_to: ['i-s'] },
      }),
    ];
    const out = stoppedInstanceStorage(
      input(
        [stopped, ...vols],
        {},
        {
          history: {
            'i-s': {
              first_seen: new Date(NOW.getTime() - 90 * DAY),
              last_active: new Date(NOW.getTime() - 35 * DAY),
            },
          },
        },
      ),
    );
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]?.monthly_savings).toBe('21');
  });
});

it('the defaults are the documented ones', () => {
  expect(DEFAULT_THRESHOLDS).toMatchObject({ lookback_days: 14, min_coverage: 0.8, headroom: 1.3 });
});

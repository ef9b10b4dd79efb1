import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter } from '../../../lib/clickhouse/writer';
import { collectionSpend } from '../../../lib/costs/reader-spend';
import type { CollectionRunInput } from '../../../lib/schemas/rows';
import { testStore } from '../../helpers/store';

const CUSTOMER = 'spend-acme';
const JANUARY = { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-02-01T00:00:00Z') };

function run(
  taskId: string,
  provider: string,
  startedAt: string | null,
  requests: Record<string, number>,
  extra: Partial<CollectionRunInput> = {},
): CollectionRunInput {
  return {
    customer_id: CUSTOMER,
    task_id: taskId,
    provider,
    connection_id: 'main',
    data_types: ['cost'],
    trigger: 'scheduled',
    status: startedAt ? 'succeeded' : 'queued',
    billable_requests: requests,
    queued_at: startedAt ?? '2026-01-06T23:59:59Z',
    started_at: startedAt,
    ...extra,
  };
}

let store: Store;
beforeAll(async () => {
  store = await testStore();
  const writer = createWriter(store);
  // t1 is first recorded as queued (no requests yet), then finished: only its final state counts.
  await writer.write('collection_runs', [run('t1', 'aws', null, {}, { queued_at: '2026-01-05T10:00:00Z' })]);
  await writer.write('collection_runs', [
    run(
      't1',
      'aws',
      '2026-01-05T10:00:01Z',
      { 'ce:GetCostAndUsage': 3 },
      { queued_at: '2026-01-05T10:00:00Z' },
    ),
    run(
      't2',
      'aws',
      '2026-01-05T22:00:00Z',
      { 'ce:GetCostAndUsage': 2, 'cloudwatch:GetMetricData': 4 },
      { data_types: ['cost', 'performance'] },
    ),
    run('t3', 'gcp', '2026-01-06T01:00:00Z', { 'bigquery:jobs.query': 1 }),
    run('t4', 'aws', null, {}),
    run('t5', 'aws', '2026-02-10T00:00:00Z', { 'ce:GetCostAndUsage': 7 }),
    run('t6', 'aws', '2026-01-05T00:00:00Z', { 'ce:GetCostAndUsage': 100 }, { customer_id: 'spend-other' }),
  ]);
});

describe('collectionSpend', () => {
  it('sums each run once per provider and UTC day, and prices Cost Explorer requests at $0.01 exactly', async () => {
    const spend = await collectionSpend(store, { customerId: CUSTOMER, period: JANUARY });
    expect(spend.currency).toBe('USD');
    expect(spend.days).toEqual([
      {
        day: '2026-01-05',
        provider: 'aws',
        runs: 2,
        requests: { 'ce:GetCostAndUsage': 5, 'cloudwatch:GetMetricData': 4 },
        total_requests: 9,
        estimated_cost: '0.05',
        unpriced_requests: 4,
      },
      {
        day: '2026-01-06',
        provider: 'aws',
        runs: 1,
        requests: {},
        total_requests: 0,
        estimated_cost: '0',
        unpriced_requests: 0,
      },
      {
        day: '2026-01-06',
        provider: 'gcp',
        runs: 1,
        requests: { 'bigquery:jobs.query': 1 },
        total_requests: 1,
        estimated_cost: '0',
        unpriced_requests: 1,
      },
    ]);
    expect(spend.totals).toEqual([
      {
        provider: 'aws',
        runs: 3,
        requests: { 'ce:GetCostAndUsage': 5, 'cloudwatch:GetMetricData': 4 },
        total_requests: 9,
        estimated_cost: '0.05',
        unpriced_requests: 4,
      },
      {
        provider: 'gcp',
        runs: 1,
        requests: { 'bigquery:jobs.query': 1 },
        total_requests: 1,
        estimated_cost: '0',
        unpriced_requests: 1,
      },
    ]);
  });

  it('filters by provider and period', async () => {
    const spend = await collectionSpend(store, {
      customerId: CUSTOMER,
      provider: 'aws',
      period: { start: new Date('2026-01-06T00:00:00Z'), end: new Date('2026-03-01T00:00:00Z') },
    });
    expect(spend.days.map((d) => [d.day, d.provider, d.total_requests, d.estimated_cost])).toEqual([
      ['2026-01-06', 'aws', 0, '0'],
      ['2026-02-10', 'aws', 7, '0.07'],
    ]);
    expect(spend.totals.map((t) => [t.provider, t.runs, t.estimated_cost])).toEqual([['aws', 2, '0.07']]);
  });

  it('is empty for a period without runs', async () => {
    expect(
      await collectionSpend(store, {
        customerId: CUSTOMER,
        period: { start: new Date('2025-01-01T00:00:00Z'), end: new Date('2025-02-01T00:00:00Z') },
      }),
    ).toEqual({
      currency: 'USD',
      days: [],
      totals: [],
    });
  });
});

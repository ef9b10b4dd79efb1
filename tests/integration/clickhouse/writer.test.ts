import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter } from '../../../lib/clickhouse/writer';
import { RowValidationError } from '../../../lib/errors';
import type { PerformancePointInput } from '../../../lib/schemas/rows';
import { rows, testStore } from '../../helpers/store';

let store: Store;
beforeAll(async () => {
  store = await testStore();
});

const point = (customer: string, i: number, value = i): PerformancePointInput => ({
  customer_id: customer,
  provider: 'local',
  resource_id: `vm-${i % 7}`,
  metric: 'cpu_utilization',
  unit: 'percent',
  value,
  ts: new Date(Date.UTC(2026, 10, 1, 0, i)),
  collected_at: new Date(),
});

async function count(customer: string, final = true): Promise<number> {
  const r = await rows<{ n: number }>(
    store,
    `SELECT count() AS n FROM performance_points ${final ? 'FINAL' : ''} WHERE customer_id = {c:String}`,
    { c: customer },
  );
  return Number(r[0]?.n);
}

describe('writer', () => {
  it('writes nothing at all when one row of a multi-batch write is invalid, and says which and why', async () => {
    const writer = createWriter(store, { batchSize: 10 });
    const points = Array.from({ length: 35 }, (_, i) => point('w-invalid', i));
    points[27] = { ...point('w-invalid', 27), unit: '' };
    const err = await writer.write('performance_points', points).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RowValidationError);
    expect((err as Error).message).toBe(
      '1 invalid row(s) for performance_points, nothing written: row 27: unit: unit is required',
    );
    expect(await count('w-invalid', false)).toBe(0);
  });

  it('inserts in batches and a retried identical batch is dropped by the dedup token', async () => {
    const writer = createWriter(store, { batchSize: 10 });
    const points = Array.from({ length: 25 }, (_, i) => point('w-retry', i)).map((p) => ({
      ...p,
      version: 7,
    }));
    expect(await writer.write('performance_points', points)).toBe(25);
    expect(await writer.write('performance_points', points)).toBe(25);
    // Without FINAL: the second identical insert never reached the table.
    expect(await count('w-retry', false)).toBe(25);
  });

  it('replaces a re-collected fact with its newer version instead of adding it', async () => {
    const writer = createWriter(store);
    await writer.write('performance_points', [point('w-restate', 1, 10)]);
    await writer.write('performance_points', [point('w-restate', 1, 55)]);
    const r = await rows<{ value: number }>(
      store,
      'SELECT value FROM performance_points FINAL WHERE customer_id = {c:String}',
      {
        c: 'w-restate',
      },
    );
    expect(r).toEqual([{ value: 55 }]);
  });

  it('keeps decimal money exact and rejects money that is not a decimal', async () => {
    const writer = createWriter(store);
    const base = {
      x_customer_id: 'w-money',
      x_provider: 'aws',
      charge_category: 'Usage' as const,
      billing_currency: 'USD',
      charge_period_end: '2026-11-02T00:00:00Z',
      billing_period_start: '2026-11-01T00:00:00Z',
      billing_period_end: '2026-12-01T00:00:00Z',
      x_collected_at: new Date(),
    };
    const rowsIn = Array.from({ length: 10 }, (_, i) => ({
      ...base,
      service_name: `svc-${i}`,
      billed_cost: '0.1',
      effective_cost: 0.2,
      charge_period_start: '2026-11-01T00:00:00Z',
      x_task_id: randomUUID(),
    }));
    await writer.write('costs', rowsIn);
    const r = await rows<{ billed: string; effective: string }>(
      store,
      'SELECT toString(sum(billed_cost)) AS billed, toString(sum(effective_cost)) AS effective FROM costs FINAL WHERE x_customer_id = {c:String}',
      { c: 'w-money' },
    );
    expect(r).toEqual([{ billed: '1', effective: '2' }]);
    await expect(writer.write('costs', [{ ...rowsIn[0], billed_cost: '1e3' } as never])).rejects.toThrow(
      /billed_cost: not a decimal/,
    );
  });
});

import { expect, it } from 'vitest';
import { createWriter } from '../../../lib/clickhouse/writer';
import type { Connection } from '../../../lib/collector/types';
import { parseConfig } from '../../../lib/config/schema';
import { customersDue, runScheduledEvaluations } from '../../../lib/recommendations/schedule';
import { createRuntime } from '../../../lib/runtime';
import { SCHEDULES } from '../../../lib/schedules';
import { silentLogger, testStore } from '../../helpers/store';

const conn = (customerId: string, enabled = true): Connection => ({
  id: 'main',
  customerId,
  provider: 'aws',
  enabled,
  settings: {},
  secrets: {},
  source: 'config',
});

it('evaluates each customer daily, and again after new inventory/performance data, at most hourly', async () => {
  const store = await testStore();
  const writer = createWriter(store);
  const runtime = await createRuntime(parseConfig({}), {
    mode: 'lambda',
    env: {},
    store,
    logger: silentLogger(),
    connections: [conn('sched-a'), conn('sched-b'), conn('sched-off', false)],
  });
  const entry = SCHEDULES.find((s) => s.id === 'recommendations');
  expect(entry).toMatchObject({ expression: 'rate(1 hour)', task: 'recommendations', dataTypes: [] });

  const t0 = new Date('2026-12-01T10:00:00Z');
  // Never evaluated: both enabled customers are due; the disabled connection's customer is not.
  expect(await customersDue(runtime, t0)).toEqual(['sched-a', 'sched-b']);
  expect(await runScheduledEvaluations(runtime, t0)).toBe(2);
  // An hour later nothing new: none due.
  const t1 = new Date('2026-12-01T11:00:00Z');
  expect(await customersDue(runtime, t1)).toEqual([]);
  // A performance run of sched-b finishes after its evaluation: sched-b is due.
  await writer.write('collection_runs', [
    {
      customer_id: 'sched-b',
      task_id: 'run-1',
      provider: 'aws',
      data_types: ['performance'],
      trigger: 'scheduled',
      status: 'succeeded',
      queued_at: new Date(),
      finished_at: new Date(Date.now() + 60_000),
    },
  ]);
  expect(await customersDue(runtime, t1)).toEqual(['sched-b']);
  // A day after their last evaluation every customer is due again.
  expect(await customersDue(runtime, new Date(Date.now() + 25 * 3_600_000))).toEqual(['sched-a', 'sched-b']);
});

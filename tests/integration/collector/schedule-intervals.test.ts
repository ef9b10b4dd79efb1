import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createWriter } from '../../../lib/clickhouse/writer';
import { planScheduledJobs } from '../../../lib/collector/dispatch';
import { runCollection } from '../../../lib/collector/run';
import type { Connection, ProviderDefinition } from '../../../lib/collector/types';
import { staticConnections } from '../../../lib/connections/source';
import { createRegistry } from '../../../lib/providers/registry';
import { CollectionIntervalsSchema, SCHEDULES, type ScheduleEntry } from '../../../lib/schedules';
import { silentLogger, testStore } from '../../helpers/store';

const never = async function* () {};
const cloud: ProviderDefinition<unknown> = {
  id: 'tickcloud',
  displayName: 'Tick cloud',
  category: 'general_compute',
  settingsSchema: z.object({ collection_intervals: CollectionIntervalsSchema.optional() }),
  collectors: { performance: never, resource: never, cost: never },
  async testConnection() {},
};
const costOnly: ProviderDefinition<unknown> = { ...cloud, id: 'billonly', collectors: { cost: never } };
const registry = createRegistry([cloud, costOnly]);

const conn = (id: string, settings: Record<string, unknown> = {}, provider = 'tickcloud'): Connection => ({
  id,
  customerId: 'acme',
  provider,
  enabled: true,
  settings,
  secrets: {},
  source: 'config',
});

const entry = (id: string): ScheduleEntry => {
  const e = SCHEDULES.find((s) => s.id === id);
  if (!e) throw new Error(`no schedule ${id}`);
  return e;
};

/** Which of 12 consecutive 5-minute ticks (one hour) queue a job for each connection. */
async function dueTicks(e: ScheduleEntry, connections: Connection[]): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(connections.map((c) => [c.id, []]));
  const start = Date.UTC(2026, 10, 20, 10, 0, 0);
  for (let tick = 0; tick < 12; tick++) {
    // EventBridge fires a little after the minute; the decision must not depend on that.
    const now = new Date(start + tick * 5 * 60_000 + 7_000);
    const jobs = await planScheduledJobs(e, { connections: staticConnections(connections), registry, now });
    for (const job of jobs) (out[job.connectionId as string] as number[]).push(tick);
  }
  return out;
}

describe('schedule table: performance and resource entries', () => {
  it('has performance and resource entries ticking every 5 minutes with a 15-minute default', () => {
    expect(entry('performance')).toMatchObject({
      expression: 'cron(0/5 * * * ? *)',
      dataTypes: ['performance'],
      interval: { defaultMinutes: 15, tickMinutes: 5 },
    });
    expect(entry('resource')).toMatchObject({
      expression: 'cron(2/5 * * * ? *)',
      dataTypes: ['resource'],
      interval: { defaultMinutes: 15, tickMinutes: 5 },
    });
  });

  it('queues each connection every 15 minutes by default, 3 ticks apart', async () => {
    const connections = Array.from({ length: 12 }, (_, i) => conn(`c${i}`));
    const due = await dueTicks(entry('performance'), connections);
    for (const ticks of Object.values(due)) {
      expect(ticks).toHaveLength(4);
      expect(ticks.map((t) => t - (ticks[0] as number))).toEqual([0, 3, 6, 9]);
    }
    // Connections are spread over the three phases rather than all starting together.
    expect(new Set(Object.values(due).map((t) => t[0])).size).toBeGreaterThan(1);
  });

  it('honours a connection’s own interval per data type, and falls back to the default for an invalid one', async () => {
    const connections = [
      conn('fast', { collection_intervals: { performance: 5 } }),
      conn('hourly', { collection_intervals: { performance: 60, resource: 30 } }),
      conn('odd', { collection_intervals: { performance: 7 } }),
    ];
    const perf = await dueTicks(entry('performance'), connections);
    expect(perf.fast).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(perf.hourly).toHaveLength(1);
    expect(perf.odd).toHaveLength(4);
    const res = await dueTicks(entry('resource'), connections);
    expect(res.fast).toHaveLength(4);
    expect(res.hourly).toHaveLength(2);
    expect((res.hourly as number[])[1]! - (res.hourly as number[])[0]!).toBe(6);
  });

  it('skips connections whose provider does not collect the entry’s data type', async () => {
    const due = await dueTicks(entry('performance'), [conn('bill', {}, 'billonly'), conn('c0')]);
    expect(due.bill).toEqual([]);
    expect(due.c0).toHaveLength(4);
  });

  it('fails the run of a connection with an invalid interval, naming the field', async () => {
    const store = await testStore();
    const result = await runCollection(
      {
        taskId: randomUUID(),
        customerId: 'acme',
        provider: 'tickcloud',
        dataTypes: ['performance'],
        trigger: 'scheduled',
        queuedAt: new Date().toISOString(),
      },
      {
        store,
        writer: createWriter(store),
        registry,
        connections: staticConnections([conn('odd', { collection_intervals: { performance: 7 } })]),
        logger: silentLogger(),
        retry: { maxAttempts: 1, baseMs: 1, capMs: 1 },
        maxBackfillMs: 3_600_000,
      },
    );
    expect(result.status).toBe('failed');
    expect(result.errors.performance).toBe(
      'invalid settings for connection "odd": collection_intervals.performance: must be a multiple of 5 minutes',
    );
  });
});

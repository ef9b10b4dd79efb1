import { randomUUID } from 'node:crypto';
import { recordRun, runFieldsOf } from '../clickhouse/repos/runs';
import type { Writer } from '../clickhouse/writer';
import type { ConnectionSource } from '../connections/source';
import type { ProviderRegistry } from '../providers/registry';
import { connectionIntervalMinutes, isDue, providerMatches, type ScheduleEntry } from '../schedules';
import type { JobQueue } from './queue';
import type { CollectionJob, DataType } from './types';

/**
 * One job per enabled connection the entry covers, with the data types its provider
 * collects. For an entry with a per-connection interval, only the data types due for that
 * connection at `now` are included (see `isDue`). Plus, for data types the customer brings
 * (application samples), the jobs their source plans from its backlog (see CustomerDataSource).
 */
export async function planScheduledJobs(
  entry: ScheduleEntry,
  deps: { connections: ConnectionSource; registry: ProviderRegistry; now?: Date },
): Promise<CollectionJob[]> {
  const now = deps.now ?? new Date();
  const jobs: CollectionJob[] = [];
  for (const dataType of entry.dataTypes) {
    const source = deps.registry.customerSource?.(dataType);
    if (!source) continue;
    for (const job of await source.planJobs({ trigger: 'scheduled', now })) {
      if (providerMatches(entry, job.provider)) jobs.push(job);
    }
  }
  for (const c of await deps.connections.list()) {
    if (!c.enabled || !providerMatches(entry, c.provider)) continue;
    const supported = deps.registry.dataTypes(c.provider);
    const dataTypes = entry.dataTypes.filter((d) => {
      if (!supported.includes(d) || deps.registry.customerSource?.(d)) return false;
      const minutes = connectionIntervalMinutes(entry, c, d);
      return minutes === null || isDue(entry, c, minutes, now);
    }) as DataType[];
    if (dataTypes.length === 0) continue;
    jobs.push({
      taskId: randomUUID(),
      customerId: c.customerId,
      provider: c.provider,
      connectionId: c.id,
      dataTypes,
      trigger: 'scheduled',
      queuedAt: now.toISOString(),
    });
  }
  return jobs;
}

/**
 * Records each job as queued, then hands the jobs to the queue. If the queue refuses
 * them, their runs are recorded failed with the reason, and the error is rethrown.
 */
export async function enqueueJobs(
  jobs: readonly CollectionJob[],
  deps: { writer: Writer; queue: JobQueue },
): Promise<void> {
  if (jobs.length === 0) return;
  await deps.writer.write(
    'collection_runs',
    jobs.map((job) => ({ ...runFieldsOf(job), status: 'queued' as const })),
  );
  try {
    await deps.queue.send(jobs);
  } catch (err) {
    for (const job of jobs) {
      await recordRun(deps.writer, {
        ...runFieldsOf(job),
        status: 'failed',
        errors: { queue: `could not queue the job: ${(err as Error).message}` },
        finished_at: new Date(),
      });
    }
    throw err;
  }
}

import { randomUUID } from 'node:crypto';
import { recordRun } from '../clickhouse/repos/runs';
import type { Writer } from '../clickhouse/writer';
import type { ConnectionSource } from '../connections/source';
import type { ProviderRegistry } from '../providers/registry';
import { connectionIntervalMinutes, isDue, providerMatches, type ScheduleEntry } from '../schedules';
import type { JobQueue } from './queue';
import type { CollectionJob, DataType } from './types';

/**
 * One job per enabled connection the entry covers, with the data types its provider
 * collects. For an entry with a per-connection interval, only the data types due for that
 * connection at `now` are included (see `isDue`).
 */
export async function planScheduledJobs(
  entry: ScheduleEntry,
  deps: { connections: ConnectionSource; registry: ProviderRegistry; now?: Date },
): Promise<CollectionJob[]> {
  const now = deps.now ?? new Date();
  const jobs: CollectionJob[] = [];
  for (const c of await deps.connections.list()) {
    if (!c.enabled || !providerMatches(entry, c.provider)) continue;
    const supported = deps.registry.dataTypes(c.provider);
    const dataTypes = entry.dataTypes.filter((d) => {
      if (!supported.includes(d)) return false;
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
  const queuedRow = (job: CollectionJob) => ({
    customer_id: job.customerId,
    task_id: job.taskId,
    provider: job.provider,
    connection_id: job.connectionId ?? '',
    data_types: job.dataTypes,
    trigger: job.trigger,
    queued_at: job.queuedAt,
  });
  await deps.writer.write(
    'collection_runs',
    jobs.map((job) => ({ ...queuedRow(job), status: 'queued' as const })),
  );
  try {
    await deps.queue.send(jobs);
  } catch (err) {
    for (const job of jobs) {
      await recordRun(deps.writer, {
        ...queuedRow(job),
        status: 'failed',
        errors: { queue: `could not queue the job: ${(err as Error).message}` },
        finished_at: new Date(),
      });
    }
    throw err;
  }
}

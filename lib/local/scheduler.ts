import { Cron } from 'croner';
import { enqueueJobs, planScheduledJobs } from '../collector/dispatch';
import type { JobQueue } from '../collector/queue';
import { type ReaperDeps, type ReapReport, reapRuns } from '../collector/reaper';
import { runScheduledEvaluations } from '../recommendations/schedule';
import type { Runtime } from '../runtime';
import { eventBridgeCronToStandard, rateToMs, type ScheduleEntry } from '../schedules';

export interface LocalScheduler {
  /** Runs one entry now (what a rule firing does). */
  tick(entryId: string): Promise<number>;
  /**
   * At start-up: every run left open by an earlier process on this data folder is closed
   * as interrupted and retried (running) or queued again (queued).
   */
  reapOrphans(startedAt: Date): Promise<ReapReport>;
  stop(): void;
}

/**
 * Runs the schedule table in-process, the way EventBridge runs it in AWS: each firing
 * plans one job per enabled connection and hands the jobs to the queue.
 */
export function startLocalScheduler(
  runtime: Runtime,
  queue: JobQueue,
  entries: readonly ScheduleEntry[],
): LocalScheduler {
  const timers: { stop(): void }[] = [];
  const tick = async (entryId: string) => {
    const entry = entries.find((e) => e.id === entryId);
    if (!entry) throw new Error(`unknown schedule entry ${entryId}`);
    if (entry.task === 'recommendations') return runScheduledEvaluations(runtime);
    if (entry.task === 'reap-runs') {
      const r = await reapRuns(reaperDeps(runtime, queue));
      return r.retried.length + r.requeued.length;
    }
    const jobs = await planScheduledJobs(entry, {
      connections: runtime.connections,
      registry: runtime.registry,
    });
    await enqueueJobs(jobs, { writer: runtime.writer, queue });
    if (jobs.length) runtime.logger.info('schedule fired', { schedule_id: entry.id, jobs: jobs.length });
    return jobs.length;
  };
  const fire = (id: string) => () => {
    tick(id).catch((err: unknown) =>
      runtime.logger.error('schedule failed', { schedule_id: id, error: (err as Error).message }),
    );
  };
  for (const entry of entries) {
    const every = rateToMs(entry.expression);
    if (every !== null) {
      const handle = setInterval(fire(entry.id), every);
      handle.unref();
      timers.push({ stop: () => clearInterval(handle) });
    } else {
      const job = new Cron(
        eventBridgeCronToStandard(entry.expression),
        { timezone: 'UTC', unref: true },
        fire(entry.id),
      );
      timers.push({ stop: () => job.stop() });
    }
  }
  return {
    tick,
    reapOrphans: async (startedAt) => reapRuns({ ...reaperDeps(runtime, queue), orphanedBefore: startedAt }),
    stop: () => {
      for (const t of timers) t.stop();
    },
  };
}

/** What the reaper needs, from the runtime (AWS: functions/collect/dispatch.ts does the same). */
export function reaperDeps(runtime: Runtime, queue: JobQueue): ReaperDeps {
  return {
    store: runtime.store,
    writer: runtime.writer,
    queue,
    logger: runtime.logger,
    maxAttempts: runtime.config.collection.maxAttempts,
    onClosed: (run, reason) =>
      runtime.alerts.afterRun(
        {
          taskId: run.task_id,
          customerId: run.customer_id,
          provider: run.provider,
          dataTypes: [],
          trigger: 'scheduled',
          queuedAt: run.queued_at ?? new Date().toISOString(),
          connectionId: run.connection_id,
        },
        { taskId: run.task_id, status: 'failed', outcomes: [], rows: {}, errors: { run: reason } },
      ),
  };
}

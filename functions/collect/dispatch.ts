import { enqueueJobs, planScheduledJobs } from '../../lib/collector/dispatch';
import { reapRuns } from '../../lib/collector/reaper';
import { reaperDeps } from '../../lib/local/scheduler';
import { runScheduledEvaluations } from '../../lib/recommendations/schedule';
import { SCHEDULES } from '../../lib/schedules';
import { getRuntime } from '../_runtime';

/**
 * EventBridge rule target: `{ "schedule_id": "<entry id>" }` → one queued job per
 * connection, or, for the `reap-runs` entry, the run reaper (interrupted runs closed and
 * retried, runs queued too long closed).
 */
export const handler = async (event: { schedule_id?: string }) => {
  const rt = await getRuntime();
  const entry = SCHEDULES.find((s) => s.id === event?.schedule_id);
  if (!entry) throw new Error(`unknown schedule_id ${JSON.stringify(event?.schedule_id)}`);
  if (entry.task === 'recommendations') {
    const evaluated = await runScheduledEvaluations(rt);
    rt.logger.info('recommendations evaluated', { schedule_id: entry.id, customers: evaluated });
    return { schedule_id: entry.id, evaluated };
  }
  if (entry.task === 'reap-runs') {
    const report = await reapRuns({
      ...reaperDeps(rt, rt.queue),
      staleQueuedMs: rt.config.collection.staleQueuedMs,
    });
    return { schedule_id: entry.id, ...report };
  }
  const jobs = await planScheduledJobs(entry, { connections: rt.connections, registry: rt.registry });
  await enqueueJobs(jobs, { writer: rt.writer, queue: rt.queue });
  rt.logger.info('scheduled jobs queued', { schedule_id: entry.id, jobs: jobs.length });
  return { schedule_id: entry.id, queued: jobs.length };
};

import type { Alerts } from '../alerts/service';
import type { Store } from '../clickhouse/client';
import {
  getRun,
  jobOfRun,
  listOpenRuns,
  type RunView,
  recordRun,
  runFieldsOf,
} from '../clickhouse/repos/runs';
import type { Writer } from '../clickhouse/writer';
import { errorMessage } from '../errors';
import type { Logger } from '../logger';
import { DEFAULT_LEASE } from './lease';
import type { JobQueue } from './queue';
import { parseJobMessage } from './sqs-queue';
import type { CollectionJob } from './types';

/** Attempts a job gets before an interrupted run is closed for good (the seeds' Celery retried 3 times). */
export const DEFAULT_MAX_ATTEMPTS = 3;

export interface ReaperDeps {
  store: Store;
  writer: Writer;
  queue: JobQueue;
  logger: Logger;
  /** Attempts a job may take in all; an interrupted run at this attempt is closed, not retried. */
  maxAttempts: number;
  now?: () => Date;
  /**
   * Runs opened before this time belong to a process that is gone (the local runtime holds
   * the data folder alone, so at start-up every open run is an orphan): running ones are
   * interrupted whatever their lease, queued ones are queued again.
   */
  orphanedBefore?: Date;
  /** A run queued longer than this never reached a worker: closed as failed. Unset: kept. */
  staleQueuedMs?: number;
  /** Told about every run closed for good (alerts). */
  onClosed?: (run: RunView, reason: string) => Promise<void>;
}

export interface ReapReport {
  /** Runs found interrupted (lease expired, or their process gone). */
  interrupted: string[];
  /** Of those, the ones queued again as a new attempt. */
  retried: string[];
  /** Queued runs of a process that is gone, queued again. */
  requeued: string[];
  /** Runs closed as failed for good. */
  closed: string[];
}

const ms = (iso: string | null) => (iso ? Date.parse(iso) : Number.NaN);

/**
 * Closes runs that can no longer finish and retries their jobs: a `running` run past its
 * lease (or of a process that is gone) is interrupted; if its job has attempts left it is
 * queued again with the same task id and attempt + 1 (the interruption kept in
 * `details.previous_attempts`), else it is closed `failed` with the reason. Watermarks are
 * not touched: a retried job starts where the last successful write left them, and
 * re-written rows replace themselves (ReplacingMergeTree), so nothing is lost or doubled.
 * Run by the local scheduler at start-up and every minute, and in AWS by the reaper function.
 */
export async function reapRuns(deps: ReaperDeps): Promise<ReapReport> {
  const now = (deps.now ?? (() => new Date()))();
  const report: ReapReport = { interrupted: [], retried: [], requeued: [], closed: [] };
  for (const run of await listOpenRuns(deps.store)) {
    try {
      if (run.status === 'running') {
        const started = ms(run.started_at);
        const leaseEnd = Number.isNaN(ms(run.lease_until)) ? started + DEFAULT_LEASE.ms : ms(run.lease_until);
        const orphan = deps.orphanedBefore !== undefined && started < deps.orphanedBefore.getTime();
        if (!orphan && !(leaseEnd < now.getTime())) continue;
        const reason = orphan
          ? 'interrupted: the process running it stopped before it finished'
          : `interrupted: no word from its worker since the lease ended at ${new Date(leaseEnd).toISOString()} (the process or Lambda died)`;
        report.interrupted.push(run.task_id);
        if (await retryInterrupted(run, reason, deps, now)) report.retried.push(run.task_id);
        else report.closed.push(run.task_id);
      } else if (run.status === 'queued') {
        const queued = ms(run.queued_at);
        if (deps.orphanedBefore !== undefined && queued < deps.orphanedBefore.getTime()) {
          await deps.queue.send([jobOfRun(run)]);
          report.requeued.push(run.task_id);
          deps.logger.info('queued run of a stopped process queued again', { task_id: run.task_id });
        } else if (deps.staleQueuedMs !== undefined && queued < now.getTime() - deps.staleQueuedMs) {
          const reason = `never started: still queued after ${Math.round(deps.staleQueuedMs / 60_000)} minutes (the queue lost the job)`;
          await closeRun(run, reason, deps, now);
          report.closed.push(run.task_id);
        }
      }
    } catch (err) {
      deps.logger.error('reaping a run failed', { task_id: run.task_id, error: errorMessage(err) });
    }
  }
  if (report.interrupted.length || report.requeued.length || report.closed.length) {
    deps.logger.warn('reaper closed or retried runs', { ...report });
  }
  return report;
}

/** Queues an interrupted run's job again (attempt + 1) if attempts allow; else closes it. True if retried. */
export async function retryInterrupted(
  run: RunView,
  reason: string,
  deps: Pick<ReaperDeps, 'writer' | 'queue' | 'logger' | 'maxAttempts' | 'onClosed'>,
  now: Date,
): Promise<boolean> {
  const job = jobOfRun(run);
  const previous = [
    ...(job.previousAttempts ?? []),
    { attempt: run.attempt, error: reason, at: now.toISOString() },
  ];
  if (run.attempt >= deps.maxAttempts) {
    await closeRun(
      { ...run, details: { ...(run.details as object), previous_attempts: previous } },
      `${reason}; not retried after ${run.attempt} of ${deps.maxAttempts} attempts`,
      deps,
      now,
    );
    return false;
  }
  const next: CollectionJob = { ...job, attempt: run.attempt + 1, previousAttempts: previous };
  await recordRun(deps.writer, {
    ...runFieldsOf(next),
    status: 'queued',
    details: { previous_attempts: previous },
  });
  await deps.queue.send([next]);
  deps.logger.warn('interrupted run queued again', {
    task_id: run.task_id,
    attempt: next.attempt,
    reason,
  });
  return true;
}

/** Records a run as failed for good with `reason` (in errors.run), keeping what it had. */
export async function closeRun(
  run: RunView,
  reason: string,
  deps: Pick<ReaperDeps, 'writer' | 'logger' | 'onClosed'>,
  now: Date,
): Promise<void> {
  await recordRun(deps.writer, {
    ...runFieldsOf(jobOfRun(run)),
    status: 'failed',
    rows: run.rows_collected,
    errors: { ...run.errors, run: reason.slice(0, 4000) },
    started_at: run.started_at,
    finished_at: now,
    duration_ms: run.started_at ? Math.max(0, now.getTime() - Date.parse(run.started_at)) : null,
    details: (run.details ?? {}) as Record<string, unknown>,
  });
  deps.logger.warn('run closed as failed', { task_id: run.task_id, reason });
  await deps
    .onClosed?.(run, reason)
    .catch((err: unknown) =>
      deps.logger.error('alert on a closed run failed', { task_id: run.task_id, error: errorMessage(err) }),
    );
}

/**
 * A job the worker was handed again (SQS redelivery after a crash or timeout, or a stale
 * copy): decides what to do from its run record. Returns the job to run (same task id,
 * the right attempt) or null when it must not run (already finished, another worker holds
 * a live lease, a newer attempt exists, or attempts are spent — then the run is closed).
 */
export async function claimDeliveredJob(
  job: CollectionJob,
  deps: Pick<ReaperDeps, 'store' | 'writer' | 'logger' | 'maxAttempts' | 'onClosed'> & { now?: () => Date },
): Promise<CollectionJob | null> {
  const now = (deps.now ?? (() => new Date()))();
  const run = await getRun(deps.store, job.taskId);
  if (!run) return job;
  const attempt = job.attempt ?? 1;
  const skip = (why: string) => {
    deps.logger.info('delivered job not run', { task_id: job.taskId, attempt, why });
    return null;
  };
  if (attempt < run.attempt) return skip(`attempt ${run.attempt} of this task exists already`);
  if (run.status === 'queued') return { ...jobOfRun(run), ...job, attempt: run.attempt };
  if (run.status === 'running') {
    const leaseEnd = ms(run.lease_until);
    if (!Number.isNaN(leaseEnd) && leaseEnd >= now.getTime()) return skip('another worker holds its lease');
    const reason = 'interrupted: its worker stopped before it finished (redelivered by the queue)';
    const previous = [
      ...(jobOfRun(run).previousAttempts ?? []),
      { attempt: run.attempt, error: reason, at: now.toISOString() },
    ];
    if (run.attempt >= deps.maxAttempts) {
      await closeRun(
        { ...run, details: { ...(run.details as object), previous_attempts: previous } },
        `${reason}; not retried after ${run.attempt} of ${deps.maxAttempts} attempts`,
        deps,
        now,
      );
      return null;
    }
    return { ...jobOfRun(run), attempt: run.attempt + 1, previousAttempts: previous };
  }
  return skip(`the run is ${run.status} already`);
}

/**
 * A message from the dead-letter queue: the job failed every delivery. Closes its run as
 * failed with the reason (unless it finished after all) and raises a `dead_letter` alert.
 * A body that is not a job is logged and dropped. Resolves true when a run was closed.
 */
export async function closeDeadLetteredJob(
  body: string,
  receives: number,
  rt: {
    store: Store;
    writer: Writer;
    logger: Logger;
    alerts: { raise: Alerts['raise'] };
  },
  now: Date = new Date(),
): Promise<boolean> {
  let job: CollectionJob;
  try {
    job = parseJobMessage(body);
  } catch (err) {
    rt.logger.error('dead-lettered message is not a job', { error: errorMessage(err) });
    return false;
  }
  const run = await getRun(rt.store, job.taskId);
  if (run && ['succeeded', 'partial', 'skipped'].includes(run.status)) return false;
  const last = run?.errors.run ?? Object.values(run?.errors ?? {}).join('; ');
  const reason = `moved to the dead-letter queue after ${receives || 'several'} deliveries without finishing (the worker crashed, timed out or could not record the run)${last ? `; last error: ${last}` : ''}`;
  const view: RunView = run ?? {
    ...emptyView(job),
  };
  await closeRun(view, reason, { writer: rt.writer, logger: rt.logger }, now);
  await rt.alerts.raise(
    { customerId: job.customerId, provider: job.provider, connectionId: job.connectionId ?? '' },
    'dead_letter',
    { message: 'a collection job landed in the dead-letter queue', lastError: reason, taskId: job.taskId },
  );
  return true;
}

function emptyView(job: CollectionJob): RunView {
  return {
    task_id: job.taskId,
    customer_id: job.customerId,
    provider: job.provider,
    connection_id: job.connectionId ?? '',
    data_types: job.dataTypes,
    trigger: job.trigger,
    status: 'queued',
    rows_collected: {},
    total_rows: 0,
    errors: {},
    billable_requests: {},
    skipped_reason: null,
    window: { start: null, end: null },
    queued_at: job.queuedAt,
    started_at: null,
    finished_at: null,
    duration_ms: null,
    details: {},
    attempt: job.attempt ?? 1,
    lease_until: null,
  };
}

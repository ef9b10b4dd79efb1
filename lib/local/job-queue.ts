import { runFieldsOf } from '../clickhouse/repos/runs';
import type { JobQueue } from '../collector/queue';
import { type RunDeps, runCollection } from '../collector/run';
import type { CollectionJob } from '../collector/types';
import type { Logger } from '../logger';

export interface InProcessJobQueue extends JobQueue {
  /** Resolves when every job sent so far has finished. */
  drain(): Promise<void>;
  /**
   * Stops taking jobs; gives the running ones `graceMs` to finish. Resolves with the jobs
   * that did not run or did not finish in time (the caller closes their runs).
   */
  stop(graceMs?: number): Promise<CollectionJob[]>;
  readonly pending: number;
}

/**
 * The local stand-in for SQS + the worker Lambda: jobs run in this process, at most
 * `concurrency` at once. A job for the same customer × provider × data types as one still
 * queued or running is dropped (recorded as skipped) so a slow provider cannot pile up.
 */
export function createInProcessJobQueue(opts: {
  runDeps: () => RunDeps;
  concurrency: number;
  logger: Logger;
}): InProcessJobQueue {
  const waiting: CollectionJob[] = [];
  const active = new Map<string, CollectionJob>();
  const inFlight = new Set<string>();
  const idle: (() => void)[] = [];
  let running = 0;
  let stopped = false;
  const key = (j: CollectionJob) => `${j.customerId}|${j.provider}|${[...j.dataTypes].sort().join(',')}`;

  const settleIdle = () => {
    if (running === 0 && waiting.length === 0) for (const resolve of idle.splice(0)) resolve();
  };

  const pump = () => {
    while (!stopped && running < opts.concurrency && waiting.length > 0) {
      const job = waiting.shift() as CollectionJob;
      running++;
      active.set(job.taskId, job);
      runCollection(job, opts.runDeps())
        .catch((err: unknown) =>
          opts.logger.error('collection job failed', { task_id: job.taskId, error: (err as Error).message }),
        )
        .finally(() => {
          active.delete(job.taskId);
          running--;
          inFlight.delete(key(job));
          pump();
          settleIdle();
        });
    }
    settleIdle();
  };

  return {
    async send(jobs) {
      if (stopped) throw new Error('the local job queue is stopped');
      for (const job of jobs) {
        if (inFlight.has(key(job))) {
          const deps = opts.runDeps();
          await deps.writer.write('collection_runs', [
            {
              ...runFieldsOf(job),
              status: 'skipped',
              skipped_reason: 'the previous collection of the same data is still running',
              finished_at: new Date(),
            },
          ]);
          continue;
        }
        inFlight.add(key(job));
        waiting.push(job);
      }
      pump();
    },
    drain: () =>
      new Promise<void>((resolve) => {
        idle.push(resolve);
        settleIdle();
      }),
    async stop(graceMs = Number.POSITIVE_INFINITY) {
      stopped = true;
      const dropped = waiting.splice(0);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          idle.push(resolve);
          settleIdle();
        }),
        ...(Number.isFinite(graceMs) ? [new Promise<void>((r) => (timer = setTimeout(r, graceMs)))] : []),
      ]);
      clearTimeout(timer);
      return [...dropped, ...active.values()];
    },
    get pending() {
      return waiting.length + running;
    },
  };
}

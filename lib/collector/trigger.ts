import { randomUUID } from 'node:crypto';
import type { Store } from '../clickhouse/client';
import { getRun, type RunView } from '../clickhouse/repos/runs';
import type { Writer } from '../clickhouse/writer';
import { mapLimit } from '../concurrency';
import type { ConnectionSource } from '../connections/source';
import { errorMessage, NotFoundError, ValidationError } from '../errors';
import { KNOWN_PROVIDER_IDS, type ProviderRegistry } from '../providers/registry';
import { enqueueJobs } from './dispatch';
import type { JobQueue } from './queue';
import { type RunDeps, runCollection } from './run';
import type { CollectionJob, DataType } from './types';

export interface TriggerRequest {
  customerId: string;
  /** One id, several, or 'all' (every enabled connection of the customer). */
  providers: readonly string[] | 'all';
  /** Absent: every data type each provider collects. */
  dataTypes?: readonly DataType[] | undefined;
  asyncMode: boolean;
  /** An explicit window (ISO, [start, end)) for every data type instead of the watermarks'. */
  window?: { start: string; end: string } | undefined;
}

export interface TriggerDeps {
  store: Store;
  writer: Writer;
  registry: ProviderRegistry;
  connections: ConnectionSource;
  queue: JobQueue;
  runDeps: RunDeps;
  /** Jobs run at once in sync mode. */
  concurrency?: number;
  /** How long a sync trigger waits before answering with the runs still going (default SYNC_WAIT_MS). */
  syncWaitMs?: number;
  /**
   * Sync mode in a Lambda: the jobs go to the queue (whose worker runs them whatever
   * happens to this request) and the trigger watches their runs. Locally they run in-process.
   */
  syncViaQueue?: boolean;
}

export type TriggerResult =
  | { asyncMode: true; jobs: CollectionJob[] }
  | {
      asyncMode: false;
      jobs: CollectionJob[];
      runs: RunView[];
      /** The wait bound passed with runs still going: they continue; the caller gets their ids. */
      stillRunning: boolean;
    };

/** Default wait of a synchronous trigger, below API Gateway's 29 s (SYNC_TRIGGER_WAIT_SECONDS). */
export const SYNC_WAIT_MS = 25_000;
const POLL_MS = 250;

/** 404 for a provider id nobody knows or this build does not ship. */
export function assertProviderAvailable(registry: ProviderRegistry, provider: string): void {
  if (registry.get(provider)) return;
  if ((KNOWN_PROVIDER_IDS as readonly string[]).includes(provider)) {
    throw new NotFoundError(`Provider "${provider}" has no collector in this deployment.`);
  }
  throw new NotFoundError(
    `Unknown provider "${provider}". Known providers: ${registry
      .list()
      .map((p) => p.id)
      .join(', ')} (or "all").`,
  );
}

/** Turns a trigger request into jobs: validates providers, connections and data types. */
export async function planTriggeredJobs(
  req: TriggerRequest,
  deps: Pick<TriggerDeps, 'registry' | 'connections'>,
) {
  const all = req.providers === 'all';
  const ids = all ? [] : [...new Set(req.providers)];
  for (const id of ids) assertProviderAvailable(deps.registry, id);
  const connections = (await deps.connections.list({ customerId: req.customerId })).filter((c) => c.enabled);
  const now = new Date().toISOString();
  const jobs: CollectionJob[] = [];
  const targets = all
    ? [...new Set(connections.map((c) => c.provider))].filter((p) => deps.registry.get(p))
    : ids;
  for (const provider of targets) {
    const connection = connections.find((c) => c.provider === provider);
    if (!connection) {
      throw new NotFoundError(`Customer "${req.customerId}" has no enabled ${provider} connection.`);
    }
    const supported = deps.registry.dataTypes(provider);
    let dataTypes: DataType[];
    if (req.dataTypes && req.dataTypes.length > 0) {
      const unsupported = req.dataTypes.filter((d) => !supported.includes(d));
      if (unsupported.length > 0 && !all) {
        throw new ValidationError(
          `Provider "${provider}" does not collect ${unsupported.join(', ')} data (it collects: ${supported.join(', ')}).`,
        );
      }
      dataTypes = req.dataTypes.filter((d) => supported.includes(d));
    } else {
      dataTypes = supported;
    }
    if (dataTypes.length === 0) continue;
    jobs.push({
      taskId: randomUUID(),
      customerId: req.customerId,
      provider,
      connectionId: connection.id,
      dataTypes,
      trigger: 'manual',
      queuedAt: now,
      ...(req.window ? { window: req.window } : {}),
    });
  }
  if (jobs.length === 0) {
    throw new NotFoundError(
      `Customer "${req.customerId}" has no enabled connection that collects the requested data.`,
    );
  }
  return jobs;
}

/**
 * A manual collection. Async: the jobs are recorded as queued and sent to the queue.
 * Sync: they run here, concurrently, and the finished runs come back.
 */
export async function triggerCollection(req: TriggerRequest, deps: TriggerDeps): Promise<TriggerResult> {
  const jobs = await planTriggeredJobs(req, deps);
  return startJobs(jobs, req.asyncMode, deps);
}

/**
 * Starts planned manual jobs. Async: recorded as queued and sent to the queue. Sync: run
 * here, concurrently, and the finished runs come back. Shared by every trigger endpoint.
 */
export async function startJobs(
  jobs: CollectionJob[],
  asyncMode: boolean,
  deps: Pick<
    TriggerDeps,
    'store' | 'writer' | 'queue' | 'runDeps' | 'concurrency' | 'syncWaitMs' | 'syncViaQueue'
  >,
): Promise<TriggerResult> {
  if (asyncMode) {
    await enqueueJobs(jobs, { writer: deps.writer, queue: deps.queue });
    return { asyncMode: true, jobs };
  }
  const waitMs = deps.syncWaitMs ?? SYNC_WAIT_MS;
  let finished: boolean;
  if (deps.syncViaQueue) {
    await enqueueJobs(jobs, { writer: deps.writer, queue: deps.queue });
    finished = await watchRuns(deps.store, jobs, waitMs);
  } else {
    const all = mapLimit(jobs, deps.concurrency ?? 4, (job) => runCollection(job, deps.runDeps));
    // Past the bound the runs go on here; their failure is in their run record and the log.
    all.catch((err) =>
      deps.runDeps.logger.error('triggered collection failed', { error: errorMessage(err) }),
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    finished = await Promise.race([
      all.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), waitMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }
  const runs = await Promise.all(jobs.map((job) => getRun(deps.store, job.taskId)));
  return {
    asyncMode: false,
    jobs,
    runs: runs.filter((r): r is RunView => r !== null),
    stillRunning: !finished,
  };
}

const FINAL_STATUSES = new Set(['succeeded', 'partial', 'failed', 'skipped']);

/** Polls the jobs' runs until all have ended (true) or `waitMs` passed (false). */
async function watchRuns(store: Store, jobs: readonly CollectionJob[], waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const runs = await Promise.all(jobs.map((job) => getRun(store, job.taskId)));
    if (runs.every((r) => r && FINAL_STATUSES.has(r.status))) return true;
    if (Date.now() + POLL_MS > deadline) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

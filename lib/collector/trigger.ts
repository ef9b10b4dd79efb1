import { randomUUID } from 'node:crypto';
import type { Store } from '../clickhouse/client';
import { getRun, type RunView } from '../clickhouse/repos/runs';
import type { Writer } from '../clickhouse/writer';
import { mapLimit } from '../concurrency';
import type { ConnectionSource } from '../connections/source';
import { NotFoundError, ValidationError } from '../errors';
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
  /** An explicit window for every data type (ISO), instead of each watermark's. */
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
}

export type TriggerResult =
  | { asyncMode: true; jobs: CollectionJob[] }
  | { asyncMode: false; jobs: CollectionJob[]; runs: RunView[] }
  /** Sync, but not finished within the wait bound: the runs go on (`continuedBy`). */
  | { asyncMode: false; jobs: CollectionJob[]; pending: true; continuedBy: 'this process' | 'queue' };

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
export async function triggerCollection(
  req: TriggerRequest,
  deps: TriggerDeps & { waitMs?: number; mode?: 'local' | 'lambda' },
): Promise<TriggerResult> {
  const jobs = await planTriggeredJobs(req, deps);
  return startJobs(jobs, req.asyncMode, deps);
}

/**
 * Starts planned manual jobs. Async: recorded as queued and sent to the queue. Sync: run
 * here, concurrently, and the finished runs come back — unless they are still going after
 * `waitMs` (below API Gateway's 29 s, which would otherwise answer for us with an error while
 * the collection goes on). Then the answer is "still running" and the runs continue: in a
 * long-lived process (npm start) where they are; in a Lambda, which is frozen once it has
 * answered, they are stopped and handed to the queue under the same task ids, and the worker
 * continues from the watermarks (nothing written is lost or written twice).
 * Shared by every trigger endpoint.
 */
export async function startJobs(
  jobs: CollectionJob[],
  asyncMode: boolean,
  deps: Pick<TriggerDeps, 'store' | 'writer' | 'queue' | 'runDeps' | 'concurrency'> & {
    waitMs?: number;
    /** 'local': the process outlives the request; 'lambda': it does not. */
    mode?: 'local' | 'lambda';
  },
): Promise<TriggerResult> {
  if (asyncMode) {
    await enqueueJobs(jobs, { writer: deps.writer, queue: deps.queue });
    return { asyncMode: true, jobs };
  }
  const abort = new AbortController();
  const runDeps: RunDeps = { ...deps.runDeps, signal: abort.signal };
  const running = mapLimit(jobs, deps.concurrency ?? 4, (job) => runCollection(job, runDeps)).then(
    () => true as const,
  );
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<false>((resolve) => {
    if (deps.waitMs !== undefined) timer = setTimeout(() => resolve(false), deps.waitMs);
  });
  const finished = await Promise.race([running, waited]);
  clearTimeout(timer);
  if (!finished) {
    if (deps.mode === 'lambda') {
      abort.abort(new Error('handed to the collection queue: the synchronous wait ended'));
      await running.catch(() => undefined);
      await enqueueJobs(jobs, { writer: deps.writer, queue: deps.queue });
      return { asyncMode: false, jobs, pending: true, continuedBy: 'queue' };
    }
    running.catch((err: unknown) =>
      deps.runDeps.logger.error('background collection failed', { error: (err as Error).message }),
    );
    return { asyncMode: false, jobs, pending: true, continuedBy: 'this process' };
  }
  const runs = await Promise.all(jobs.map((job) => getRun(deps.store, job.taskId)));
  return { asyncMode: false, jobs, runs: runs.filter((r): r is RunView => r !== null) };
}

import { randomUUID } from 'node:crypto';
import type { Store } from '../../lib/clickhouse/client';
import { type RunResult, runCollection } from '../../lib/collector/run';
import type { CollectionJob, Connection, DataType } from '../../lib/collector/types';
import { parseConfig } from '../../lib/config/schema';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { silentLogger } from './store';

/**
 * The real runtime (real provider registry, default sinks) on a test store, with fast
 * retries: 4 attempts, 1–5 ms backoff.
 */
export function collectionRuntime(store: Store, connections: readonly Connection[]): Promise<Runtime> {
  return createRuntime(parseConfig({ RETRY_MAX_ATTEMPTS: '4', RETRY_BASE_MS: '1', RETRY_CAP_MS: '5' }), {
    mode: 'lambda',
    env: {},
    store,
    logger: silentLogger(),
    connections,
  });
}

/**
 * One enabled connection per customer, all alike (`<provider>-main`, from config), for
 * provider tests that run the same account under several customer ids.
 */
export function connectionsFor(
  provider: string,
  customers: readonly string[],
  settings: Record<string, unknown>,
  secrets: Record<string, string> = {},
): Connection[] {
  return customers.map((customerId) => ({
    id: `${provider}-main`,
    customerId,
    provider,
    enabled: true,
    settings,
    secrets,
    source: 'config',
  }));
}

/** Runs one job for `customerId` × `provider` as if scheduled at `now`. */
export async function runJob(
  runtime: Runtime,
  args: { customerId: string; provider: string; dataTypes: DataType[]; now: string },
): Promise<RunResult & { job: CollectionJob }> {
  const job: CollectionJob = {
    taskId: randomUUID(),
    customerId: args.customerId,
    provider: args.provider,
    dataTypes: args.dataTypes,
    trigger: 'scheduled',
    queuedAt: args.now,
  };
  const result = await runCollection(job, { ...runtime.runDeps, now: () => new Date(args.now) });
  return { ...result, job };
}

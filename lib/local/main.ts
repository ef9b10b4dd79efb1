/**
 * `npm start`: the whole product on one machine, no cloud account. Embedded ClickHouse in
 * OPTIINFRA_DATA_DIR (or CLICKHOUSE_URL), migrations, a local admin key, the route table on
 * PORT with API Gateway-shaped events and the same authorizer, the schedule table
 * in-process, and a first collection of this machine right away.
 */
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { HANDLERS } from '../api/handlers';
import { ROUTES } from '../api/routes';
import { runMigrations } from '../clickhouse/migrate';
import { runFieldsOf } from '../clickhouse/repos/runs';
import type { CollectionJob } from '../collector/types';
import { parseConfig, redactConfig } from '../config/schema';
import { AppError, DataFolderLockedError } from '../errors';
import { createLogger } from '../logger';
import { createRuntime, type Runtime } from '../runtime';
import { SCHEDULES } from '../schedules';
import { ensureAdminKey } from './admin-key';
import { createInProcessJobQueue } from './job-queue';
import { acquireDataLock, type DataLock } from './lock';
import { type LocalScheduler, startLocalScheduler } from './scheduler';
import { createLocalServer } from './server';
import { ensureWebBuilt } from './web';

async function main() {
  const processStart = new Date();
  const config = parseConfig(process.env);
  const logger = createLogger({ level: config.logLevel, service: 'optiinfra-local' });
  const dataDir = resolve(config.dataDir);
  const lock: DataLock = acquireDataLock(dataDir, 'npm start');
  let runtime: Runtime | undefined;
  let server: Server | undefined;
  let stopping = false;
  let scheduler: LocalScheduler | undefined;

  const queue = createInProcessJobQueue({
    runDeps: () => (runtime as Runtime).runDeps,
    concurrency: config.collection.concurrency,
    logger,
  });

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    scheduler?.stop();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server?.closeAllConnections();
    // Running jobs get a bounded time to finish; the rest are closed as interrupted, so
    // no run is left open (the next start would otherwise find them orphaned).
    const unfinished = await queue.stop(config.collection.shutdownGraceMs);
    if (runtime && unfinished.length > 0) {
      await closeInterrupted(runtime, unfinished, signal).catch((err: unknown) =>
        logger.error('closing unfinished runs failed', { error: (err as Error).message }),
      );
    }
    await runtime?.store.close().catch(() => undefined);
    lock.release();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  logger.info('starting', { config: redactConfig(config) });
  // Built in a child process while the API starts: /health never waits for it.
  const web = ensureWebBuilt({ root: resolve(import.meta.dirname, '../..'), logger });
  if (web.state().status === 'building') progress('Building the web console (web/ changed or never built) …');
  progress(
    `Opening ${config.clickhouse.url ? `ClickHouse at ${config.clickhouse.url}` : `embedded ClickHouse in ${dataDir}`} …`,
  );
  runtime = await createRuntime(config, { mode: 'local', env: process.env, queue, logger });
  progress('Applying migrations …');
  const report = await runMigrations(runtime.store, { logger });
  progress(`Schema current (${report.applied.length} applied, ${report.skipped.length} already there).`);
  const admin = await ensureAdminKey(runtime.store, runtime.writer, dataDir);

  server = createLocalServer({ runtime, routes: ROUTES, handlers: HANDLERS, web });
  await new Promise<void>((res, rej) => {
    server?.once('error', rej);
    server?.listen(config.port, () => res());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  lock.update({ port });

  scheduler = startLocalScheduler(runtime, queue, SCHEDULES);
  // Runs an earlier process left open (killed, crashed): embedded ClickHouse allows one
  // process per data folder, so every one of them is an orphan. A shared ClickHouse server
  // may have other writers: there, only expired leases are reaped (every minute).
  await scheduler.reapOrphans(config.clickhouse.url ? new Date(0) : processStart);
  await scheduler.tick('local-machine');

  const base = `http://localhost:${port}`;
  const c = config.defaultCustomerId;
  console.log(
    [
      '',
      `OptiInfra is running at ${base}`,
      `  console     ${base}/ (sign in with the admin key below)`,
      `  admin key   ${admin.path}${admin.created ? ' (new)' : ''}`,
      `  data        ${config.clickhouse.url ? config.clickhouse.url : dataDir}`,
      `  customer    ${c} (this machine is collected as provider "local" every minute)`,
      '',
      'Try:',
      `  curl ${base}/health`,
      `  curl -H "Authorization: Bearer $(cat ${admin.path})" ${base}/api/v1/collect/history/${c}`,
      `  curl -H "Authorization: Bearer $(cat ${admin.path})" ${base}/api/v1/collectors?customer_id=${c}`,
      '',
      'Ctrl-C stops it; the data stays for the next start.',
      '',
    ].join('\n'),
  );
}

/** Records each job's run as failed, interrupted by the shutdown. */
async function closeInterrupted(runtime: Runtime, jobs: readonly CollectionJob[], signal: string) {
  const now = new Date();
  await runtime.writer.write(
    'collection_runs',
    jobs.map((job) => ({
      ...runFieldsOf(job),
      status: 'failed' as const,
      errors: { run: `interrupted: OptiInfra was stopped (${signal}) before the run finished` },
      finished_at: now,
    })),
  );
  runtime.logger.warn('unfinished runs closed as interrupted', { task_ids: jobs.map((j) => j.taskId) });
}

function progress(message: string) {
  process.stderr.write(`${message}\n`);
}

main().catch((err: unknown) => {
  if (err instanceof DataFolderLockedError || err instanceof AppError) {
    console.error(`\n${(err as Error).message}\n`);
  } else {
    console.error(err);
  }
  process.exit(1);
});

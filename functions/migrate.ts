import { join } from 'node:path';
import { runMigrations } from '../lib/clickhouse/migrate';
import { getRuntime } from './_runtime';

/** Runs on deploy (SST Script, before the API takes traffic): applies pending migrations. */
export const handler = async () => {
  const rt = await getRuntime();
  // The Script's function copies migrations/ next to the bundle (stacks/Storage.ts copyFiles).
  const dir = process.env.LAMBDA_TASK_ROOT ? join(process.env.LAMBDA_TASK_ROOT, 'migrations') : undefined;
  const report = await runMigrations(rt.store, { ...(dir ? { dir } : {}), logger: rt.logger });
  rt.logger.info('migrations done', { applied: report.applied, skipped: report.skipped.length });
  return report;
};

import { Script, Function as SstFunction, type StackContext, use } from 'sst/constructs';
import { Config } from './Config';
import { RUNTIME_FILES } from './defaults';

/** Migrations run against a ClickHouse Cloud service that may be waking from idle (1-2 min). */
export const MIGRATE_TIMEOUT_SECONDS = 900;

/**
 * Storage: applies ClickHouse migrations on every deploy, before anything that reads or
 * writes the tables is updated (Collectors and Api depend on this stack).
 *
 * The Script invokes functions/migrate.handler on create and on every update (its version
 * changes with each deploy); the runner skips migrations already recorded, so a deploy
 * with nothing new costs one query. A failing migration fails the Script, which fails
 * this stack, so the stacks after it are not deployed and the API keeps serving the code
 * that matches the schema it has.
 */
export function Storage({ stack }: StackContext) {
  const config = use(Config);
  const migrate = new SstFunction(stack, 'Migrate', {
    handler: 'functions/migrate.handler',
    description: 'Applies pending ClickHouse migrations (SST Script, on deploy)',
    timeout: MIGRATE_TIMEOUT_SECONDS,
    memorySize: 512,
    // functions/migrate.ts reads $LAMBDA_TASK_ROOT/migrations.
    copyFiles: [{ from: 'migrations', to: 'migrations' }, ...RUNTIME_FILES],
    bind: [...config.clickhouse],
    // Script functions must run in AWS even under `sst dev`.
    enableLiveDev: false,
  });
  const migrations = new Script(stack, 'Migrations', { onCreate: migrate, onUpdate: migrate });
  return { migrations, migrate };
}

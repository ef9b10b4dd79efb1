import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runMigrations } from '../clickhouse/migrate';
import { type AppConfig, parseConfig } from '../config/schema';
import { AppError } from '../errors';
import { createLogger } from '../logger';
import { createRuntime, type Runtime } from '../runtime';
import { acquireDataLock } from './lock';

/**
 * Runs a one-off command against the configured store: takes the data-folder lock when
 * ClickHouse is embedded (so a running `npm start` is reported plainly), applies
 * migrations, runs `fn`, closes. Exits 1 with a plain message on known errors.
 */
export async function runCommand(
  name: string,
  fn: (rt: Runtime, config: AppConfig, args: Record<string, string | boolean | undefined>) => Promise<void>,
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'] = {},
  opts: { migrate?: boolean; args?: string[] } = {},
): Promise<void> {
  try {
    const { values } = parseArgs({
      options,
      allowPositionals: false,
      ...(opts.args ? { args: opts.args } : {}),
    });
    const config = parseConfig(process.env);
    const lock = config.clickhouse.url ? undefined : acquireDataLock(resolve(config.dataDir), name);
    try {
      const rt = await createRuntime(config, {
        mode: 'local',
        env: process.env,
        logger: createLogger({ level: process.env.LOG_LEVEL ?? 'WARN' }),
      });
      try {
        if (opts.migrate !== false) await runMigrations(rt.store, { logger: rt.logger });
        await fn(rt, config, values as Record<string, string | boolean | undefined>);
      } finally {
        await rt.store.close();
      }
    } finally {
      lock?.release();
    }
  } catch (err) {
    const known =
      err instanceof AppError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
    console.error(known ? `\n${(err as Error).message}\n` : err);
    process.exit(1);
  }
}

/** `npm run migrate` — applies pending migrations to the configured ClickHouse. */
import { runMigrations } from '../clickhouse/migrate';
import { runCommand } from './cli';

await runCommand(
  'npm run migrate',
  async (rt) => {
    const report = await runMigrations(rt.store);
    for (const name of report.applied) console.log(`applied  ${name}`);
    console.log(
      `Schema current: ${report.applied.length} applied now, ${report.skipped.length} already applied.`,
    );
  },
  {},
  { migrate: false },
);

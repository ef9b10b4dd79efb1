/**
 * `npx optiinfra <command>` — the product's command line (commander for arguments,
 * cli-progress for progress). Every npm script is an alias of one of these commands.
 *
 * Exit codes (scripts may rely on them):
 *   0  done (a collection: every data type succeeded)
 *   1  the work failed or was partial (a collection `partial`, `failed` or `skipped`,
 *      an uncalibrated judge set, an export that failed), or the data folder is in use
 *   2  bad usage or configuration (unknown option, bad value, missing GROQ_API_KEY)
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Command, CommanderError, Option } from 'commander';
import { getRun } from '../clickhouse/repos/runs';
import { runCollection } from '../collector/run';
import { planTriggeredJobs } from '../collector/trigger';
import { DATA_TYPES, type DataType } from '../collector/types';
import { countFocusRows, EXPORT_FORMATS, type ExportFormat, exportFocus } from '../costs/export';
import { ALL_PROVIDERS } from '../costs/reader';
import { runCommand } from '../local/cli';
import { collectProgress, exportProgress } from './progress';
import { parseSince, parseWhen } from './time';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Runs an existing entry script as if it had been started with `args`. */
async function delegate(script: string, args: string[]): Promise<void> {
  process.argv = [process.argv[0] as string, script, ...args];
  await import(script);
}

export function buildProgram(): Command {
  const program = new Command('optiinfra')
    .description('OptiInfra: multi-cloud cost, performance, inventory and LLM quality, on ClickHouse.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('start')
    .description(
      'Run the product locally: embedded ClickHouse, migrations, admin key, API on PORT, schedules.',
    )
    .action(() => delegate('../local/main.ts', []));

  program
    .command('migrate')
    .description('Apply pending migrations to the configured ClickHouse.')
    .action(() => delegate('../local/migrate-cli.ts', []));

  program
    .command('create-key')
    .description('Create an API key (shown once; only its hash is stored).')
    .option('--customer <id>', 'the customer the key belongs to')
    .option('--admin', 'an admin key (every customer)')
    .option('--label <text>', 'a note kept with the key')
    .action((o: { customer?: string; admin?: boolean; label?: string }) =>
      delegate('../local/create-key-cli.ts', [
        ...(o.customer ? ['--customer', o.customer] : []),
        ...(o.admin ? ['--admin'] : []),
        ...(o.label ? ['--label', o.label] : []),
      ]),
    );

  program
    .command('collect')
    .description('Collect a provider now, in the foreground, with progress per data type; prints the run.')
    .argument('<provider>', 'a provider id (as in /api/v1/collectors)')
    .option(
      '--customer <id>',
      'the customer whose connection to collect',
      process.env.DEFAULT_CUSTOMER_ID ?? 'default',
    )
    .option(
      '--data-types <list>',
      `comma-separated: ${DATA_TYPES.join(', ')} (default: all the provider collects)`,
    )
    .option(
      '--since <when>',
      'collect from this time (ISO date/date-time, or 6h / 7d ago) instead of the watermark',
    )
    .action(async (provider: string, o: { customer: string; dataTypes?: string; since?: string }) => {
      const dataTypes = o.dataTypes?.split(',').map((d) => d.trim()) as DataType[] | undefined;
      const bad = dataTypes?.filter((d) => !(DATA_TYPES as readonly string[]).includes(d)) ?? [];
      if (bad.length) usage(`--data-types: unknown ${bad.join(', ')} (allowed: ${DATA_TYPES.join(', ')})`);
      const since = o.since === undefined ? undefined : parseSince(o.since, new Date());
      if (o.since !== undefined && !since)
        usage(`--since: "${o.since}" is not an ISO date/date-time or 6h / 7d`);
      let code: number = EXIT.ok;
      await runCommand(
        'optiinfra collect',
        async (rt) => {
          const [job] = await planTriggeredJobs(
            { customerId: o.customer, providers: [provider], dataTypes, asyncMode: false },
            rt.runDeps,
          );
          if (!job) return;
          if (since) job.window = { start: since.toISOString(), end: new Date().toISOString() };
          const progress = collectProgress(job.dataTypes);
          const result = await runCollection(job, { ...rt.runDeps, onRows: progress.rows });
          progress.done(result.outcomes);
          console.log(JSON.stringify(await getRun(rt.store, result.taskId), null, 2));
          code = result.status === 'succeeded' ? EXIT.ok : EXIT.failed;
        },
        {},
        { args: [] },
      );
      process.exitCode = code;
    });

  program
    .command('export')
    .description("Write a customer's costs as FOCUS 1.2 (CSV or Parquet) to a file, with progress.")
    .requiredOption('--out <file>', 'the file to write')
    .option('--customer <id>', 'the customer', process.env.DEFAULT_CUSTOMER_ID ?? 'default')
    .option('--provider <id>', 'a provider id, or all', ALL_PROVIDERS)
    .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).default('csv'))
    .option('--start <when>', 'period start, ISO date or date-time (default: 30 days ago)')
    .option('--end <when>', 'period end, exclusive (default: tomorrow 00:00 UTC)')
    .action(
      async (o: {
        out: string;
        customer: string;
        provider: string;
        format: ExportFormat;
        start?: string;
        end?: string;
      }) => {
        const end = o.end ? parseWhen(o.end) : undefined;
        const start = o.start ? parseWhen(o.start) : undefined;
        if ((o.start && !start) || (o.end && !end))
          usage('--start/--end: use an ISO date (2026-01-31) or date-time with a zone');
        await runCommand(
          'optiinfra export',
          async (rt) => {
            const today = new Date();
            const periodEnd =
              end ?? new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1));
            const period = {
              start: start ?? new Date(periodEnd.getTime() - 30 * 86_400_000),
              end: periodEnd,
            };
            const scope = { customerId: o.customer, provider: o.provider, period };
            const rows = await countFocusRows(rt.store, scope);
            const bar = exportProgress(rows);
            const { stream } = await exportFocus(rt.store, scope, o.format);
            stream.on('data', (chunk: Buffer) => bar.bytes(chunk.length));
            await pipeline(stream, createWriteStream(o.out));
            bar.done(o.out);
          },
          {},
          { args: [] },
        );
      },
    );

  const judge = program.command('judge').description('The LLM judge.');
  judge
    .command('calibrate')
    .description('Measure the judge on the labeled set (precision/recall/F1); stores the result.')
    .option('--dry-run', 'judge but do not store')
    .option('--set <file>', 'a labeled set (JSONL) instead of the shipped one')
    .action((o: { dryRun?: boolean; set?: string }) =>
      delegate('../applications/calibrate-cli.ts', [
        ...(o.dryRun ? ['--dry-run'] : []),
        ...(o.set ? ['--set', o.set] : []),
      ]),
    );
  return program;
}

function usage(message: string): never {
  throw new CommanderError(EXIT.usage, 'optiinfra.usage', `error: ${message}`);
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'optiinfra.usage') console.error(err.message);
      // Help and version are exit 0; every other parser complaint is a usage error.
      process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
    }
    throw err;
  }
}

await main(process.argv.slice(2));

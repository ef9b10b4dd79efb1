import { rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStore } from '../lib/clickhouse/client';
import { runMigrations } from '../lib/clickhouse/migrate';
import { createLogger } from '../lib/logger';
import type { BenchRow, BenchSection } from './harness';

/**
 * `npm run bench [section ...]` — runs the benchmark sections on a fresh embedded
 * ClickHouse in .optiinfra/bench and prints every figure next to its same-run baseline.
 */
async function main() {
  const { scale, only } = parseArgs(process.argv.slice(2));
  const dir = fileURLToPath(new URL('./sections', import.meta.url));
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
  const dataDir = join(process.cwd(), '.optiinfra', 'bench');
  rmSync(dataDir, { recursive: true, force: true });
  const store = await createStore({ database: 'optiinfra_bench', dataDir });
  await runMigrations(store);
  const logger = createLogger({ level: 'WARN' });
  const rows: BenchRow[] = [];
  const started = Date.now();
  for (const file of files) {
    const mod = (await import(join(dir, file))) as { default: BenchSection };
    const section = mod.default;
    if (only.length > 0 && !only.includes(section.name)) continue;
    console.log(`\n== ${section.name}`);
    await section.run({
      store,
      logger,
      scale,
      report(row) {
        rows.push(row);
        console.log(`   ${format(row)}`);
      },
      progress(message) {
        console.log(`   … ${message} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
      },
    });
  }
  console.log(
    `\nSummary at scale ${scale} (ratio = ours / baseline; for throughput higher is better, for latency lower is better)`,
  );
  for (const r of rows) console.log(`  ${r.section.padEnd(18)} ${format(r)}`);
  await store.close();
}

/** `[section ...] [--scale F]`: F in (0, 1], the fraction of each section's data set. */
function parseArgs(args: string[]): { scale: number; only: string[] } {
  let scale = 1;
  const only: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const inline = a.startsWith('--scale=') ? a.slice('--scale='.length) : undefined;
    if (a === '--scale' || inline !== undefined) {
      const v = Number(inline ?? args[++i]);
      if (!(v > 0 && v <= 1)) throw new Error(`--scale must be a number in (0, 1], got ${inline ?? args[i]}`);
      scale = v;
    } else only.push(a);
  }
  return { scale, only };
}

function format(r: BenchRow): string {
  const ratio = r.ours / r.baseline;
  return `${r.metric}: ours ${fmt(r.ours)} ${r.unit} | baseline ${fmt(r.baseline)} ${r.unit} | ratio ${ratio.toFixed(2)}x${r.note ? ` (${r.note})` : ''}`;
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

import cliProgress from 'cli-progress';
import type { DataTypeOutcome } from '../collector/run';
import type { DataType } from '../collector/types';

/** Progress goes to stderr, so stdout carries only the result (the run JSON) for scripts. */
const STREAM = process.stderr;

/** One line per data type: rows written so far, then its outcome. */
export function collectProgress(dataTypes: readonly DataType[]) {
  const multi = new cliProgress.MultiBar(
    {
      stream: STREAM,
      format: ' {dataType} | {state} | {value} rows',
      hideCursor: true,
      clearOnComplete: false,
      noTTYOutput: true,
      notTTYSchedule: 5_000,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map(
    dataTypes.map((d) => [d, multi.create(0, 0, { dataType: d.padEnd(11), state: 'collecting' })]),
  );
  return {
    rows: (dataType: DataType, rows: number) => bars.get(dataType)?.update(rows),
    done(outcomes: readonly DataTypeOutcome[]) {
      for (const o of outcomes) {
        const state = o.skipped ? 'skipped' : o.ok ? 'done' : `failed: ${o.error ?? ''}`.slice(0, 120);
        bars.get(o.dataType)?.update(o.rows, { state });
      }
      multi.stop();
    },
  };
}

/** Bytes written of an export of `rows` facts. */
export function exportProgress(rows: number) {
  const bar = new cliProgress.SingleBar(
    {
      stream: STREAM,
      format: ' FOCUS export | {rows} rows | {mb} MB written',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5_000,
    },
    cliProgress.Presets.shades_classic,
  );
  let bytes = 0;
  bar.start(1, 0, { rows, mb: '0.0' });
  return {
    bytes(n: number) {
      bytes += n;
      bar.update(0, { mb: (bytes / 1e6).toFixed(1) });
    },
    done(file: string) {
      bar.update(1, { mb: (bytes / 1e6).toFixed(1) });
      bar.stop();
      STREAM.write(`wrote ${rows} rows (${bytes} bytes) to ${file}\n`);
    },
  };
}

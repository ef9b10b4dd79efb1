import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { focusViolations, readFocusCsv } from '../../helpers/focus';

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'optiinfra.mjs');
const DATA = mkdtempSync(join(tmpdir(), 'optiinfra-cli-'));

/** Runs `optiinfra …` as a process on a temp data folder, as a user's script would. */
function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { ...process.env, OPTIINFRA_DATA_DIR: DATA, LOG_LEVEL: 'SILENT', LOCAL_HOURLY_RATE: '0.36' },
        encoding: 'utf8',
        timeout: 120_000,
      },
      (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }),
    );
  });
}

describe('npx optiinfra', { timeout: 300_000 }, () => {
  it('shows help for the program and every command, exit 0', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    for (const c of ['start', 'migrate', 'create-key', 'collect', 'export', 'judge'])
      expect(top.out).toContain(c);
    const commands = [
      ['collect'],
      ['export'],
      ['create-key'],
      ['migrate'],
      ['start'],
      ['judge', 'calibrate'],
    ];
    const helps = await Promise.all(commands.map((c) => cli(...c, '--help')));
    helps.forEach((r, i) => {
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: optiinfra ${commands[i]?.join(' ')}`);
    });
  });

  it('exits 2 on bad usage', async () => {
    const runs = await Promise.all([
      cli('bogus'),
      cli('collect', 'local', '--data-types', 'weather'),
      cli('collect', 'local', '--since', 'yesterday-ish'),
      cli('export'),
      cli('export', '--out', join(DATA, 'x'), '--format', 'xlsx'),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
  });

  it('migrates, creates a key, collects this machine with progress and exports FOCUS to a file', async () => {
    expect((await cli('migrate')).code).toBe(0);
    const key = await cli('create-key', '--customer', 'acme');
    expect(key.code).toBe(0);
    expect(JSON.parse(key.out).customer_id).toBe('acme');

    const run = await cli('collect', 'local', '--data-types', 'cost,resource', '--since', '2h');
    expect(run.code).toBe(0);
    const view = JSON.parse(run.out);
    expect(view.status).toBe('succeeded');
    expect(view.data_types).toEqual(['cost', 'resource']);
    expect(run.err).toMatch(/cost\s+\| done/);
    expect(run.err).toMatch(/resource\s+\| done/);

    const file = join(DATA, 'focus.csv');
    const exp = await cli('export', '--out', file, '--provider', 'local');
    expect(exp.code).toBe(0);
    expect(exp.err).toContain(`to ${file}`);
    const { header, rows } = readFocusCsv(readFileSync(file));
    expect(rows.length).toBeGreaterThan(0);
    expect(focusViolations(header, rows, 'csv')).toEqual([]);
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killStartedProducts, ROOT, startProduct } from '../../helpers/npm-start';

/**
 * `npm start` as a user runs it: a real process on an empty data folder, then a second
 * start on the same folder. Proves the README's promise end to end.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'optiinfra-start-'));
const start = () => startProduct(dataDir, { DEFAULT_CUSTOMER_ID: 'e2e' });

async function history(url: string, key: string) {
  const res = await fetch(`${url}/api/v1/collect/history/e2e`, {
    headers: { authorization: `Bearer ${key}` },
  });
  return (await res.json()) as {
    runs: { status: string; provider: string; rows_collected: Record<string, number> }[];
  };
}

afterAll(killStartedProducts);

describe('npm start', () => {
  it('answers /health, collects this machine at once, keeps its data across restarts, and reports a held folder plainly', async () => {
    const first = await start();
    const health = await fetch(`${first.url}/health`);
    expect(health.status).toBe(200);

    const keyFile = join(dataDir, 'admin-key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(first.output()).toContain(
      `curl -H "Authorization: Bearer $(cat ${keyFile})" ${first.url}/api/v1/collect/history/e2e`,
    );

    let runs: Awaited<ReturnType<typeof history>>['runs'] = [];
    for (let i = 0; i < 60 && !runs.some((r) => r.status === 'succeeded'); i++) {
      runs = (await history(first.url, key)).runs;
      if (!runs.some((r) => r.status === 'succeeded')) await new Promise((r) => setTimeout(r, 500));
    }
    const local = runs.find((r) => r.status === 'succeeded');
    expect(local?.provider).toBe('local');
    expect(local?.rows_collected.performance).toBeGreaterThan(0);

    // While it runs, the CLI says who holds the folder and how to use the API instead.
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'lib/local/create-key-cli.ts', '--customer', 'acme'],
      {
        cwd: ROOT,
        env: { ...process.env, OPTIINFRA_DATA_DIR: dataDir },
        encoding: 'utf8',
      },
    );
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain(
      `is in use by "npm start" (pid ${first.child.pid}) and serving ${first.url}`,
    );
    expect(cli.stderr).toContain(`curl -X POST ${first.url}/api/v1/keys`);

    expect(await first.stop()).toBe(0);
    expect(existsSync(join(dataDir, 'optiinfra.lock'))).toBe(false);

    const second = await start();
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(key);
    const again = await history(second.url, key);
    expect(again.runs.length).toBeGreaterThan(runs.length - 1);
    expect(again.runs.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(1);
    expect(await second.stop()).toBe(0);
  }, 120_000);
});

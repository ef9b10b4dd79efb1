import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm start` as a user runs it: a real process on an empty data folder, then a second
 * start on the same folder. Proves the README's promise end to end.
 */
const root = join(import.meta.dirname, '../../..');
const dataDir = mkdtempSync(join(tmpdir(), 'optiinfra-start-'));
const children: ChildProcess[] = [];

function start(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      OPTIINFRA_DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'WARN',
      DEFAULT_CUSTOMER_ID: 'e2e',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${out}`)), 45_000);
    child.stdout?.on('data', () => {
      const m = /OptiInfra is running at (http:\/\/localhost:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string, output: () => out });
      }
    });
    child.on('exit', (code) => reject(new Error(`npm start exited ${code}:\n${out}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

async function history(url: string, key: string) {
  const res = await fetch(`${url}/api/v1/collect/history/e2e`, {
    headers: { authorization: `Bearer ${key}` },
  });
  return (await res.json()) as {
    runs: { status: string; provider: string; rows_collected: Record<string, number> }[];
  };
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

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
        cwd: root,
        env: { ...process.env, OPTIINFRA_DATA_DIR: dataDir },
        encoding: 'utf8',
      },
    );
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain(
      `is in use by "npm start" (pid ${first.child.pid}) and serving ${first.url}`,
    );
    expect(cli.stderr).toContain(`curl -X POST ${first.url}/api/v1/keys`);

    expect(await stop(first.child)).toBe(0);
    expect(existsSync(join(dataDir, 'optiinfra.lock'))).toBe(false);

    const second = await start();
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(key);
    const again = await history(second.url, key);
    expect(again.runs.length).toBeGreaterThan(runs.length - 1);
    expect(again.runs.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(1);
    expect(await stop(second.child)).toBe(0);
  }, 120_000);
});

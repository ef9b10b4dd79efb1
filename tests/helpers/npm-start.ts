import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The repository root: where `npm start` runs. */
export const ROOT = join(import.meta.dirname, '../..');

export interface StartedProduct {
  child: ChildProcess;
  /** http://localhost:<port>, as the start-up banner prints it. */
  url: string;
  /** Everything the process printed so far (for failure messages). */
  output(): string;
  /** Ctrl-C: SIGINT, resolves to the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/**
 * `npm start` as a user runs it (`node --import tsx lib/local/main.ts`, what the npm script
 * runs), on `dataDir`, on a free port, with `env` added to this process's environment.
 * Resolves when the start-up banner is printed.
 */
export function startProduct(dataDir: string, env: Record<string, string> = {}): Promise<StartedProduct> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      OPTIINFRA_DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'WARN',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const stop = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGINT');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${out}`)), 45_000);
    child.stdout?.on('data', () => {
      const m = /OptiInfra is running at (http:\/\/localhost:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string, output: () => out, stop });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited ${code}:\n${out}`));
    });
  });
}

/** Kills whatever a test file left running (call from afterAll). */
export function killStartedProducts(): void {
  for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
}

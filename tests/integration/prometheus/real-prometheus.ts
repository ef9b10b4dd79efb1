import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const INSTALL_HINT =
  'This test needs a real Prometheus server: install the Debian package (apt-get update && apt-get install -y prometheus) so that /usr/bin/prometheus exists.';

/** The prometheus binary on PATH or at /usr/bin/prometheus; a clear failure otherwise (never a skip). */
export function findPrometheus(
  candidates: readonly string[] = [
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'prometheus')),
    '/usr/bin/prometheus',
  ],
): string {
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new Error(`prometheus binary not found. ${INSTALL_HINT}`);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface ScrapeJob {
  job: string;
  target: string;
  metricsPath: string;
}

export interface RunningPrometheus {
  url: string;
  /** What Prometheus printed, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts the real Prometheus with a fresh TSDB in a temp folder, scraping `jobs` every
 * second, and waits until it is ready.
 */
export async function startPrometheus(jobs: readonly ScrapeJob[]): Promise<RunningPrometheus> {
  const bin = findPrometheus();
  const dir = mkdtempSync(join(tmpdir(), 'optiinfra-prom-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 900ms',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    ...jobs.flatMap((j) => [
      `  - job_name: ${j.job}`,
      `    metrics_path: ${j.metricsPath}`,
      '    static_configs:',
      `      - targets: ['${j.target}']`,
    ]),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with code ${child.exitCode}: ${output.slice(-2000)}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready in 30 s: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, log: () => output, stop };
}

/** Waits until `query` (instant) returns at least one series with a sample >= `min`. */
export async function waitForQuery(
  url: string,
  query: string,
  min: number,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
    const v = Number(body.data?.result?.[0]?.value[1]);
    if (Number.isFinite(v) && v >= min) return;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${query} >= ${min}: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const INSTALL_HINT =
  'This test needs a real Prometheus server: install the Debian package (apt-get update && apt-get install -y prometheus) so that /usr/bin/prometheus exists.';

/** The prometheus binary on PATH or at /usr/bin/prometheus; a clear failure otherwise (never a skip). */
export function findPrometheus(candidates: readonly string[] = binaryCandidates('prometheus')): string {
  return findBinary(candidates, `prometheus binary not found. ${INSTALL_HINT}`);
}

const binaryCandidates = (name: string) => [
  ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, name)),
  `/usr/bin/${name}`,
];

function findBinary(candidates: readonly string[], notFound: string): string {
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new Error(notFound);
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
  /** The queries Prometheus answered (its query log), oldest first. */
  queries(): { query: string; start?: string; end?: string; step?: number }[];
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
    `  query_log_file: ${join(dir, 'queries.log')}`,
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
  const queries = () => {
    const file = join(dir, 'queries.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(
        (line) => (JSON.parse(line) as { params: ReturnType<RunningPrometheus['queries']>[number] }).params,
      );
  };
  return { url, log: () => output, queries, stop };
}

/**
 * Debian's `prometheus-node-exporter` (the real exporter of this machine) on a free
 * loopback port; `npm test`'s pretest installs the package where it is missing.
 */
export async function startNodeExporter(): Promise<{ host: string; stop(): Promise<void> }> {
  const bin = findBinary(
    binaryCandidates('prometheus-node-exporter'),
    'prometheus-node-exporter not found: apt-get update && apt-get install -y prometheus-node-exporter',
  );
  const port = await freePort();
  let output = '';
  const child = spawn(bin, [`--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus-node-exporter exited: ${output.slice(-2000)}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/metrics`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus-node-exporter did not answer in 20 s: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host: `127.0.0.1:${port}`, stop };
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

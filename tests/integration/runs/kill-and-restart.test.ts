import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../../lib/clickhouse/client';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';

/**
 * Runs that always end, as a user meets them: `npm start` (the real local runtime in a
 * child process) collects a Prometheus fleet whose answer hangs; the process is killed
 * with SIGKILL mid-run; the next `npm start` on the same data folder closes the run as
 * interrupted and retries it (same task id, attempt 2) to success, with the same rows a
 * clean collection writes. Then SIGTERM during a run: exit 0 and no run left open.
 */
const root = join(import.meta.dirname, '../../..');
const dataDir = mkdtempSync(join(tmpdir(), 'optiinfra-kill-'));
const children: ChildProcess[] = [];
let prom: FakeServer;
let hang = true;
const anchor = Math.floor(Date.now() / 60_000) * 60;

/** A query_range answer with five fixed points, the same for every request. */
const matrix = () => ({
  status: 'success',
  data: {
    resultType: 'matrix',
    result: [
      {
        metric: { instance: 'node-1:9100' },
        values: [4, 3, 2, 1, 0].map((m) => [anchor - m * 60, String(40 + m)]),
      },
    ],
  },
});

beforeAll(async () => {
  prom = await startFakeServer((req) => {
    // The first collection asks for the oldest sample (history backfill): none known here.
    if (req.path.endsWith('/api/v1/query'))
      return { body: { status: 'success', data: { resultType: 'vector', result: [] } } };
    if (!req.path.endsWith('/api/v1/query_range')) return { status: 404 };
    if (req.path.startsWith('/slow') && hang) return new Promise(() => undefined);
    return { body: matrix() };
  });
  const connections = join(dataDir, 'connections.yaml');
  const query = '{ id: cpu, metric: cpu_utilization, unit: percent, query: "node_cpu" }';
  writeFileSync(
    connections,
    [
      'connections:',
      '  - customer_id: dying',
      '    provider: onprem',
      `    settings: { prometheus: { url: "${prom.url}/slow", query_sets: [], queries: [${query}] }, history_days: 1 }`,
      '  - customer_id: clean',
      '    provider: onprem',
      `    settings: { prometheus: { url: "${prom.url}/fast", query_sets: [], queries: [${query}] }, history_days: 1 }`,
      '',
    ].join('\n'),
  );
  process.env.KILL_TEST_CONNECTIONS = connections;
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await prom.close();
});

function start(
  extra: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; key: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      OPTIINFRA_DATA_DIR: dataDir,
      OPTIINFRA_CONNECTIONS_FILE: process.env.KILL_TEST_CONNECTIONS,
      PORT: '0',
      LOG_LEVEL: 'WARN',
      DEFAULT_CUSTOMER_ID: 'machine',
      RETRY_MAX_ATTEMPTS: '1',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${out}`)), 60_000);
    child.stdout?.on('data', () => {
      const m = /OptiInfra is running at (http:\/\/localhost:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string, key: readFileSync(join(dataDir, 'admin-key'), 'utf8').trim() });
      }
    });
    child.on('exit', (code) => reject(new Error(`npm start exited ${code}:\n${out}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

interface Run {
  task_id: string;
  status: string;
  attempt: number;
  errors: Record<string, string>;
  rows_collected: Record<string, number>;
  details: { previous_attempts?: { attempt: number; error: string }[] };
}

async function api<T>(base: string, key: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return (await res.json()) as T;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const slowRequests = () => prom.requests.filter((r) => r.path.startsWith('/slow')).length;

describe('a run whose process dies', () => {
  it('is closed as interrupted and retried to success by the next start; SIGTERM mid-run exits 0 with no run open', async () => {
    // 1. A run in flight when the process is killed.
    const first = await start();
    const trigger = await api<{ task_id: string }>(first.url, first.key, '/api/v1/collect/trigger', {
      customer_id: 'dying',
      provider: 'onprem',
      data_types: ['performance'],
      async_mode: true,
    });
    const taskId = trigger.task_id;
    const before = slowRequests();
    await until('the provider call', async () => (slowRequests() > before ? true : undefined));
    const running = await api<Run>(first.url, first.key, `/api/v1/collect/status/${taskId}`);
    expect(running.status).toBe('running');
    first.child.kill('SIGKILL');
    await exited(first.child);

    // 2. The next start finds it, closes it as interrupted and runs it again: attempt 2.
    hang = false;
    const second = await start();
    const retried = await until('the retried run', async () => {
      const r = await api<Run>(second.url, second.key, `/api/v1/collect/status/${taskId}`);
      return r.status === 'succeeded' ? r : undefined;
    });
    expect(retried.attempt).toBe(2);
    expect(retried.details.previous_attempts).toEqual([
      expect.objectContaining({ attempt: 1, error: expect.stringContaining('interrupted') }),
    ]);
    expect(retried.rows_collected.performance).toBe(5);

    // A clean collection of the same fleet, for comparison.
    const clean = await api<{ runs: Run[] }>(second.url, second.key, '/api/v1/collect/trigger', {
      customer_id: 'clean',
      provider: 'onprem',
      data_types: ['performance'],
      async_mode: false,
    });
    expect(clean.runs?.[0]?.status ?? (clean as unknown as Run).status).toBe('succeeded');

    // 3. SIGTERM while a run hangs: bounded wait, the run closed as interrupted, exit 0.
    hang = true;
    const sigTrigger = await api<{ task_id: string }>(second.url, second.key, '/api/v1/collect/trigger', {
      customer_id: 'dying',
      provider: 'onprem',
      data_types: ['performance'],
      async_mode: true,
    });
    const n = slowRequests();
    await until('the second provider call', async () => (slowRequests() > n ? true : undefined));
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);

    // 4. The data folder is free again: read what was recorded.
    const store = await createStore({ dataDir, database: 'optiinfra' });
    try {
      const q = async <T>(query: string, query_params: Record<string, string> = {}) =>
        (await (await store.client.query({ query, query_params, format: 'JSONEachRow' })).json()) as T[];
      const open = await q<{ task_id: string }>(
        `SELECT task_id FROM collection_runs FINAL WHERE status IN ('queued', 'running')`,
      );
      expect(open).toEqual([]);
      const [stopped] = await q<{ status: string; errors: Record<string, string> }>(
        'SELECT status, errors FROM collection_runs FINAL WHERE task_id = {t:String}',
        { t: sigTrigger.task_id },
      );
      expect(stopped?.status).toBe('failed');
      expect(stopped?.errors.run).toContain('interrupted: OptiInfra was stopped (SIGTERM)');
      const counts = await q<{ customer_id: string; n: string }>(
        `SELECT customer_id, toString(count()) AS n FROM performance_points FINAL
          WHERE customer_id IN ('dying', 'clean') GROUP BY customer_id ORDER BY customer_id`,
      );
      expect(counts).toEqual([
        { customer_id: 'clean', n: '5' },
        { customer_id: 'dying', n: '5' },
      ]);
    } finally {
      await store.close();
    }
  }, 180_000);
});

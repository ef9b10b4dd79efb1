import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
  startFakeServer,
} from '../../helpers/fake-server';
import { type LocalApi, startLocalApi } from '../../helpers/local-api';
import { rows } from '../../helpers/store';

/**
 * A new connection's first collection, the user's way: a connections file on disk, the
 * runtime `npm start` builds, a trigger through HTTP, a Prometheus HTTP API stand-in that
 * holds a given history. History backfill (14 days by default, never before the source's
 * oldest sample), resumable in chunks, explicit trigger windows, and a synchronous trigger
 * that outlasts its wait bound.
 */

const DAY = 86_400_000;
const STEP = 300_000;
const INSTANCES = ['10.0.0.1:9100', '10.0.0.2:9100'];
/** The machines' resource ids: the instance label without its port. */
const MACHINES = ['10.0.0.1', '10.0.0.2'];

/** A Prometheus stand-in holding samples every 5 minutes from `oldestMs` on, for two machines. */
function prometheusHolding(
  oldestMs: number,
  opts: { failFromMs?: () => number | null; delayMs?: number } = {},
) {
  return (req: RecordedRequest): FakeReply => {
    const params = req.method === 'POST' ? new URLSearchParams(req.body) : req.query;
    if (req.path === '/api/v1/query') {
      // The oldest-sample probe: min over time of timestamp(up).
      return {
        body: {
          status: 'success',
          data: {
            resultType: 'vector',
            result: [{ metric: {}, value: [Date.now() / 1000, String(oldestMs / 1000)] }],
          },
        },
      };
    }
    if (req.path !== '/api/v1/query_range') return { status: 404 };
    const start = Number(params.get('start')) * 1000;
    const end = Number(params.get('end')) * 1000;
    const failFrom = opts.failFromMs?.();
    if (failFrom !== null && failFrom !== undefined && start >= failFrom) {
      return { status: 503, body: { status: 'error', errorType: 'unavailable', error: 'stand-in outage' } };
    }
    const result = INSTANCES.map((instance, i) => {
      const values: [number, string][] = [];
      for (let t = start; t <= end; t += STEP) if (t >= oldestMs) values.push([t / 1000, String(10 + i)]);
      return { metric: { instance }, values };
    });
    return {
      ...(opts.delayMs ? { delayMs: opts.delayMs } : {}),
      body: { status: 'success', data: { resultType: 'matrix', result } },
    };
  };
}

const CPU = {
  id: 'cpu',
  metric: 'cpu_utilization',
  unit: 'percent',
  query:
    '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle",$__selector}[$__rate_interval])))',
};

let full: FakeServer; // 20 days of history
let young: FakeServer; // 3 days
let flaky: FakeServer; // fails mid-backfill until healed
let slow: FakeServer;
let api: LocalApi;
let key: string;
let flakyFailFrom: number | null = null;
const t0 = Date.now();
/** ISO to whole seconds, as the API takes it. */
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

beforeAll(async () => {
  full = await startFakeServer(prometheusHolding(t0 - 20 * DAY));
  young = await startFakeServer(prometheusHolding(t0 - 3 * DAY));
  flaky = await startFakeServer(prometheusHolding(t0 - 20 * DAY, { failFromMs: () => flakyFailFrom }));
  slow = await startFakeServer(prometheusHolding(t0 - 20 * DAY, { delayMs: 1_500 }));
  const dir = mkdtempSync(join(tmpdir(), 'optiinfra-backfill-'));
  const file = join(dir, 'connections.yaml');
  const conn = (customer: string, url: string) =>
    `  - customer_id: ${customer}\n    provider: onprem\n    settings:\n      prometheus: { url: "${url}", step: 5m, query_sets: [], queries: [${JSON.stringify(CPU)}] }\n`;
  writeFileSync(
    file,
    `connections:\n${conn('full', full.url)}${conn('young', young.url)}${conn('flaky', flaky.url)}${conn('window', full.url)}${conn('slow', slow.url)}`,
  );
  api = await startLocalApi({
    env: { OPTIINFRA_CONNECTIONS_FILE: file, RETRY_MAX_ATTEMPTS: '1', SYNC_TRIGGER_WAIT_SECONDS: '1' },
  });
  key = await api.key(null);
}, 60_000);

afterAll(async () => {
  await api?.close();
  await Promise.all([full, young, flaky, slow].map((s) => s?.close()));
});

const trigger = (body: Record<string, unknown>) =>
  api.request('POST', '/api/v1/collect/trigger', { key, body: { provider: 'onprem', ...body } });

/** A synchronous trigger, followed to its end when it outlasts the (1 s) wait bound. */
async function collect(body: Record<string, unknown>) {
  const res = await trigger({ data_types: ['performance'], async_mode: false, ...body });
  expect([200, 202]).toContain(res.status);
  return res.status === 200 ? res.body : waitForRun(res.body.task_id);
}

async function waitForRun(taskId: string) {
  for (let i = 0; i < 240; i++) {
    const r = await api.request('GET', `/api/v1/collect/status/${taskId}`, { key });
    if (r.status === 200 && !['queued', 'running'].includes(r.body.status)) return r.body;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`run ${taskId} did not end`);
}

async function points(customer: string) {
  return rows<{ resource_id: string; ts: number; n: string }>(
    api.runtime.store,
    `SELECT resource_id, toUnixTimestamp64Milli(ts) AS ts, toString(count()) AS n
     FROM performance_points FINAL WHERE customer_id = {c:String}
     GROUP BY resource_id, ts ORDER BY resource_id, ts`,
    { c: customer },
  );
}

/** Step-aligned instants in [start, end). */
function instants(start: number, end: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(start / STEP) * STEP; t < end; t += STEP) out.push(t);
  return out;
}

describe('history backfill on a first collection', () => {
  it('stores the last 14 days by default, in chunks, with the progress in the run', async () => {
    const run = await collect({ customer_id: 'full' });
    expect(run.status).toBe('succeeded');
    const dt = run.details.data_types.performance;
    const start = Date.parse(dt.window.start);
    const end = Date.parse(dt.window.end);
    expect(end - start).toBe(14 * DAY);
    expect(dt.windows).toEqual({ done: 14, total: 14, points: dt.rows });
    const stored = await points('full');
    const expected = instants(start, end);
    for (const machine of MACHINES) {
      const ts = stored.filter((p) => p.resource_id === machine).map((p) => Number(p.ts));
      expect(ts).toEqual(expected);
    }
    expect(stored.every((p) => p.n === '1')).toBe(true);
    expect(dt.rows).toBe(expected.length * INSTANCES.length);
    // Day-sized chunks: 288 points per series per request, far below Prometheus's 11,000.
    const ranges = full.requests.filter((r) => r.path === '/api/v1/query_range');
    expect(ranges).toHaveLength(14);
  }, 60_000);

  it("starts at the source's oldest sample when it holds less than the history", async () => {
    const run = await collect({ customer_id: 'young' });
    expect(run.status).toBe('succeeded');
    const oldest = t0 - 3 * DAY;
    const dt = run.details.data_types.performance;
    const start = Date.parse(dt.window.start);
    // The probe answers to the hour, an hour early at most: no day before it is queried.
    expect(start).toBeLessThanOrEqual(oldest);
    expect(start).toBeGreaterThan(oldest - 2 * 3_600_000);
    const ranges = young.requests.filter((r) => r.path === '/api/v1/query_range');
    expect(ranges.length).toBe(dt.windows.total);
    expect(ranges.length).toBeLessThanOrEqual(4);
    const stored = await points('young');
    expect(stored.length).toBe(instants(oldest, Date.parse(dt.window.end)).length * INSTANCES.length);
  }, 60_000);

  it('resumes an interrupted backfill from its watermark, without gaps or duplicates', async () => {
    flakyFailFrom = t0 - 8 * DAY;
    const first = await collect({ customer_id: 'flaky' });
    expect(first.status).toBe('failed');
    const p1 = first.details.data_types.performance;
    expect(p1.windows.done).toBeGreaterThan(0);
    expect(p1.windows.done).toBeLessThan(p1.windows.total);
    const firstStart = Date.parse(p1.window.start);
    flakyFailFrom = null;
    flaky.requests.length = 0;
    const second = await collect({ customer_id: 'flaky' });
    expect(second.status).toBe('succeeded');
    const p2 = second.details.data_types.performance;
    // It starts where the first run's last complete chunk ended.
    expect(Date.parse(p2.window.start)).toBe(firstStart + p1.windows.done * 86_400_000);
    const firstRange = flaky.requests.find((r) => r.path === '/api/v1/query_range');
    expect(Number(firstRange?.query.get('start')) * 1000).toBe(
      Math.ceil(Date.parse(p2.window.start) / STEP) * STEP,
    );
    const stored = await points('flaky');
    const expected = instants(firstStart, Date.parse(p2.window.end));
    for (const machine of MACHINES) {
      expect(stored.filter((p) => p.resource_id === machine).map((p) => Number(p.ts))).toEqual(expected);
    }
    const raw = await rows<{ n: string }>(
      api.runtime.store,
      `SELECT toString(count()) AS n FROM performance_points FINAL WHERE customer_id = 'flaky'`,
    );
    expect(raw[0]?.n).toBe(String(expected.length * INSTANCES.length));
  }, 60_000);
});

describe('trigger windows', () => {
  it('collects exactly the start/end window given', async () => {
    const day = Math.floor((t0 - 5 * DAY) / DAY) * DAY;
    const start = iso(day);
    const end = iso(day + 6 * 3_600_000);
    const before = full.requests.length;
    const run = await collect({ customer_id: 'window', start, end });
    expect(run.status).toBe('succeeded');
    expect(run.details.data_types.performance.window).toEqual({
      start: new Date(day).toISOString(),
      end: new Date(day + 6 * 3_600_000).toISOString(),
    });
    const reqs = full.requests.slice(before).filter((r) => r.path === '/api/v1/query_range');
    expect(reqs.map((r) => [r.query.get('start'), r.query.get('end')])).toEqual([
      [String(day / 1000), String((day + 6 * 3_600_000 - STEP) / 1000)],
    ]);
    const stored = await points('window');
    expect(stored.map((p) => Number(p.ts))).toEqual(
      INSTANCES.flatMap(() => instants(day, day + 6 * 3_600_000)),
    );
  }, 60_000);
  // Bad windows and the synchronous wait: tests/integration/collector/trigger-window-wait.test.ts.
});

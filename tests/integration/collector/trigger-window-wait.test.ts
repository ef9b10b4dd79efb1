import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun } from '../../../lib/clickhouse/repos/runs';
import type { JobQueue } from '../../../lib/collector/queue';
import { runCollection } from '../../../lib/collector/run';
import { triggerCollection } from '../../../lib/collector/trigger';
import type { CollectionJob } from '../../../lib/collector/types';
import { parseConfig } from '../../../lib/config/schema';
import { createRuntime } from '../../../lib/runtime';
import { type FakeServer, type RecordedRequest, startFakeServer } from '../../helpers/fake-server';
import { type LocalApi, startLocalApi } from '../../helpers/local-api';
import { silentLogger } from '../../helpers/store';

/**
 * Issue #18: a synchronous trigger on a slow provider answers 202 with the task id at the
 * wait bound while the run goes on (never a 5xx), and a trigger may name the window it
 * collects. Connections come from a connections file read by the runtime, as with npm start.
 */

/** The next query_range waits this long (a slow Prometheus), once. */
let delayMs = 0;
/** Prometheus's HTTP API: one series per query, a point at every step of the asked range. */
function prometheusApi(req: RecordedRequest) {
  if (req.path === '/api/v1/query') {
    return { body: { status: 'success', data: { resultType: 'vector', result: [] } } };
  }
  if (req.path !== '/api/v1/query_range') return { status: 404, body: '404 page not found' };
  const start = Number(req.query.get('start'));
  const end = Number(req.query.get('end'));
  const step = Number.parseFloat(req.query.get('step') ?? ''); // seconds, as a number or a duration ("300s")
  const values: [number, string][] = [];
  for (let t = start; t <= end; t += step) values.push([t, '42.5']);
  const wait = delayMs;
  delayMs = 0;
  return {
    delayMs: wait,
    body: {
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: { instance: 'box-1:9100' }, values }] },
    },
  };
}

let prom: FakeServer;
let api: LocalApi;
let key: string;
let file: string;

beforeAll(async () => {
  prom = await startFakeServer(prometheusApi);
  const dir = mkdtempSync(join(tmpdir(), 'optiinfra-trigger-'));
  file = join(dir, 'connections.yaml');
  writeFileSync(
    file,
    `connections:
  - customer_id: slow
    provider: onprem
    settings: { prometheus: { url: "${prom.url}", step: 5m }, region: dc1, history_days: 1 }
`,
  );
  api = await startLocalApi({ env: { OPTIINFRA_CONNECTIONS_FILE: file, SYNC_TRIGGER_WAIT_SECONDS: '1' } });
  key = await api.key('slow');
});
afterAll(async () => {
  await api?.close();
  await prom?.close();
});

async function waitForEnd(taskId: string) {
  for (let i = 0; i < 100; i++) {
    const s = await api.request('GET', `/api/v1/collect/status/${taskId}`, { key });
    if (!['queued', 'running'].includes(s.body.status)) return s.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${taskId} did not end`);
}

describe('synchronous triggers past the wait bound (SYNC_TRIGGER_WAIT_SECONDS)', () => {
  it('answers 202 with the task id and where to follow it, and the run ends succeeded', async () => {
    delayMs = 3_000;
    const res = await api.request('POST', '/api/v1/collect/trigger', {
      key,
      body: { customer_id: 'slow', provider: 'onprem', data_types: ['performance'], async_mode: false },
    });
    expect(res.status).toBe(202);
    // Answered while Prometheus was still thinking: the run had not ended.
    const during = await api.request('GET', `/api/v1/collect/status/${res.body.task_id}`, { key });
    expect(during.body.status).toBe('running');
    expect(res.body).toMatchObject({ status: 'running', async_mode: false });
    expect(res.body.task_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.tasks[0].status_url).toBe(`/api/v1/collect/status/${res.body.task_id}`);
    const run = await waitForEnd(res.body.task_id);
    expect(run.status).toBe('succeeded');
    expect(run.rows_collected.performance).toBeGreaterThan(0);
  });

  it('the agents trigger routes answer the same way', async () => {
    delayMs = 1_500;
    const res = await api.request('POST', '/api/v2/performance/trigger-collection', {
      key,
      body: { customer_id: 'slow', provider: 'onprem', async_mode: false },
    });
    expect(res.status).toBe(202);
    expect((await waitForEnd(res.body.task_id)).status).toBe('succeeded');
  });

  it('in a Lambda (frozen once it answers) hands the unfinished job to the queue under the same task id', async () => {
    delayMs = 1_500;
    const sent: CollectionJob[] = [];
    const queue: JobQueue = { send: async (jobs) => void sent.push(...jobs) };
    const env = { OPTIINFRA_CONNECTIONS_FILE: file, LOG_LEVEL: 'SILENT' };
    const rt = await createRuntime(parseConfig(env), {
      mode: 'lambda',
      env,
      store: api.runtime.store,
      logger: silentLogger(),
      queue,
    });
    const result = await triggerCollection(
      { customerId: 'slow', providers: ['onprem'], dataTypes: ['performance'], asyncMode: false },
      { ...rt, runDeps: rt.runDeps, waitMs: 300, mode: 'lambda' },
    );
    expect('pending' in result && result.continuedBy).toBe('queue');
    const job = result.jobs[0] as CollectionJob;
    expect(sent.map((j) => j.taskId)).toEqual([job.taskId]);
    expect((await getRun(rt.store, job.taskId))?.status).toBe('queued');
    // The worker picks it up and finishes it.
    await runCollection(sent[0] as CollectionJob, rt.runDeps);
    expect((await getRun(rt.store, job.taskId))?.status).toBe('succeeded');
  });
});

describe('a trigger with an explicit window', () => {
  it('collects exactly [start, end): Prometheus is asked for that range at the step', async () => {
    delayMs = 0;
    prom.requests.length = 0;
    const res = await api.request('POST', '/api/v1/collect/trigger', {
      key,
      body: {
        customer_id: 'slow',
        provider: 'onprem',
        data_types: ['performance'],
        start: '2026-11-01T00:00:00Z',
        end: '2026-11-01T06:00:00Z',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const run = await waitForEnd(res.body.task_id);
    expect(run.status).toBe('succeeded');
    expect(run.window).toEqual({
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-11-01T06:00:00.000Z',
    });
    const ranges = prom.requests.filter((r) => r.path === '/api/v1/query_range');
    expect(ranges.length).toBeGreaterThan(0);
    for (const r of ranges) {
      expect(Number(r.query.get('start'))).toBe(Date.parse('2026-11-01T00:00:00Z') / 1000);
      // [start, end): the last 5-minute instant before 06:00.
      expect(Number(r.query.get('end'))).toBe(Date.parse('2026-11-01T05:55:00Z') / 1000);
    }
    // 72 instants, each stored once, none outside the window.
    const read = await api.request(
      'GET',
      '/api/v2/performance/slow/onprem/metrics?metric=cpu_utilization&start=2026-10-31&end=2026-11-03&step=5m',
      { key },
    );
    const points = (read.body.series as { points: { ts?: string; at?: string }[] }[]).flatMap(
      (x) => x.points,
    );
    expect(points).toHaveLength(72);
    const times = points.map((p) => Date.parse(`${p.ts ?? p.at}`.replace(' ', 'T').replace(/Z?$/, 'Z')));
    expect(Math.min(...times)).toBe(Date.parse('2026-11-01T00:00:00Z'));
    expect(Math.max(...times)).toBe(Date.parse('2026-11-01T05:55:00Z'));
  });

  it.each([
    [{ end: '2026-11-01T06:00:00Z' }, 'body start: is required with end'],
    [{ start: '2099-01-01T00:00:00Z' }, 'body start: must be in the past'],
    [{ start: '2026-11-01T06:00:00Z', end: '2026-11-01T00:00:00Z' }, 'body end: must be after start'],
    [{ start: '2023-01-01', end: '2026-01-01' }, 'body end: must be at most 731 days after start'],
    [{ start: 'yesterday' }, 'body start: must be an ISO 8601 date'],
  ])('refuses %j with a 400 naming the field', async (window, message) => {
    const res = await api.request('POST', '/api/v1/collect/trigger', {
      key,
      body: { customer_id: 'slow', provider: 'onprem', async_mode: false, ...window },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
  });
});

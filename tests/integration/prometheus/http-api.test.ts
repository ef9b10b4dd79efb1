import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { getRun } from '../../../lib/clickhouse/repos/runs';
import { getWatermark } from '../../../lib/clickhouse/repos/watermarks';
import { createWriter } from '../../../lib/clickhouse/writer';
import { type RunDeps, runCollection } from '../../../lib/collector/run';
import type { CollectionJob, Connection } from '../../../lib/collector/types';
import { staticConnections } from '../../../lib/connections/source';
import { createRegistry } from '../../../lib/providers/registry';
import { type FakeServer, type RecordedRequest, startFakeServer } from '../../helpers/fake-server';
import { rows, silentLogger, testStore } from '../../helpers/store';

/**
 * Prometheus collection against a fake Prometheus speaking the documented HTTP API:
 * the requests we send, and what happens to answers, errors and warnings.
 */

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/prometheus/${name}`, import.meta.url), 'utf8')) as unknown;

const WINDOW = { start: new Date('2026-11-26T11:00:00Z'), end: new Date('2026-11-26T11:05:00Z') };
const NOW = new Date('2026-11-26T11:05:30Z');
const START_S = '1795690800';
const END_S = '1795691040';
const TOKEN = 'prom-token-7f3a9c1e5b2d4f60';

const CPU_QUERY =
  '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle",$__selector}[$__rate_interval])))';
const GPU_QUERY = 'DCGM_FI_DEV_GPU_UTIL{$__selector}';
const cpuQuery = { id: 'cpu', metric: 'cpu_utilization', unit: 'percent', query: CPU_QUERY };
const gpuQuery = {
  id: 'gpu',
  metric: 'gpu_utilization',
  unit: 'percent',
  query: GPU_QUERY,
  resource_id: ['{Hostname}'],
  dimension: '{UUID}',
};

let prom: FakeServer;
let store: Store;

beforeAll(async () => {
  prom = await startFakeServer();
  store = await testStore();
});
afterAll(() => prom.close());
beforeEach(() => {
  prom.requests.length = 0;
});

function connection(
  customerId: string,
  prometheus: Record<string, unknown>,
  extra: Partial<Connection> = {},
): Connection {
  return {
    id: 'main',
    customerId,
    provider: 'onprem',
    enabled: true,
    settings: { prometheus: { url: prom.url, query_sets: [], ...prometheus } },
    secrets: { prom_token: TOKEN, prom_password: 'hunter2-but-longer' },
    source: 'config',
    ...extra,
  };
}

function deps(conn: Connection, retry = { maxAttempts: 3, baseMs: 1, capMs: 5 }): RunDeps {
  return {
    store,
    writer: createWriter(store),
    registry: createRegistry(),
    connections: staticConnections([conn]),
    logger: silentLogger(),
    retry,
    maxBackfillMs: 7 * 24 * 3_600_000,
    now: () => NOW,
  };
}

function job(customerId: string, window: { start: Date; end: Date } | null = WINDOW): CollectionJob {
  return {
    taskId: randomUUID(),
    customerId,
    provider: 'onprem',
    dataTypes: ['performance'],
    trigger: 'manual',
    queuedAt: NOW.toISOString(),
    ...(window ? { window: { start: window.start.toISOString(), end: window.end.toISOString() } } : {}),
  };
}

const isRange = (r: RecordedRequest) => r.path === '/api/v1/query_range';
const queryOf = (r: RecordedRequest) =>
  (r.method === 'POST' ? new URLSearchParams(r.body) : r.query).get('query') ?? '';

async function points(customerId: string) {
  return rows<{
    metric: string;
    resource_id: string;
    dimension: string;
    value: number;
    ts: string;
    labels: Record<string, string>;
  }>(
    store,
    `SELECT metric, resource_id, dimension, value, toString(ts) AS ts, labels FROM performance_points FINAL
      WHERE customer_id = {c:String} ORDER BY metric, resource_id, dimension, ts`,
    { c: customerId },
  );
}

describe('Prometheus HTTP API collection', () => {
  it('asks query_range for the step-aligned window with the expanded PromQL and the bearer token, and stores the finite points', async () => {
    prom.handle((r) => (isRange(r) ? { body: fixture('node-cpu-matrix.json') } : { status: 404 }));
    const conn = connection('api-basic', {
      auth: { type: 'bearer', token_secret: 'prom_token' },
      selector: 'job="node",env=~"prod|staging"',
      queries: [cpuQuery],
    });

    const result = await runCollection(job('api-basic'), deps(conn));

    expect(result.status).toBe('succeeded');
    expect(prom.requests).toHaveLength(1);
    const req = prom.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/api/v1/query_range');
    expect(Object.fromEntries(req.query)).toEqual({
      query:
        '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle",job="node",env=~"prod|staging"}[75s])))',
      start: START_S,
      end: END_S,
      step: '1m',
      timeout: '30s',
    });
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const stored = await points('api-basic');
    // 2 series × 5 instants, minus the "NaN" and the "+Inf".
    expect(stored.map((p) => [p.resource_id, p.ts, p.value])).toEqual([
      ['10.0.4.17', '2026-11-26 11:00:00.000', 12.5],
      ['10.0.4.17', '2026-11-26 11:01:00.000', 13.25],
      ['10.0.4.17', '2026-11-26 11:03:00.000', 81.75],
      ['10.0.4.17', '2026-11-26 11:04:00.000', 79.0625],
      ['10.0.4.18', '2026-11-26 11:00:00.000', 3.125],
      ['10.0.4.18', '2026-11-26 11:01:00.000', 2.5],
      ['10.0.4.18', '2026-11-26 11:03:00.000', 4],
      ['10.0.4.18', '2026-11-26 11:04:00.000', 4.5],
    ]);
    expect(stored[0]!.labels).toEqual({ instance: '10.0.4.17:9100' });
    const run = await getRun(store, result.taskId);
    expect(run?.billable_requests).toEqual({ 'prometheus.query_range': 1 });
    expect(run?.rows_collected).toEqual({ performance: 8 });
  });

  it('sends basic auth and tenant headers, and leaves $__selector out cleanly when there is none', async () => {
    prom.handle(() => ({ body: fixture('empty-matrix.json') }));
    const conn = connection('api-auth', {
      auth: { type: 'basic', username: 'optiinfra', password_secret: 'prom_password' },
      headers: { 'X-Scope-OrgID': 'acme-prod' },
      step: '30s',
      scrape_interval: '30s',
      queries: [
        cpuQuery,
        { id: 'load', metric: 'load_average_1m', unit: 'count', query: 'node_load1{$__selector}' },
      ],
    });

    const result = await runCollection(job('api-auth'), deps(conn));

    expect(result.status).toBe('succeeded');
    expect(prom.requests.map(queryOf).sort()).toEqual([
      '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m])))',
      'node_load1',
    ]);
    for (const r of prom.requests) {
      expect(r.headers.authorization).toBe(
        `Basic ${Buffer.from('optiinfra:hunter2-but-longer').toString('base64')}`,
      );
      expect(r.headers['x-scope-orgid']).toBe('acme-prod');
      expect(r.query.get('step')).toBe('30s');
      expect(r.query.get('end')).toBe('1795691070');
    }
  });

  it('retries a 503 (Prometheus not ready) with backoff and then collects', async () => {
    let calls = 0;
    prom.handle(() =>
      ++calls === 1
        ? { status: 503, body: fixture('error-unavailable.json') }
        : { body: fixture('node-cpu-matrix.json') },
    );
    const conn = connection('api-503', { queries: [cpuQuery] });

    const result = await runCollection(job('api-503'), deps(conn));

    expect(result.status).toBe('succeeded');
    expect(calls).toBe(2);
    expect(result.rows).toEqual({ performance: 8 });
    expect((await getRun(store, result.taskId))?.billable_requests).toEqual({ 'prometheus.query_range': 2 });
  });

  it('keeps the other queries when Prometheus rejects one (400 bad_data): the run is partial and names the query', async () => {
    prom.handle((r) =>
      queryOf(r).startsWith('DCGM')
        ? { body: fixture('dcgm-gpu-util-matrix.json') }
        : { status: 400, body: fixture('error-bad-data.json') },
    );
    const conn = connection('api-400', {
      queries: [{ ...cpuQuery, id: 'bad_cpu', query: 'node_cpu_seconds_total{mode="idle",}}' }, gpuQuery],
    });

    const result = await runCollection(job('api-400'), deps(conn));

    expect(result.status).toBe('partial');
    expect(result.errors.performance).toContain(
      'prometheus query bad_cpu failed: 127.0.0.1:' +
        prom.port +
        '/api/v1/query_range: Prometheus bad_data error (HTTP 400): invalid parameter "query": 1:38: parse error',
    );
    // The 400 is not retried: the query is the problem.
    expect(prom.requests.filter((r) => queryOf(r).startsWith('node_cpu'))).toHaveLength(1);
    const stored = await points('api-400');
    expect(stored.filter((p) => p.metric === 'gpu_utilization')).toHaveLength(10);
    expect(
      await getWatermark(store, { customerId: 'api-400', provider: 'onprem', dataType: 'performance' }),
    ).toEqual(WINDOW.end);
  });

  it('records Prometheus warnings (a partial answer from Thanos) and keeps the data: partial', async () => {
    prom.handle(() => ({ body: fixture('dcgm-gpu-util-matrix.json') }));
    const conn = connection('api-warn', { queries: [gpuQuery] });

    const result = await runCollection(job('api-warn'), deps(conn));

    expect(result.status).toBe('partial');
    expect(result.errors).toEqual({
      performance:
        'prometheus query gpu: partial response: store 10.0.9.3:10901 (prometheus-eu-2) did not answer in time: context deadline exceeded',
    });
    const stored = await points('api-warn');
    expect(stored).toHaveLength(10);
    const gpu0 = stored.filter((p) => p.dimension === 'GPU-5a1c7e0e-3f1b-2c47-9d3e-6b8f0a1d2e3f');
    expect(gpu0.map((p) => p.value)).toEqual([97, 98, 96, 99, 97]);
    expect(gpu0[0]!.resource_id).toBe('gpu-node-1');
    expect(gpu0[0]!.labels).toMatchObject({
      gpu: '0',
      modelName: 'NVIDIA H100 80GB HBM3',
      pod: 'llama-finetune-7d9f8b6c4-x2kqp',
      namespace: 'ml-training',
    });
    expect(gpu0[0]!.labels).not.toHaveProperty('__name__');
  });

  it('fails the data type, and holds the watermark, when every query is rejected (422 execution)', async () => {
    prom.handle(() => ({ status: 422, body: fixture('error-execution.json') }));
    const conn = connection('api-422', { queries: [cpuQuery, gpuQuery] });

    const result = await runCollection(job('api-422'), deps(conn));

    expect(result.status).toBe('failed');
    expect(result.errors.performance).toMatch(
      /^prometheus: all 2 queries failed; first, (cpu|gpu): .*Prometheus execution error \(HTTP 422\): found duplicate series for the match group/,
    );
    expect(
      await getWatermark(store, { customerId: 'api-422', provider: 'onprem', dataType: 'performance' }),
    ).toBeNull();
  });

  it('treats a 200 whose body says status "error" as the error it is', async () => {
    prom.handle(() => ({ status: 200, body: fixture('error-bad-data.json') }));
    const conn = connection('api-200-error', { queries: [cpuQuery] });

    const result = await runCollection(job('api-200-error'), deps(conn));

    expect(result.status).toBe('failed');
    expect(result.errors.performance).toContain(
      'Prometheus bad_data error (HTTP 200): invalid parameter "query"',
    );
  });

  it('gives up on a query that keeps timing out (503 timeout) after the retry budget', async () => {
    prom.handle(() => ({ status: 503, body: fixture('error-timeout.json') }));
    const conn = connection('api-timeout', { queries: [cpuQuery] });

    const result = await runCollection(job('api-timeout'), deps(conn));

    expect(result.status).toBe('failed');
    expect(prom.requests).toHaveLength(3);
    expect(result.errors.performance).toContain(
      'Prometheus timeout error (HTTP 503): query timed out in expression evaluation',
    );
  });

  it('reports a rejected token without retrying and without echoing it', async () => {
    prom.handle(() => ({ status: 401, body: 'Unauthorized\n' }));
    const conn = connection('api-401', {
      auth: { type: 'bearer', token_secret: 'prom_token' },
      queries: [cpuQuery],
    });

    const result = await runCollection(job('api-401'), deps(conn));

    expect(result.status).toBe('failed');
    expect(prom.requests).toHaveLength(1);
    expect(result.errors.performance).toBe(
      `127.0.0.1:${prom.port}/api/v1/query_range: HTTP 401 Unauthorized`,
    );
    expect(JSON.stringify(await getRun(store, result.taskId))).not.toContain(TOKEN);
  });

  it('fails clearly when the auth block names a secret the connection lacks', async () => {
    const conn = connection('api-nosecret', {
      auth: { type: 'bearer', token_secret: 'grafana_token' },
      queries: [cpuQuery],
    });

    const result = await runCollection(job('api-nosecret'), deps(conn));

    expect(result.status).toBe('failed');
    expect(result.errors.performance).toBe(
      'prometheus.auth.token_secret names secret "grafana_token", which the connection does not have (list it under secrets, as env:VARIABLE)',
    );
    expect(prom.requests).toHaveLength(0);
  });

  it('fails with the network error when Prometheus is unreachable', async () => {
    const closed = await closedPort();
    const conn = connection('api-down', { url: `http://127.0.0.1:${closed}`, queries: [cpuQuery] });

    const result = await runCollection(job('api-down'), deps(conn, { maxAttempts: 2, baseMs: 1, capMs: 2 }));

    expect(result.status).toBe('failed');
    expect(result.errors.performance).toBe(`127.0.0.1:${closed}/api/v1/query_range: ECONNREFUSED`);
  });

  it('does not mistake an HTML page (a login proxy) for an answer', async () => {
    prom.handle(() => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html><body>Sign in</body></html>',
    }));
    const conn = connection('api-html', { queries: [cpuQuery] });

    const result = await runCollection(job('api-html'), deps(conn));

    expect(result.status).toBe('failed');
    expect(result.errors.performance).toContain('not a Prometheus API answer');
  });

  it('gives up on a Prometheus that does not answer within the timeout', async () => {
    prom.handle(() => ({ delayMs: 5_000, body: fixture('empty-matrix.json') }));
    const conn = connection('api-slow', { timeout: '1s', queries: [cpuQuery] });

    const result = await runCollection(job('api-slow'), deps(conn, { maxAttempts: 1, baseMs: 1, capMs: 1 }));

    expect(result.status).toBe('failed');
    expect(result.errors.performance).toBe(`127.0.0.1:${prom.port}/api/v1/query_range: request timed out`);
  });

  it('splits a long window into requests of at most max_points_per_query steps, back to back', async () => {
    prom.handle(() => ({ body: fixture('empty-matrix.json') }));
    const conn = connection('api-chunks', { max_points_per_query: 60, queries: [cpuQuery] });
    const window = { start: new Date('2026-11-26T08:00:00Z'), end: new Date('2026-11-26T11:00:00Z') };

    const result = await runCollection(job('api-chunks', window), deps(conn));

    expect(result.status).toBe('succeeded');
    const ranges = prom.requests.map((r) => [Number(r.query.get('start')), Number(r.query.get('end'))]);
    const t0 = window.start.getTime() / 1000;
    expect(ranges).toEqual([
      [t0, t0 + 59 * 60],
      [t0 + 60 * 60, t0 + 119 * 60],
      [t0 + 120 * 60, t0 + 179 * 60],
    ]);
  });

  it('POSTs a query too long for a URL as a form', async () => {
    prom.handle(() => ({ body: fixture('empty-matrix.json') }));
    const long = `sum by (instance) (${Array.from({ length: 120 }, (_, i) => `node_network_receive_bytes_total{device="veth${i}aaaaaaaaaa"}`).join(' + ')})`;
    const conn = connection('api-post', {
      queries: [{ id: 'long', metric: 'network_in', unit: 'bytes_per_second', query: long }],
    });

    const result = await runCollection(job('api-post'), deps(conn));

    expect(result.status).toBe('succeeded');
    const req = prom.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(req.body).get('query')).toBe(long);
    expect(new URLSearchParams(req.body).get('start')).toBe(START_S);
  });

  it('reports series that would overwrite each other (same resource, no dimension)', async () => {
    prom.handle(() => ({
      body: {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            { metric: { instance: '10.0.4.17:9100', job: 'node' }, values: [[1795690800, '1']] },
            { metric: { instance: '10.0.4.17:9256', job: 'process' }, values: [[1795690800, '2']] },
          ],
        },
      },
    }));
    const conn = connection('api-collide', {
      queries: [{ id: 'up', metric: 'target_up', unit: 'count', query: 'up' }],
    });

    const result = await runCollection(job('api-collide'), deps(conn));

    expect(result.status).toBe('partial');
    expect(result.errors.performance).toContain(
      'prometheus query up: several series map to the same resource and dimension',
    );
  });

  it('queries nothing for a window that holds no step-aligned instant', async () => {
    prom.handle(() => ({ body: fixture('empty-matrix.json') }));
    const conn = connection('api-short', { queries: [cpuQuery] });
    const window = { start: new Date('2026-11-26T11:00:10Z'), end: new Date('2026-11-26T11:00:50Z') };

    const result = await runCollection(job('api-short', window), deps(conn));

    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ performance: 0 });
    expect(prom.requests).toHaveLength(0);
  });
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

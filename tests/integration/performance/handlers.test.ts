import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PERFORMANCE_HANDLERS } from '../../../lib/api/handlers/performance';
import { PERFORMANCE_ROUTES } from '../../../lib/api/routes/performance';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter } from '../../../lib/clickhouse/writer';
import type { JobQueue } from '../../../lib/collector/queue';
import type { CollectionJob, Connection, ProviderDefinition } from '../../../lib/collector/types';
import { parseConfig } from '../../../lib/config/schema';
import { createRegistry, PROVIDERS } from '../../../lib/providers/registry';
import { createRuntime, type Runtime } from '../../../lib/runtime';
import type { PerformancePointInput } from '../../../lib/schemas/rows';
import { routeCaller } from '../../helpers/route-call';
import { silentLogger, testStore } from '../../helpers/store';

/** A JSON object from a response body. */
type Row = Record<string, unknown>;

const C = 'perf-api-c';
const OTHER = 'perf-api-other';
const START = '2026-03-01T00:00:00Z';
const END = '2026-03-02T00:00:00Z';

/** A provider whose performance collector reports two fixed points (and no other data type). */
const fakeMetrics: ProviderDefinition<unknown> = {
  id: 'fakemetrics',
  displayName: 'Fake metrics',
  category: 'general_compute',
  settingsSchema: z.object({}),
  collectors: {
    async *performance(ctx) {
      yield [10, 30].map((value, i) => ({
        customer_id: ctx.customerId,
        provider: 'fakemetrics',
        resource_id: 'node-1',
        metric: 'cpu_utilization',
        unit: 'percent',
        value,
        ts: new Date(Date.parse('2026-04-01T00:00:00Z') + i * 300_000),
        collected_at: ctx.now(),
        task_id: ctx.taskId,
      }));
    },
  },
  async testConnection() {},
};

/** A provider that only takes inventory: asking it for performance data is a 400. */
const fakeInventory: ProviderDefinition<unknown> = {
  id: 'fakeinventory',
  displayName: 'Fake inventory',
  category: 'general_compute',
  settingsSchema: z.object({}),
  collectors: {
    async *resource() {},
  },
  async testConnection() {},
};

const connection = (provider: string): Connection => ({
  id: 'main',
  customerId: C,
  provider,
  enabled: true,
  settings: {},
  secrets: {},
  source: 'config',
});

const queued: CollectionJob[] = [];
const queue: JobQueue = {
  async send(jobs) {
    queued.push(...jobs);
  },
};

let store: Store;
let runtime: Runtime;
beforeAll(async () => {
  store = await testStore();
  runtime = await createRuntime(parseConfig({}), {
    mode: 'lambda',
    env: {},
    store,
    logger: silentLogger(),
    registry: createRegistry([...PROVIDERS, fakeMetrics, fakeInventory]),
    queue,
    connections: [connection('fakemetrics'), connection('fakeinventory')],
  });
  const point = (provider: string, id: string, ts: string, value: number): PerformancePointInput => ({
    customer_id: C,
    provider,
    resource_id: id,
    resource_name: id.toUpperCase(),
    resource_type: 'instance',
    region: 'us-east-1',
    metric: 'cpu_utilization',
    unit: 'percent',
    value,
    ts,
    collected_at: END,
  });
  await createWriter(store).write('performance_points', [
    point('aws', 'i-1', '2026-03-01T00:00:00Z', 20),
    point('aws', 'i-1', '2026-03-01T01:00:00Z', 40),
    point('aws', 'i-2', '2026-03-01T00:00:00Z', 90),
    point('gcp', 'vm/a b', '2026-03-01T00:00:00Z', 50),
    { ...point('aws', 'i-1', '2026-03-01T00:00:00Z', 1), customer_id: OTHER },
  ]);
});

const BASE = '/api/v2/performance/{customer_id}/{provider}';

const call = routeCaller(PERFORMANCE_ROUTES, PERFORMANCE_HANDLERS, () => runtime, C);

const period = { start: START, end: END };

describe('performance routes', () => {
  it('serves every route of the table with a handler and a functions/api file', async () => {
    expect(PERFORMANCE_ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${BASE}/metrics`,
      `GET ${BASE}/latest`,
      `GET ${BASE}/trends`,
      `GET ${BASE}/by-resource`,
      `GET ${BASE}/average`,
      `GET ${BASE}/resource/{resource_id}`,
      `GET ${BASE}/summary`,
      'POST /api/v2/performance/trigger-collection',
    ]);
    for (const r of PERFORMANCE_ROUTES) {
      expect(PERFORMANCE_HANDLERS[r.name], r.name).toBeTypeOf('function');
      const mod = (await import(`../../../functions/api/${r.name}.ts`)) as { handler: unknown };
      expect(mod.handler, r.name).toBeTypeOf('function');
    }
  });
});

describe('GET .../summary', () => {
  it('answers with per-metric avg, p95, max and the busiest and idlest resources', async () => {
    const res = await call('performance-summary', { query: { ...period, top: '1' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      customer_id: C,
      provider: 'aws',
      period: { start: '2026-03-01T00:00:00.000Z', end: '2026-03-02T00:00:00.000Z' },
      totals: { metrics: 1, resources: 2, points: 3 },
    });
    // 20, 40, 90: p95 = 40 + (0.95·2 + 1 − 2)·50
    expect(res.body.metrics).toEqual([
      {
        metric: 'cpu_utilization',
        unit: 'percent',
        avg: 50,
        p95: expect.any(Number),
        max: 90,
        min: 20,
        points: 3,
        resources: 2,
        busiest: [
          {
            provider: 'aws',
            resource_id: 'i-2',
            resource_name: 'I-2',
            resource_type: 'instance',
            region: 'us-east-1',
            avg: 90,
            max: 90,
            points: 1,
          },
        ],
        idlest: [
          {
            provider: 'aws',
            resource_id: 'i-1',
            resource_name: 'I-1',
            resource_type: 'instance',
            region: 'us-east-1',
            avg: 30,
            max: 40,
            points: 2,
          },
        ],
      },
    ]);
    // Served from the hourly aggregates: p95 is the DDSketch estimate, within 1 % of a value
    // between the two closest-ranked points (exact: 40 + (0.95·2 + 1 − 2)·50, between 40 and 90).
    expect(res.body.source).toBe('hourly_aggregates');
    expect(res.body.p95_method).toMatch(/DDSketch/);
    expect(res.body.metrics[0].p95).toBeGreaterThanOrEqual(40 * 0.99);
    expect(res.body.metrics[0].p95).toBeLessThanOrEqual(90 * 1.01);
  });

  it('reads every provider with "all"; an admin key reads any customer', async () => {
    const res = await call('performance-summary', {
      provider: 'all',
      query: period,
      auth: { is_admin: true },
    });
    expect(res.status).toBe(200);
    expect(res.body.metrics[0]).toMatchObject({ avg: 50, points: 4, resources: 3 });
  });

  it("is 403 for another customer's key and 401 without a key", async () => {
    const forbidden = await call('performance-summary', { query: period, auth: { customer_id: OTHER } });
    expect(forbidden).toEqual({
      status: 403,
      body: { error: { code: 'forbidden', message: 'This API key may not access that customer.' } },
    });
    const anonymous = await call('performance-summary', { query: period, auth: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthorized');
  });

  it('is 404 for an unknown provider (a known one this build lacks: tests/unit/trigger.test.ts)', async () => {
    const unknown = await call('performance-summary', { provider: 'nope', query: period });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual({
      code: 'not_found',
      message: expect.stringMatching(
        /^Unknown provider "nope"\. Known providers: local, aws, gcp, azure, vultr/,
      ),
    });
    const shipped = await call('performance-summary', { provider: 'runpod', query: period });
    expect(shipped.status).toBe(200);
  });

  it.each([
    ['days out of range', { days: '0' }, 'query parameter days: must be a whole number from 1 to 731'],
    [
      'days and start together',
      { days: '7', start: START },
      'query parameter days: give either days or start (with an optional end), not both',
    ],
    [
      'a start after the end',
      { start: END, end: START },
      'query parameter end: must be after start (2026-03-02T00:00:00.000Z)',
    ],
    ['a time without zone', { start: '2026-03-01T10:00' }, 'query parameter start: must be an ISO 8601 date'],
    [
      'a period over 731 days',
      { start: '2024-01-01', end: '2026-01-03' },
      'query parameter start: the period may cover at most 731 days',
    ],
    ['a bad metric name', { metric: 'cpu,CPU!' }, 'query parameter metric: "CPU!" is not a metric name'],
    ['top out of range', { top: '51' }, 'query parameter top: must be a whole number from 1 to 50'],
    ['an unknown parameter', { color: 'red' }, 'query parameter: Unrecognized key: "color"'],
  ])('is 400 naming the parameter for %s', async (_case, query, message) => {
    const res = await call('performance-summary', { query });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
    expect(res.body.error.message).toContain(message);
  });

  it('is 400 for a malformed customer id in the path', async () => {
    const res = await call('performance-summary', { customer: 'bad id!', query: period });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^path parameter customer_id: must match/);
  });
});

describe('GET .../trends', () => {
  it('buckets per step', async () => {
    const res = await call('performance-trends', { query: { ...period, step: 'hour' } });
    expect(res.status).toBe(200);
    expect(res.body.step).toBe('hour');
    expect(res.body.trends[0].buckets).toEqual([
      { ts: '2026-03-01T00:00:00.000Z', avg: 55, min: 20, max: 90, points: 2 },
      { ts: '2026-03-01T01:00:00.000Z', avg: 40, min: 40, max: 40, points: 1 },
    ]);
    expect(res.body.trends[0].direction).toBe('falling');
  });

  it('rejects a step outside hour|day, and too many buckets', async () => {
    const bad = await call('performance-trends', { query: { ...period, step: 'week' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^query parameter step: /);
    const many = await call('performance-trends', { query: { days: '400', step: 'hour' } });
    expect(many.status).toBe(400);
    expect(many.body.error.message).toMatch(
      /^query parameter granularity: hour buckets over this period would be 960\d per metric \(at most 5000\)/,
    );
  });
});

describe('GET .../metrics, latest, by-resource, average', () => {
  it('returns series, raw or per step, with bounded limits', async () => {
    const raw = await call('performance-metrics', { query: { ...period, resource_id: 'i-1' } });
    expect(raw.status).toBe(200);
    expect(raw.body).toMatchObject({ step: 'raw', points: 2, truncated: false });
    expect(raw.body.series[0].points).toEqual([
      { ts: '2026-03-01T00:00:00.000Z', value: 20 },
      { ts: '2026-03-01T01:00:00.000Z', value: 40 },
    ]);
    const daily = await call('performance-metrics', {
      query: { ...period, step: 'day', metric: 'cpu_utilization' },
    });
    expect(daily.body.series.map((s: Row) => [s.resource_id, (s.points as Row[])[0]?.value])).toEqual([
      ['i-1', 30],
      ['i-2', 90],
    ]);
    const limited = await call('performance-metrics', { query: { ...period, limit: '1' } });
    expect(limited.body).toMatchObject({ points: 1, truncated: true });
    expect((await call('performance-metrics', { query: { limit: '50001' } })).status).toBe(400);
    expect((await call('performance-metrics', { query: { step: 'fortnight' } })).status).toBe(400);
  });

  it('returns the latest value per series', async () => {
    const res = await call('performance-latest', { query: period });
    expect(res.status).toBe(200);
    expect(res.body.values.map((v: Row) => [v.resource_id, v.value, v.ts])).toEqual([
      ['i-1', 40, '2026-03-01T01:00:00.000Z'],
      ['i-2', 90, '2026-03-01T00:00:00.000Z'],
    ]);
    expect(res.body.count).toBe(2);
  });

  it('returns statistics per resource', async () => {
    const res = await call('performance-by-resource', { query: { ...period, limit: '1' } });
    expect(res.status).toBe(200);
    expect(res.body.truncated).toBe(true);
    expect(res.body.resources).toEqual([
      {
        provider: 'aws',
        resource_id: 'i-1',
        resource_name: 'I-1',
        resource_type: 'instance',
        region: 'us-east-1',
        metrics: [
          {
            metric: 'cpu_utilization',
            unit: 'percent',
            avg: 30,
            min: 20,
            max: 40,
            p95: expect.any(Number),
            points: 2,
          },
        ],
      },
    ]);
    // DDSketch p95 of 20, 40 (exact 39): within 1 % of a value between 20 and 40.
    const p95 = res.body.resources[0].metrics[0].p95;
    expect(p95).toBeGreaterThanOrEqual(20 * 0.99);
    expect(p95).toBeLessThanOrEqual(40 * 1.01);
    expect(res.body.p95_method).toMatch(/DDSketch/);
  });

  it('returns averages, grouped from a whitelist', async () => {
    const res = await call('performance-average', {
      provider: 'all',
      query: { ...period, group_by: 'provider' },
    });
    expect(res.status).toBe(200);
    expect(res.body.averages.map((a: Row) => [(a.group as Row).provider, a.avg, a.points])).toEqual([
      ['aws', 50, 3],
      ['gcp', 50, 1],
    ]);
    const bad = await call('performance-average', { query: { group_by: 'resource_id; DROP TABLE x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^query parameter group_by: /);
  });
});

describe('GET .../resource/{resource_id}', () => {
  it('returns one resource, ids with slashes and spaces included', async () => {
    const res = await call('performance-resource', {
      provider: 'gcp',
      extraPath: { resource_id: 'vm/a b' },
      query: period,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'gcp', resource_id: 'vm/a b', resource_name: 'VM/A B' });
    expect(res.body.metrics).toEqual([
      {
        provider: 'gcp',
        metric: 'cpu_utilization',
        dimension: '',
        unit: 'percent',
        avg: 50,
        min: 50,
        max: 50,
        p95: 50,
        points: 1,
        latest: { value: 50, ts: '2026-03-01T00:00:00.000Z' },
      },
    ]);
  });

  it('is 404 when the resource has no data in the period, 400 when the id is also in the query', async () => {
    const missing = await call('performance-resource', {
      extraPath: { resource_id: 'i-404' },
      query: period,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe(
      'No performance data for resource "i-404" of customer "perf-api-c" (provider aws) between 2026-03-01T00:00:00.000Z and 2026-03-02T00:00:00.000Z.',
    );
    const twice = await call('performance-resource', {
      extraPath: { resource_id: 'i-1' },
      query: { resource_id: 'i-2' },
    });
    expect(twice.status).toBe(400);
  });
});

describe('POST /api/v2/performance/trigger-collection', () => {
  it('queues a performance-only job (202)', async () => {
    queued.length = 0;
    const res = await call('performance-trigger', { body: { customer_id: C, provider: 'fakemetrics' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'queued',
      async_mode: true,
      tasks: [{ provider: 'fakemetrics', data_types: ['performance'] }],
    });
    expect(queued.map((j) => [j.customerId, j.provider, j.dataTypes, j.trigger])).toEqual([
      [C, 'fakemetrics', ['performance'], 'manual'],
    ]);
    expect(res.body.task_id).toBe(queued[0]!.taskId);
  });

  it('with "all" (the default) picks only the connections that collect performance data', async () => {
    queued.length = 0;
    const res = await call('performance-trigger', { body: { customer_id: C } });
    expect(res.status).toBe(202);
    expect(queued.map((j) => j.provider)).toEqual(['fakemetrics']);
  });

  it('runs the collection in the request when async_mode is false, and its points are readable', async () => {
    const res = await call('performance-trigger', {
      body: { customer_id: C, provider: 'fakemetrics', async_mode: false },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'succeeded',
      provider: 'fakemetrics',
      rows_collected: { performance: 2 },
      async_mode: false,
    });
    const summary = await call('performance-summary', {
      provider: 'fakemetrics',
      query: { start: '2026-04-01T00:00:00Z', end: '2026-04-02T00:00:00Z' },
    });
    expect(summary.body.metrics[0]).toMatchObject({ avg: 20, points: 2, max: 30 });
  });

  it('is 400 for a provider that collects no performance data, a bad body or an unknown key', async () => {
    const inventoryOnly = await call('performance-trigger', {
      body: { customer_id: C, provider: 'fakeinventory' },
    });
    expect(inventoryOnly.status).toBe(400);
    expect(inventoryOnly.body.error.message).toBe(
      'Provider "fakeinventory" does not collect performance data (it collects: resource).',
    );
    const noCustomer = await call('performance-trigger', { body: { provider: 'aws' } });
    expect(noCustomer.status).toBe(400);
    expect(noCustomer.body.error.message).toMatch(/^body customer_id: /);
    const extra = await call('performance-trigger', { body: { customer_id: C, data_types: ['cost'] } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/^body data_types: this route collects only "performance"/);
  });

  it('is 403 for another customer and 404 for an unknown provider', async () => {
    const forbidden = await call('performance-trigger', {
      body: { customer_id: C, provider: 'fakemetrics' },
      auth: { customer_id: OTHER },
    });
    expect(forbidden.status).toBe(403);
    const unknown = await call('performance-trigger', { body: { customer_id: C, provider: 'nope' } });
    expect(unknown.status).toBe(404);
  });
});

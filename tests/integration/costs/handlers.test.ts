import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { COSTS_HANDLERS } from '../../../lib/api/handlers/costs';
import { COSTS_ROUTES } from '../../../lib/api/routes/costs';
import { createWriter } from '../../../lib/clickhouse/writer';
import type { CollectionJob } from '../../../lib/collector/types';
import { parseConfig } from '../../../lib/config/schema';
import { createHttpHandler } from '../../../lib/http/handler';
import { createRuntime, type Runtime } from '../../../lib/runtime';
import type { CollectionRunInput } from '../../../lib/schemas/rows';
import { DAY_MS } from '../../../lib/time';
import { silentLogger, testStore } from '../../helpers/store';
import { type CallInit, callRoute } from './call';
import { costRow, writeKnownCosts } from './known-costs';

const CUSTOMER = 'h-acme';
const OTHER = 'h-other';
const sent: CollectionJob[] = [];
let runtime: Runtime;

const handlers = Object.fromEntries(
  Object.entries(COSTS_HANDLERS).map(([name, route]) => [
    name,
    createHttpHandler(route, async () => runtime),
  ]),
);

/** Calls the named route with a concrete path (and the caller's key, `h-acme` unless told). */
function call(name: string, path: string, init: Partial<Omit<CallInit, 'route' | 'path'>> = {}) {
  const spec = COSTS_ROUTES.find((r) => r.name === name);
  const handler = handlers[name];
  if (!spec || !handler) throw new Error(`no route ${name}`);
  return callRoute(handler, {
    route: `${spec.method} ${spec.path}`,
    path,
    auth: { customer_id: CUSTOMER },
    ...init,
  });
}

const JANUARY = { start: '2026-01-01', end: '2026-02-01' };

beforeAll(async () => {
  const store = await testStore();
  runtime = await createRuntime(parseConfig({}), {
    mode: 'lambda',
    env: {},
    store,
    logger: silentLogger(),
    queue: { send: async (jobs) => void sent.push(...jobs) },
    connections: [
      {
        id: 'this-box',
        customerId: CUSTOMER,
        provider: 'local',
        enabled: true,
        settings: { hourly_rate: '0.36', currency: 'USD' },
        secrets: {},
        source: 'config',
      },
    ],
  });
  await writeKnownCosts(createWriter(store), CUSTOMER, OTHER);
});

describe('route table', () => {
  it('maps every cost route to a handler and a functions/api/<name>.ts entry point', async () => {
    expect(COSTS_ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v2/costs/{customer_id}/{provider}/metrics',
      'GET /api/v2/costs/{customer_id}/{provider}/latest',
      'GET /api/v2/costs/{customer_id}/{provider}/trends',
      'GET /api/v2/costs/{customer_id}/{provider}/by-resource',
      'GET /api/v2/costs/{customer_id}/{provider}/by-type',
      'GET /api/v2/costs/{customer_id}/{provider}/total',
      'GET /api/v2/costs/{customer_id}/{provider}/export',
      'POST /api/v2/costs/trigger-collection',
      'GET /api/v2/costs/collection-status/{task_id}',
      'GET /api/v2/costs/{customer_id}/collection-history',
      'GET /api/v2/costs/{customer_id}/collection-spend',
    ]);
    for (const route of COSTS_ROUTES) {
      expect(COSTS_HANDLERS[route.name], route.name).toBeTypeOf('function');
      const file = new URL(`../../../functions/api/${route.name}.ts`, import.meta.url);
      expect(existsSync(file), file.pathname).toBe(true);
      const mod = (await import(file.href)) as { handler?: unknown };
      expect(mod.handler, route.name).toBeTypeOf('function');
    }
  });
});

describe('GET /api/v2/costs/{customer_id}/{provider}/total', () => {
  it('answers with the period, the currencies and exact per-currency totals for all providers', async () => {
    const res = await call('costs-total', `/api/v2/costs/${CUSTOMER}/all/total`, { query: JANUARY });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      customer_id: CUSTOMER,
      provider: 'all',
      period: { start: '2026-01-01T00:00:00.000Z', end: '2026-02-01T00:00:00.000Z' },
      filters: {},
      currencies: ['EUR', 'USD'],
      totals: [
        { currency: 'EUR', billed_cost: '10.583', effective_cost: '10.333', line_items: 2 },
        { currency: 'USD', billed_cost: '23.7200000001', effective_cost: '21.5000000001', line_items: 6 },
      ],
      by_provider: [
        {
          provider: 'aws',
          currency: 'USD',
          billed_cost: '22.7200000001',
          effective_cost: '20.5000000001',
          line_items: 5,
        },
        { provider: 'azure', currency: 'USD', billed_cost: '1', effective_cost: '1', line_items: 1 },
        { provider: 'gcp', currency: 'EUR', billed_cost: '10.583', effective_cost: '10.333', line_items: 2 },
      ],
    });
  });

  it('takes date-times with zones and the filters, and echoes both', async () => {
    const res = await call('costs-total', `/api/v2/costs/${CUSTOMER}/aws/total`, {
      query: {
        start: '2026-01-05T01:00:00+01:00',
        end: '2026-01-07T00:00:00Z',
        service: 'Amazon EC2',
        account: '111',
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.period).toEqual({ start: '2026-01-05T00:00:00.000Z', end: '2026-01-07T00:00:00.000Z' });
    expect(res.body.filters).toEqual({ service: 'Amazon EC2', account: '111' });
    expect(res.body.totals).toEqual([
      { currency: 'USD', billed_cost: '22.22', effective_cost: '20', line_items: 2 },
    ]);
  });

  it('defaults to the last 30 UTC days, today included, and counts `days` back from tomorrow midnight', async () => {
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const writer = createWriter(runtime.store);
    const fact = {
      provider: 'aws',
      service: 'Amazon EC2',
      resource: 'i-9',
      billed: '4.2',
      effective: '4.2',
      currency: 'USD',
    };
    await writer.write('costs', [
      costRow('h-days', { ...fact, day: new Date(today).toISOString().slice(0, 10) }),
      costRow('h-days', {
        ...fact,
        day: new Date(today - 40 * DAY_MS).toISOString().slice(0, 10),
        billed: '1',
        effective: '1',
      }),
    ]);
    const admin = { customer_id: '', is_admin: true };
    const def = await call('costs-total', '/api/v2/costs/h-days/aws/total', { auth: admin });
    expect(def.body.period).toEqual({
      start: new Date(today - 29 * DAY_MS).toISOString(),
      end: new Date(today + DAY_MS).toISOString(),
    });
    expect(def.body.totals).toEqual([
      { currency: 'USD', billed_cost: '4.2', effective_cost: '4.2', line_items: 1 },
    ]);
    const wide = await call('costs-total', '/api/v2/costs/h-days/aws/total', {
      auth: admin,
      query: { days: '41' },
    });
    expect(wide.body.period.start).toBe(new Date(today - 40 * DAY_MS).toISOString());
    expect(wide.body.totals).toEqual([
      { currency: 'USD', billed_cost: '5.2', effective_cost: '5.2', line_items: 2 },
    ]);
    const one = await call('costs-total', '/api/v2/costs/h-days/aws/total', {
      auth: admin,
      query: { days: '1' },
    });
    expect(one.body.period).toEqual({
      start: new Date(today).toISOString(),
      end: new Date(today + DAY_MS).toISOString(),
    });
  });

  it('answers a known provider without data with empty totals, not an error', async () => {
    const res = await call('costs-total', `/api/v2/costs/${CUSTOMER}/vultr/total`, { query: JANUARY });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'vultr', currencies: [], totals: [], by_provider: [] });
  });

  it('is a 404 naming the problem for an unknown provider', async () => {
    const unknown = await call('costs-total', `/api/v2/costs/${CUSTOMER}/nosuch/total`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({
      error: {
        code: 'not_found',
        message: expect.stringMatching(
          /^Unknown provider "nosuch"\. Known providers: .*aws.*\(or "all"\)\.$/,
        ),
      },
    });
    const trends = await call('costs-trends', `/api/v2/costs/${CUSTOMER}/nosuch/trends`);
    expect(trends.status).toBe(404);
  });

  it("is a 403 for another customer's key, a 401 without a key, and open to an admin key", async () => {
    const forbidden = await call('costs-total', `/api/v2/costs/${CUSTOMER}/all/total`, {
      auth: { customer_id: OTHER },
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual({
      error: { code: 'forbidden', message: 'This API key may not access that customer.' },
    });
    const anonymous = await call('costs-total', `/api/v2/costs/${CUSTOMER}/all/total`, { auth: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthorized');
    const admin = await call('costs-total', `/api/v2/costs/${CUSTOMER}/all/total`, {
      auth: { customer_id: '', is_admin: true },
      query: JANUARY,
    });
    expect(admin.status).toBe(200);
    expect(admin.body.totals).toHaveLength(2);
  });
});

describe('request validation', () => {
  const base = `/api/v2/costs/${CUSTOMER}/all`;
  it.each([
    [
      'costs-total',
      `${base}/total`,
      { days: '0' },
      'query parameter days: must be a whole number from 1 to 731',
    ],
    [
      'costs-total',
      `${base}/total`,
      { days: '732' },
      'query parameter days: must be a whole number from 1 to 731',
    ],
    [
      'costs-total',
      `${base}/total`,
      { days: '1.5' },
      'query parameter days: must be a whole number from 1 to 731',
    ],
    [
      'costs-total',
      `${base}/total`,
      { days: '7', start: '2026-01-01', end: '2026-01-02' },
      'query parameter days: give either days or start (with an optional end), not both',
    ],
    [
      'costs-total',
      `${base}/total`,
      { start: '2026-02-01', end: '2026-01-01' },
      'query parameter end: must be after start',
    ],
    [
      'costs-total',
      `${base}/total`,
      { start: '2026-01-01', end: '2026-01-01' },
      'query parameter end: must be after start',
    ],
    [
      'costs-total',
      `${base}/total`,
      { start: '2024-01-01', end: '2026-01-03' },
      'query parameter start: the period may cover at most 731 days',
    ],
    [
      'costs-total',
      `${base}/total`,
      { start: '2026-02-30', end: '2026-03-02' },
      'query parameter start: must be an ISO 8601 date',
    ],
    [
      'costs-total',
      `${base}/total`,
      { start: '2026-01-01T10:00:00', end: '2026-01-02' },
      'query parameter start: must be an ISO 8601 date',
    ],
    [
      'costs-total',
      `${base}/total`,
      { start: 'yesterday', end: '2026-01-02' },
      'query parameter start: must be an ISO 8601 date',
    ],
    [
      'costs-total',
      `${base}/total`,
      { start: '1999-12-31', end: '2000-01-02' },
      'query parameter start: must be between 2000-01-01 and 2100-01-01',
    ],
    ['costs-total', `${base}/total`, { foo: 'bar' }, 'Unrecognized key: "foo"'],
    ['costs-total', `${base}/total`, { limit: '5' }, 'Unrecognized key: "limit"'],
    ['costs-total', `${base}/total`, { service: '' }, 'query parameter service: must not be empty'],
    [
      'costs-total',
      `${base}/total`,
      { account: 'a\u0007b' },
      'query parameter account: must not contain control characters',
    ],
    [
      'costs-total',
      `${base}/total`,
      { resource: 'r'.repeat(257) },
      'query parameter resource: must be at most 256 characters',
    ],
    ['costs-trends', `${base}/trends`, { group_by: 'year' }, 'query parameter group_by'],
    [
      'costs-by-resource',
      `${base}/by-resource`,
      { limit: '0' },
      'query parameter limit: must be a whole number from 1 to 1000',
    ],
    [
      'costs-by-resource',
      `${base}/by-resource`,
      { limit: '1001' },
      'query parameter limit: must be a whole number from 1 to 1000',
    ],
    [
      'costs-metrics',
      `${base}/metrics`,
      { limit: '5001' },
      'query parameter limit: must be a whole number from 1 to 5000',
    ],
    ['costs-by-type', `${base}/by-type`, { type: 'region' }, 'query parameter type'],
    [
      'costs-latest',
      `/api/v2/costs/${CUSTOMER}/AWS/latest`,
      {},
      'path parameter provider: must be a provider id such as aws, or all',
    ],
    [
      'costs-collection-spend',
      `/api/v2/costs/${CUSTOMER}/collection-spend`,
      { days: '800' },
      'query parameter days',
    ],
  ] as const)('%s %s %o is a 400 naming the parameter', async (name, path, query, message) => {
    const res = await call(name, path, { query: { ...query } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'bad_request', message: expect.stringContaining(message) } });
  });

  it('rejects a malformed customer id in the path with a 400', async () => {
    const res = await call('costs-total', '/api/v2/costs/bad%20id!/all/total', {
      auth: { customer_id: '', is_admin: true },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^path parameter customer_id: /);
  });
});

describe('the other read routes', () => {
  it('trends: week buckets by ISO Monday, zero-filled, day by default', async () => {
    const week = await call('costs-trends', `/api/v2/costs/${CUSTOMER}/all/trends`, {
      query: { ...JANUARY, group_by: 'week' },
    });
    expect(week.status).toBe(200);
    expect(week.body).toMatchObject({
      provider: 'all',
      group_by: 'week',
      currencies: ['EUR', 'USD'],
      period: { start: '2026-01-01T00:00:00.000Z' },
    });
    expect(week.body.buckets.map((b: { start: string }) => b.start.slice(0, 10))).toEqual([
      '2025-12-29',
      '2026-01-05',
      '2026-01-12',
      '2026-01-19',
      '2026-01-26',
    ]);
    expect(week.body.buckets[2].costs).toEqual([
      { currency: 'EUR', billed_cost: '0', effective_cost: '0' },
      { currency: 'USD', billed_cost: '-0.5', effective_cost: '-0.5' },
    ]);
    const day = await call('costs-trends', `/api/v2/costs/${CUSTOMER}/azure/trends`, { query: JANUARY });
    expect(day.body.group_by).toBe('day');
    expect(day.body.buckets).toHaveLength(31);
    expect(day.body.buckets[11]).toEqual({
      start: '2026-01-12T00:00:00.000Z',
      end: '2026-01-13T00:00:00.000Z',
      partial: false,
      costs: [{ currency: 'USD', billed_cost: '1', effective_cost: '1' }],
    });
  });

  it('metrics: the facts, newest first, cut at limit', async () => {
    const res = await call('costs-metrics', `/api/v2/costs/${CUSTOMER}/aws/metrics`, {
      query: { ...JANUARY, limit: '2' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ limit: 2, count: 2, truncated: true, currencies: ['USD'] });
    expect(res.body.rows.map((r: { billed_cost: string }) => r.billed_cost)).toEqual(['2', '-1.5']);
  });

  it('latest: the most recent day with cost, inside the stated period', async () => {
    const res = await call('costs-latest', `/api/v2/costs/${CUSTOMER}/all/latest`, { query: JANUARY });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      period: { start: '2026-01-01T00:00:00.000Z', end: '2026-02-01T00:00:00.000Z' },
      currencies: ['USD'],
      day: { start: '2026-01-31T00:00:00.000Z', end: '2026-02-01T00:00:00.000Z' },
      totals: [{ currency: 'USD', billed_cost: '2', effective_cost: '2' }],
    });
  });

  it('by-resource and by-type: top entries per currency with the totals they belong to', async () => {
    const res = await call('costs-by-resource', `/api/v2/costs/${CUSTOMER}/all/by-resource`, {
      query: { ...JANUARY, limit: '1' },
    });
    expect(res.status).toBe(200);
    expect(
      res.body.items.map((i: { resource_id: string; effective_cost: string }) => [
        i.resource_id,
        i.effective_cost,
      ]),
    ).toEqual([
      ['vm-g1', '7'],
      ['i-1', '20'],
    ]);
    expect(res.body).toMatchObject({ limit: 1, currencies: ['EUR', 'USD'] });
    const types = await call('costs-by-type', `/api/v2/costs/${CUSTOMER}/aws/by-type`, {
      query: { ...JANUARY, type: 'charge_category' },
    });
    expect(types.status).toBe(200);
    expect(types.body.type).toBe('charge_category');
    expect(
      types.body.items.map((i: { name: string; billed_cost: string }) => [i.name, i.billed_cost]),
    ).toEqual([
      ['Usage', '22.2200000001'],
      ['Tax', '2'],
      ['Credit', '-1.5'],
    ]);
  });
});

describe('collection under the cost path', () => {
  const performanceRun = (taskId: string): CollectionRunInput => ({
    customer_id: CUSTOMER,
    task_id: taskId,
    provider: 'local',
    data_types: ['performance'],
    trigger: 'scheduled',
    status: 'succeeded',
    queued_at: new Date(),
  });

  it('queues cost-only collection (202) and reports it at the cost status path', async () => {
    sent.length = 0;
    const res = await call('costs-trigger-collection', '/api/v2/costs/trigger-collection', {
      body: { customer_id: CUSTOMER, provider: 'local' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'queued',
      async_mode: true,
      tasks: [{ provider: 'local', data_types: ['cost'] }],
    });
    expect(res.body.message).toContain('/api/v2/costs/collection-status/{task_id}');
    expect(sent.map((j) => [j.provider, j.dataTypes, j.taskId])).toEqual([
      ['local', ['cost'], res.body.task_id],
    ]);
    const status = await call(
      'costs-collection-status',
      `/api/v2/costs/collection-status/${res.body.task_id}`,
    );
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      task_id: res.body.task_id,
      status: 'queued',
      data_types: ['cost'],
      customer_id: CUSTOMER,
    });
  });

  it('runs it synchronously on request and returns the finished run', async () => {
    const res = await call('costs-trigger-collection', '/api/v2/costs/trigger-collection', {
      body: { customer_id: CUSTOMER, provider: 'all', async_mode: false },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      provider: 'local',
      status: 'succeeded',
      data_types: ['cost'],
      async_mode: false,
    });
    expect(res.body.rows_collected.cost).toBeGreaterThan(0);
    expect(Object.keys(res.body.rows_collected)).toEqual(['cost']);
  });

  it('refuses other data types, other customers and unknown or unconnected providers', async () => {
    const withTypes = await call('costs-trigger-collection', '/api/v2/costs/trigger-collection', {
      body: { customer_id: CUSTOMER, provider: 'local', data_types: ['performance'] },
    });
    expect(withTypes.status).toBe(400);
    expect(withTypes.body.error.message).toMatch(
      /^body data_types: this route collects only "cost" \(allowed: \["cost"\]\)/,
    );
    const ownType = await call('costs-trigger-collection', '/api/v2/costs/trigger-collection', {
      body: { customer_id: OTHER, provider: 'local', data_types: ['cost'] },
    });
    // Its own data type passes validation (and then meets the tenancy check).
    expect(ownType.status).toBe(403);
    const other = await call('costs-trigger-collection', '/api/v2/costs/trigger-collection', {
      body: { customer_id: OTHER, provider: 'local' },
    });
    expect(other.status).toBe(403);
    const unknown = await call('costs-trigger-collection', '/api/v2/costs/trigger-collection', {
      body: { customer_id: CUSTOMER, provider: 'nosuch' },
    });
    expect(unknown.status).toBe(404);
    const unconnected = await call('costs-trigger-collection', '/api/v2/costs/trigger-collection', {
      body: { customer_id: CUSTOMER, provider: 'aws' },
    });
    expect(unconnected.status).toBe(404);
    expect(unconnected.body.error.message).toBe('Customer "h-acme" has no enabled aws connection.');
    const badJson = await call('costs-trigger-collection', '/api/v2/costs/trigger-collection', {
      body: '{"customer_id":',
    });
    expect(badJson.status).toBe(400);
  });

  it("hides runs that collected no cost and other customers' runs behind a 404", async () => {
    await runtime.writer.write('collection_runs', [performanceRun('perf-only-1')]);
    const perf = await call('costs-collection-status', '/api/v2/costs/collection-status/perf-only-1');
    expect(perf.status).toBe(404);
    expect(perf.body).toEqual({
      error: { code: 'not_found', message: 'No cost collection task perf-only-1.' },
    });
    const [task] = sent;
    const foreign = await call('costs-collection-status', `/api/v2/costs/collection-status/${task?.taskId}`, {
      auth: { customer_id: OTHER },
    });
    expect(foreign.status).toBe(404);
    const anonymous = await call(
      'costs-collection-status',
      `/api/v2/costs/collection-status/${task?.taskId}`,
      { auth: null },
    );
    expect(anonymous.status).toBe(401);
  });

  it('lists only cost runs in the history, newest first, with the usual filters', async () => {
    await runtime.writer.write('collection_runs', [performanceRun('perf-only-2')]);
    const res = await call('costs-collection-history', `/api/v2/costs/${CUSTOMER}/collection-history`, {
      query: { limit: '50' },
    });
    expect(res.status).toBe(200);
    expect(res.body.count).toBeGreaterThanOrEqual(2);
    expect(res.body.runs.every((r: { data_types: string[] }) => r.data_types.includes('cost'))).toBe(true);
    expect(res.body.runs.map((r: { task_id: string }) => r.task_id)).not.toContain('perf-only-2');
    const queued = await call('costs-collection-history', `/api/v2/costs/${CUSTOMER}/collection-history`, {
      query: { status: 'queued' },
    });
    expect(queued.body.runs.map((r: { status: string }) => r.status)).toEqual(
      queued.body.runs.map(() => 'queued'),
    );
    expect(queued.body.count).toBeGreaterThanOrEqual(1);
    const bad = await call('costs-collection-history', `/api/v2/costs/${CUSTOMER}/collection-history`, {
      query: { data_type: 'cost' },
    });
    expect(bad.status).toBe(400);
    const unknown = await call('costs-collection-history', `/api/v2/costs/${CUSTOMER}/collection-history`, {
      query: { provider: 'nosuch' },
    });
    expect(unknown.status).toBe(404);
    const other = await call('costs-collection-history', `/api/v2/costs/${CUSTOMER}/collection-history`, {
      auth: { customer_id: OTHER },
    });
    expect(other.status).toBe(403);
  });
});

describe('GET /api/v2/costs/{customer_id}/collection-spend', () => {
  it('reports billable requests per provider and day with a USD estimate, for the stated period', async () => {
    await runtime.writer.write('collection_runs', [
      {
        customer_id: 'h-spend',
        task_id: 'spend-1',
        provider: 'aws',
        data_types: ['cost'],
        trigger: 'scheduled',
        status: 'succeeded',
        billable_requests: { 'ce:GetCostAndUsage': 12 },
        queued_at: '2026-01-03T06:00:00Z',
        started_at: '2026-01-03T06:00:02Z',
      },
    ]);
    const res = await call('costs-collection-spend', '/api/v2/costs/h-spend/collection-spend', {
      auth: { customer_id: 'h-spend' },
      query: { start: '2026-01-01', end: '2026-01-08', provider: 'all' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      customer_id: 'h-spend',
      provider: 'all',
      period: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-08T00:00:00.000Z' },
      currency: 'USD',
      days: [
        {
          day: '2026-01-03',
          provider: 'aws',
          runs: 1,
          requests: { 'ce:GetCostAndUsage': 12 },
          total_requests: 12,
          estimated_cost: '0.12',
          unpriced_requests: 0,
        },
      ],
      totals: [
        {
          provider: 'aws',
          runs: 1,
          requests: { 'ce:GetCostAndUsage': 12 },
          total_requests: 12,
          estimated_cost: '0.12',
          unpriced_requests: 0,
        },
      ],
    });
    const gcp = await call('costs-collection-spend', '/api/v2/costs/h-spend/collection-spend', {
      auth: { customer_id: 'h-spend' },
      query: { start: '2026-01-01', end: '2026-01-08', provider: 'gcp' },
    });
    expect(gcp.body).toMatchObject({ provider: 'gcp', days: [], totals: [] });
    const unknown = await call('costs-collection-spend', '/api/v2/costs/h-spend/collection-spend', {
      auth: { customer_id: 'h-spend' },
      query: { provider: 'nosuch' },
    });
    expect(unknown.status).toBe(404);
    const other = await call('costs-collection-spend', '/api/v2/costs/h-spend/collection-spend');
    expect(other.status).toBe(403);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { getRun } from '../../../lib/clickhouse/repos/runs';
import { createWriter } from '../../../lib/clickhouse/writer';
import { type RunDeps, runCollection } from '../../../lib/collector/run';
import type { CollectionJob, Connection, DataType, ProviderDefinition } from '../../../lib/collector/types';
import { staticConnections } from '../../../lib/connections/source';
import { ProviderAuthError } from '../../../lib/errors';
import { createAdapterContext } from '../../../lib/providers/adapters/context';
import type { AdapterContext, ProviderAdapter } from '../../../lib/providers/adapters/types';
import { parseCatalog } from '../../../lib/providers/generic/catalog';
import { buildGenericProviders } from '../../../lib/providers/generic/compose';
import type { GenericSettings } from '../../../lib/providers/generic/settings';
import { createRegistry } from '../../../lib/providers/registry';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows, silentLogger, testStore } from '../../helpers/store';
import { collectContext } from '../adapters/helpers';

/**
 * A catalog provider with an API adapter: Prometheus says how hard the machines work, the
 * adapter what they are and cost. The adapter here is a small one written for the test
 * against the ProviderAdapter contract, talking to a fake API over the run's cached HTTP.
 */

const CATALOG = parseCatalog(
  `
version: 1
query_sets:
  mini:
    resource_id: ['{instance|host}']
    queries:
      - { id: load, metric: load_average_1m, unit: count, query: 'node_load1{$__selector}' }
providers:
  - id: testcloud
    display_name: Test Cloud
    category: gpu_cloud
    auth: { style: bearer_token, secrets: [api_key] }
    endpoints: { api: https://catalog.testcloud.invalid/v1 }
    query_sets: [mini]
`,
  'test-providers.yaml',
);

const API_KEY = 'tc-live-4b1f9e7d2c8a6350';
const PROM_TOKEN = 'prom-token-aa11bb22cc33';
const WINDOW = { start: '2026-11-26T11:00:00Z', end: '2026-11-26T12:00:00Z' };
const NOW = new Date('2026-11-26T12:00:30Z');

interface Instance {
  id: string;
  name: string;
  gpus: number;
  gpu_model: string;
  price_per_hour: string;
  gpu_util: number;
}
const INSTANCES: Instance[] = [
  {
    id: 'i-7f3a',
    name: 'trainer-1',
    gpus: 8,
    gpu_model: 'NVIDIA H100 80GB',
    price_per_hour: '23.92',
    gpu_util: 91,
  },
  { id: 'i-91c2', name: 'notebook', gpus: 1, gpu_model: 'NVIDIA A10', price_per_hour: '0.75', gpu_util: 4 },
];

const seen: AdapterContext[] = [];
const testAdapter: ProviderAdapter = {
  id: 'testcloud',
  displayName: 'Test Cloud',
  category: 'gpu_cloud',
  defaultBaseUrl: 'https://api.testcloud.invalid/v1',
  secretNames: ['api_key'],
  async resources(ctx) {
    seen.push(ctx);
    const list = await instances(ctx);
    return list.map((i) => ({
      // Deliberately someone else's customer id: composition must stamp the run's own.
      customer_id: 'someone-else',
      provider: 'testcloud',
      snapshot_at: ctx.collect.now(),
      resource_id: i.id,
      resource_type: 'gpu_instance',
      name: i.name,
      status: 'running',
      gpu_count: i.gpus,
      gpu_model: i.gpu_model,
      hourly_price: i.price_per_hour,
      price_currency: 'USD',
    }));
  },
  async cost(ctx) {
    const list = await instances(ctx);
    return list.map((i) => ({
      x_customer_id: ctx.collect.customerId,
      x_provider: 'testcloud',
      billing_account_id: 'acct-1',
      service_name: 'GPU instances',
      charge_category: 'Usage' as const,
      resource_id: i.id,
      billed_cost: i.price_per_hour,
      effective_cost: i.price_per_hour,
      billing_currency: 'USD',
      charge_period_start: ctx.collect.window.start,
      charge_period_end: ctx.collect.window.end,
      billing_period_start: '2026-11-01T00:00:00Z',
      billing_period_end: '2026-12-01T00:00:00Z',
      x_collected_at: ctx.collect.now(),
    }));
  },
  async performance(ctx) {
    const list = await instances(ctx);
    return list.map((i) => ({
      customer_id: ctx.collect.customerId,
      provider: 'testcloud',
      resource_id: i.id,
      metric: 'gpu_utilization',
      unit: 'percent',
      value: i.gpu_util,
      ts: ctx.collect.now(),
      source_metric: 'api.gpu_util',
      collected_at: ctx.collect.now(),
    }));
  },
  async test(ctx) {
    await ctx.http.getJson(`${ctx.baseUrl}/account`, {
      headers: { authorization: `Bearer ${ctx.secrets.api_key}` },
    });
  },
};

async function instances(ctx: AdapterContext): Promise<Instance[]> {
  const body = await ctx.http.getJson<{ instances: Instance[] }>(`${ctx.baseUrl}/instances`, {
    headers: { authorization: `Bearer ${ctx.secrets.api_key}` },
  });
  return body.instances;
}

const loadMatrix = () => ({
  body: {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'node_load1', instance: '10.0.4.17:9100', job: 'node' },
          values: [
            [1795690800, '3.5'],
            [1795690860, '4'],
          ],
        },
      ],
    },
  },
});

let api: FakeServer;
let prom: FakeServer;
let store: Store;
let apiHealthy = true;

beforeAll(async () => {
  api = await startFakeServer((r) => {
    if (!apiHealthy || r.headers.authorization !== `Bearer ${API_KEY}`) {
      return {
        status: 401,
        body: { error: { code: 'invalid_api_key', message: 'API key is invalid or revoked' } },
      };
    }
    if (r.path === '/v1/instances') return { body: { instances: INSTANCES } };
    if (r.path === '/v1/account') return { body: { id: 'acct-1' } };
    return { status: 404, body: { error: { message: 'not found' } } };
  });
  prom = await startFakeServer(loadMatrix);
  store = await testStore();
});
afterAll(async () => {
  await api.close();
  await prom.close();
});
beforeEach(() => {
  apiHealthy = true;
  seen.length = 0;
  api.requests.length = 0;
  prom.requests.length = 0;
  prom.handle(loadMatrix);
});

const registry = () =>
  createRegistry(
    buildGenericProviders(CATALOG, { adapters: [testAdapter] }) as ProviderDefinition<unknown>[],
  );

function connection(
  customerId: string,
  settings: Record<string, unknown>,
  secrets: Record<string, string>,
): Connection {
  return {
    id: 'main',
    customerId,
    provider: 'testcloud',
    enabled: true,
    settings,
    secrets,
    source: 'config',
  };
}

function run(conn: Connection, dataTypes: DataType[] = ['performance', 'resource', 'cost']) {
  const deps: RunDeps = {
    store,
    writer: createWriter(store),
    registry: registry(),
    connections: staticConnections([conn]),
    logger: silentLogger(),
    retry: { maxAttempts: 2, baseMs: 1, capMs: 2 },
    maxBackfillMs: 7 * 24 * 3_600_000,
    now: () => NOW,
  };
  const job: CollectionJob = {
    taskId: randomUUID(),
    customerId: conn.customerId,
    provider: 'testcloud',
    dataTypes,
    trigger: 'manual',
    queuedAt: NOW.toISOString(),
    window: WINDOW,
  };
  return runCollection(job, deps);
}

const fullSettings = () => ({
  prometheus: { url: prom.url, auth: { type: 'bearer', token_secret: 'prom_token' } },
  api: { base_url: `${api.url}/v1` },
});
const fullSecrets = { api_key: API_KEY, prom_token: PROM_TOKEN };

async function performance(customerId: string) {
  return rows<{ metric: string; resource_id: string; value: number; source_metric: string }>(
    store,
    `SELECT metric, resource_id, value, source_metric FROM performance_points FINAL
      WHERE customer_id = {c:String} ORDER BY metric, resource_id, ts`,
    { c: customerId },
  );
}

describe('a catalog provider with an API adapter', () => {
  it('collects Prometheus performance plus the adapter’s inventory, cost and utilisation, asking the API once per run', async () => {
    const result = await run(connection('comp-full', fullSettings(), fullSecrets));

    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ performance: 4, resource: 2, cost: 2 });
    expect(await performance('comp-full')).toEqual([
      { metric: 'gpu_utilization', resource_id: 'i-7f3a', value: 91, source_metric: 'api.gpu_util' },
      { metric: 'gpu_utilization', resource_id: 'i-91c2', value: 4, source_metric: 'api.gpu_util' },
      { metric: 'load_average_1m', resource_id: '10.0.4.17', value: 3.5, source_metric: 'load' },
      { metric: 'load_average_1m', resource_id: '10.0.4.17', value: 4, source_metric: 'load' },
    ]);
    const inventory = await rows<{
      customer_id: string;
      resource_id: string;
      gpu_count: number;
      hourly_price: string;
    }>(
      store,
      `SELECT customer_id, resource_id, gpu_count, toString(hourly_price) AS hourly_price FROM resource_snapshots FINAL
        WHERE provider = 'testcloud' AND customer_id IN ('comp-full', 'someone-else') ORDER BY resource_id`,
    );
    expect(inventory).toEqual([
      { customer_id: 'comp-full', resource_id: 'i-7f3a', gpu_count: 8, hourly_price: '23.92' },
      { customer_id: 'comp-full', resource_id: 'i-91c2', gpu_count: 1, hourly_price: '0.75' },
    ]);
    const [cost] = await rows<{ total: string; connection: string }>(
      store,
      `SELECT toString(sum(billed_cost)) AS total, any(x_connection_id) AS connection FROM costs FINAL WHERE x_customer_id = 'comp-full'`,
    );
    expect(cost).toEqual({ total: '24.67', connection: 'main' });
    // Three data types, one /instances call: the run's cache answered the other two.
    expect(api.requests.map((r) => r.path)).toEqual(['/v1/instances']);
    expect(prom.requests[0]?.headers.authorization).toBe(`Bearer ${PROM_TOKEN}`);
    // The adapter sees its own secrets and the connection's base URL, not the Prometheus token.
    expect(seen[0]?.secrets).toEqual({ api_key: API_KEY });
    expect(seen[0]?.baseUrl).toBe(`${api.url}/v1`);
    expect(seen[0]?.settings).toEqual({ base_url: `${api.url}/v1` });
  });

  it('asks the API again in the next run (the cache lives for one run)', async () => {
    await run(connection('comp-cache', fullSettings(), fullSecrets), ['resource']);
    await run(connection('comp-cache', fullSettings(), fullSecrets), ['resource']);
    expect(api.requests.map((r) => r.path)).toEqual(['/v1/instances', '/v1/instances']);
  });

  it('keeps the Prometheus data when the adapter fails: the run is partial and says why', async () => {
    apiHealthy = false;
    const result = await run(connection('comp-adapter-down', fullSettings(), fullSecrets));

    expect(result.status).toBe('partial');
    expect(result.rows).toEqual({ performance: 2, resource: 0, cost: 0 });
    const apiError = `127.0.0.1:${api.port}/v1/instances: HTTP 401 API key is invalid or revoked`;
    expect(result.errors).toEqual({
      performance: `Test Cloud API adapter failed, kept the Prometheus/DCGM data only: ${apiError}`,
      resource: apiError,
      cost: apiError,
    });
    expect((await performance('comp-adapter-down')).map((p) => p.metric)).toEqual([
      'load_average_1m',
      'load_average_1m',
    ]);
    const runView = await getRun(store, result.taskId);
    expect(runView?.status).toBe('partial');
    expect(JSON.stringify(runView)).not.toContain(API_KEY);
  });

  it('runs Prometheus-only when the connection gives no API secrets: no API calls, nothing failed', async () => {
    const result = await run(connection('comp-prom-only', { prometheus: { url: prom.url } }, {}));

    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ performance: 2, resource: 0, cost: 0 });
    expect(api.requests).toEqual([]);
  });

  it('fails the adapter data types with the missing secret named when api: is set without it', async () => {
    const result = await run(connection('comp-no-key', fullSettings(), { prom_token: PROM_TOKEN }), [
      'resource',
    ]);

    expect(result.status).toBe('failed');
    expect(result.errors.resource).toBe(
      'connection "main" has no secret "api_key" (Test Cloud needs: api_key)',
    );
    expect(api.requests).toEqual([]);
  });

  it('tests a connection part by part: one failure is rethrown as is, several are listed', async () => {
    const def = registry().get('testcloud')!;
    const signal = new AbortController().signal;
    const settings = (s: Record<string, unknown>) => def.settingsSchema.parse(s) as GenericSettings;
    const conn = (s: Record<string, unknown>, secrets: Record<string, string>) => ({
      ...connection('comp-test', {}, secrets),
      settings: settings(s),
    });

    await expect(
      def.testConnection({ connection: conn(fullSettings(), fullSecrets), signal, logger: silentLogger() }),
    ).rejects.toThrow('prometheus: vector(1) did not evaluate to 1');
    prom.handle(() => ({
      body: {
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: {}, value: [1795691100, '1'] }] },
      },
    }));
    await expect(
      def.testConnection({ connection: conn(fullSettings(), fullSecrets), signal, logger: silentLogger() }),
    ).resolves.toBeUndefined();
    expect(prom.requests.at(-1)?.path).toBe('/api/v1/query');
    expect(api.requests.at(-1)?.path).toBe('/v1/account');

    apiHealthy = false;
    await expect(
      def.testConnection({ connection: conn(fullSettings(), fullSecrets), signal, logger: silentLogger() }),
    ).rejects.toBeInstanceOf(ProviderAuthError);
    prom.handle(() => ({ status: 500, body: 'boom' }));
    await expect(
      def.testConnection({ connection: conn(fullSettings(), fullSecrets), signal, logger: silentLogger() }),
    ).rejects.toThrow(/^prometheus: .*HTTP 500 boom; api: .*HTTP 401 API key is invalid or revoked$/);
  });
});

describe('createAdapterContext', () => {
  it('takes the base URL from the connection, else the adapter', () => {
    const collect = collectContext({ provider: 'testcloud', secrets: { api_key: API_KEY } });
    expect(createAdapterContext(collect, { base_url: 'http://override' }, testAdapter).baseUrl).toBe(
      'http://override',
    );
    expect(createAdapterContext(collect, {}, testAdapter).baseUrl).toBe('https://api.testcloud.invalid/v1');
  });
});

describe('the shipped registry', () => {
  it('gives a catalog provider inventory and cost collectors from its adapter, or from settings.prices without one', () => {
    const shipped = createRegistry();
    expect(shipped.dataTypes('runpod')).toEqual(['performance', 'resource', 'cost']);
    expect(shipped.dataTypes('docker')).toEqual(['performance', 'resource']);
    // Prometheus-only providers price their machines from settings.prices (inventory and cost).
    expect(shipped.dataTypes('onprem')).toEqual(['performance', 'resource', 'cost']);
    const withoutAdapter = createRegistry(
      buildGenericProviders(
        parseCatalog(
          `version: 1
query_sets: {}
providers:
  - { id: runpod, display_name: RunPod, category: gpu_cloud, auth: { style: bearer_token, secrets: [api_key] } }
`,
          'x.yaml',
        ),
        { adapters: [] },
      ) as ProviderDefinition<unknown>[],
    );
    expect(withoutAdapter.dataTypes('runpod')).toEqual(['performance', 'resource', 'cost']);
  });
});

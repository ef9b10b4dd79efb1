import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Store } from '../../../lib/clickhouse/client';
import { ConfigError } from '../../../lib/errors';
import { ADAPTERS } from '../../../lib/providers/adapters';
import { lambdaLabsAdapter } from '../../../lib/providers/adapters/lambdalabs';
import { OVH_ENDPOINTS } from '../../../lib/providers/adapters/ovh';
import { runpodAdapter } from '../../../lib/providers/adapters/runpod';
import type { GenericSettings } from '../../../lib/providers/generic/settings';
import { checkConnectionsFile } from '../../../lib/providers/generic/validate';
import { createRegistry } from '../../../lib/providers/registry';
import { HOUR_MS, MINUTE_MS } from '../../../lib/time';
import { type FakeServer, type RecordedRequest, startFakeServer } from '../../helpers/fake-server';
import { rows, testStore } from '../../helpers/store';
import { collectThroughPipeline, fixture, storedCostSlices, storedCostTotal } from '../adapters/helpers';

/**
 * The shipped adapters as the shipped registry composes them (createRegistry() with the
 * real GENERIC_PROVIDERS, through collectThroughPipeline): Prometheus for performance next
 * to the adapter's inventory and cost, run by runCollection as a schedule would (windows
 * from watermarks), into the embedded ClickHouse. Each adapter's wire format is tested in
 * tests/integration/adapters/, whose pipeline runs go through the same registry.
 */

const LAMBDA_KEY = 'secret_lambda_0123456789abcdef.0123456789abcdef';
const RUNPOD_KEY = 'rpa_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const T0 = new Date('2026-11-26T12:00:30Z');
const minutesAfter = (m: number) => new Date(T0.getTime() + m * MINUTE_MS);

/**
 * A Prometheus that scrapes one dcgm-exporter: range queries over DCGM_FI_DEV_GPU_UTIL
 * return one GPU's two samples, every other query an empty matrix (metrics not scraped).
 */
const gpuMatrix = (req: RecordedRequest) => ({
  body: {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: new URLSearchParams(req.body || req.query.toString())
        .get('query')
        ?.startsWith('DCGM_FI_DEV_GPU_UTIL')
        ? [
            {
              metric: {
                __name__: 'DCGM_FI_DEV_GPU_UTIL',
                Hostname: 'pretrain-8x',
                UUID: 'GPU-5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
                gpu: '0',
                modelName: 'NVIDIA H100 80GB HBM3',
              },
              values: [
                [1795690860, '97'],
                [1795690920, '95'],
              ],
            },
          ]
        : [],
    },
  },
});

let cloud: FakeServer;
let prom: FakeServer;
let store: Store;
let dir: string;

beforeAll(async () => {
  // Lambda's REST API (Bearer key) and RunPod's GraphQL API (failures as HTTP 200 + errors).
  cloud = await startFakeServer((req) => {
    if (req.path === '/graphql') {
      if (req.headers.authorization !== `Bearer ${RUNPOD_KEY}`)
        return { body: fixture('runpod', 'error-unauthenticated') };
      return { body: fixture('runpod', 'pods') };
    }
    if (req.headers.authorization !== `Bearer ${LAMBDA_KEY}`)
      return { status: 401, body: fixture('lambdalabs', 'error-unauthorized') };
    if (req.path === '/api/v1/instances') return { body: fixture('lambdalabs', 'instances') };
    return { status: 404, body: { error: { code: 'global/object-does-not-exist', message: 'Not found' } } };
  });
  prom = await startFakeServer(gpuMatrix);
  store = await testStore();
  dir = mkdtempSync(join(tmpdir(), 'shipped-adapters-'));
});
afterAll(async () => {
  await cloud.close();
  await prom.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  cloud.requests.length = 0;
  prom.requests.length = 0;
});

describe('the shipped registry composes every adapter', () => {
  it('takes each adapter’s cost window (no restatement), keeps Prometheus’s for performance', () => {
    const registry = createRegistry();
    for (const adapter of ADAPTERS) {
      const windows = registry.get(adapter.id)?.windows;
      const { historyMs, chunkMs, oldestAvailable, ...performance } = windows?.performance ?? {};
      expect(performance, adapter.id).toEqual({
        initialLookbackMs: HOUR_MS,
        restatementMs: 5 * MINUTE_MS,
      });
      // A first collection backfills history_days (default 14) in chunks of at most a day.
      expect(historyMs?.({ region: '', history_days: 14 }), adapter.id).toBe(14 * 24 * HOUR_MS);
      expect(chunkMs?.({ region: '', history_days: 14 }), adapter.id).toBe(24 * HOUR_MS);
      expect(typeof oldestAvailable, adapter.id).toBe('function');
      expect(windows?.cost, adapter.id).toEqual(
        adapter.cost ? (adapter.windows?.cost ?? { initialLookbackMs: HOUR_MS }) : undefined,
      );
      expect(windows?.cost?.restatementMs, adapter.id).toBeUndefined();
    }
    // Lambda and Paperspace bill the time since the previous collection: 15 minutes the first time.
    expect(registry.get('lambdalabs')?.windows?.cost).toEqual({ initialLookbackMs: 15 * MINUTE_MS });
    expect(registry.get('paperspace')?.windows?.cost).toEqual({ initialLookbackMs: 15 * MINUTE_MS });
  });

  it('validates api: with the adapter’s own settings schema, defaults filled', () => {
    const ovh = createRegistry().get('ovh')!;
    const parsed = ovh.settingsSchema.parse({
      api: { project_id: 'a1b2c3', endpoint: 'ca' },
    }) as GenericSettings;
    expect(parsed.api).toEqual({
      project_id: 'a1b2c3',
      endpoint: 'ca',
      currency: 'EUR',
      base_url: OVH_ENDPOINTS.ca,
    });
    const bad = ovh.settingsSchema.safeParse({ api: { project_id: 'a1b2c3', endpoint: 'uk' } });
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['api.endpoint', 'Invalid option: expected one of "eu"|"ca"|"us"'],
    ]);
    // A Prometheus-only connection needs no adapter settings at all.
    expect(ovh.settingsSchema.safeParse({ prometheus: { url: prom.url } }).success).toBe(true);
  });
});

describe('Lambda with Prometheus, scheduled', () => {
  /** A scheduled run (no explicit window: each data type starts at its watermark). */
  const scheduled = (now: Date) =>
    collectThroughPipeline({
      store,
      adapter: lambdaLabsAdapter,
      customerId: 'sa-lambda',
      settings: { prometheus: { url: prom.url, query_sets: ['dcgm'] } },
      api: { base_url: `${cloud.url}/api/v1` },
      secrets: { api_key: LAMBDA_KEY },
      dataTypes: ['performance', 'resource', 'cost'],
      now,
    });

  it('bills the time between consecutive runs once: cost windows follow each other, totals are exact', async () => {
    const runs = [await scheduled(T0), await scheduled(minutesAfter(45))];
    for (const r of runs) expect(r.status).toBe('succeeded');
    expect(runs.map((r) => r.outcomes.find((o) => o.dataType === 'cost')?.window)).toEqual([
      { start: '2026-11-26T11:45:30.000Z', end: '2026-11-26T12:00:30.000Z' },
      { start: '2026-11-26T12:00:30.000Z', end: '2026-11-26T12:45:30.000Z' },
    ]);
    // 15 + 45 minutes of the active 8×H100 (23.92/h) and the booting A10 (0.75/h): one hour, 24.67.
    expect(await storedCostTotal(store, 'sa-lambda')).toBe('24.67');
    expect(await storedCostSlices(store, 'sa-lambda', '0920582c7ff041399e34823a0be62549')).toEqual([
      { s: '2026-11-26 11:45:30', e: '2026-11-26 12:00:00', cost: '5.7806666667' },
      { s: '2026-11-26 12:00:00', e: '2026-11-26 12:00:30', cost: '0.1993333333' },
      { s: '2026-11-26 12:00:30', e: '2026-11-26 12:45:30', cost: '17.94' },
    ]);
    const [counts] = await rows<{ points: number; resources: number }>(
      store,
      `SELECT (SELECT count() FROM performance_points FINAL WHERE customer_id = 'sa-lambda' AND metric = 'gpu_utilization') AS points,
              (SELECT count() FROM resource_snapshots FINAL WHERE customer_id = 'sa-lambda') AS resources`,
    );
    expect(counts).toEqual({ points: 2, resources: 6 });
    // Resource and cost of one run share one answer; each run asks once.
    expect(cloud.requests.map((r) => r.path)).toEqual(['/api/v1/instances', '/api/v1/instances']);
    expect(cloud.requests.every((r) => r.headers.authorization === `Bearer ${LAMBDA_KEY}`)).toBe(true);
  });

  it('runs Prometheus-only without api: or the key: no Lambda call, no inventory or cost, nothing failed', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: lambdaLabsAdapter,
      customerId: 'sa-lambda-prom',
      settings: { prometheus: { url: prom.url } },
      secrets: {},
      dataTypes: ['performance', 'resource', 'cost'],
      now: T0,
    });
    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ performance: 2, resource: 0, cost: 0 });
    expect(cloud.requests).toEqual([]);
  });
});

describe('RunPod with Prometheus, when the API rejects the key inside a 200 answer', () => {
  it('keeps the Prometheus data and records the GraphQL error: the run is partial', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: runpodAdapter,
      customerId: 'sa-runpod',
      settings: { prometheus: { url: prom.url, query_sets: ['dcgm'] } },
      api: { base_url: cloud.url },
      secrets: { api_key: 'rpa_revoked_key_0000' },
      dataTypes: ['performance', 'resource', 'cost'],
      now: T0,
    });

    expect(result.status).toBe('partial');
    expect(result.rows).toEqual({ performance: 2, resource: 0, cost: 0 });
    const graphql = 'GraphQL error: You must be authenticated to perform this action.';
    expect(result.errors).toEqual({
      performance: `RunPod API adapter failed, kept the Prometheus/DCGM data only: ${graphql}`,
      resource: graphql,
      cost: graphql,
    });
    // An auth error is not retried, and a failed answer is not cached: one POST per data type.
    expect(cloud.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /graphql',
      'POST /graphql',
      'POST /graphql',
    ]);
  });
});

describe('checkConnectionsFile with adapter settings', () => {
  it('reports bad api: settings, and secrets whose adapter defaults cannot work, with file, path and field', () => {
    const file = join(dir, 'connections.yaml');
    writeFileSync(
      file,
      stringify({
        connections: [
          {
            customer_id: 'acme',
            provider: 'ovh',
            settings: { api: { endpoint: 'uk' } },
            secrets: {
              application_key: 'env:OVH_AK',
              application_secret: 'env:OVH_AS',
              consumer_key: 'env:OVH_CK',
            },
          },
          {
            customer_id: 'acme',
            provider: 'kubernetes',
            settings: { api: { ca_cert: 'not a certificate', page_size: 0 } },
            secrets: { token: 'env:K8S_TOKEN' },
          },
          {
            customer_id: 'acme',
            provider: 'docker',
            settings: { api: { socket: '/run/docker.sock' } },
          },
          {
            customer_id: 'acme',
            provider: 'ovh',
            id: 'secrets-only',
            settings: { prometheus: { url: 'https://prom.acme.example' } },
            secrets: {
              application_key: 'env:OVH_AK',
              application_secret: 'env:OVH_AS',
              consumer_key: 'env:OVH_CK',
            },
          },
          {
            customer_id: 'acme',
            provider: 'paperspace',
            settings: { api: { prices: { 'A100-80G': 3.18 } } },
            secrets: { api_key: 'env:PS_KEY' },
          },
        ],
      }),
    );
    let message = '';
    try {
      checkConnectionsFile(file, createRegistry());
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message.split('; ')).toEqual([
      `${file}: connections[0].settings.api.endpoint: Invalid option: expected one of "eu"|"ca"|"us"`,
      `${file}: connections[0].settings.api.project_id: Invalid input: expected string, received undefined`,
      `${file}: connections[1].settings.api.ca_cert: must be a PEM certificate`,
      `${file}: connections[1].settings.api.page_size: Too small: expected number to be >=1`,
      `${file}: connections[2].settings.api: Unrecognized key: "socket"`,
      `${file}: connections[3].settings.api.project_id: Invalid input: expected string, received undefined (the connection has the OVHcloud API's secrets, so it uses the API)`,
      `${file}: connections[4].settings.api.prices.A100-80G: Invalid input: expected string, received number`,
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { latestSnapshot } from '../../../lib/resources/snapshots';
import type { Runtime } from '../../../lib/runtime';
import { collectionRuntime, connectionsFor, runJob } from '../../helpers/collect';
import {
  type FakeHandler,
  type FakeReply,
  type FakeServer,
  startFakeServer,
} from '../../helpers/fake-server';
import { fixture } from '../../helpers/fixtures';
import { snapshotRows as readSnapshot } from '../../helpers/snapshots';
import { rows, testStore } from '../../helpers/store';

const API_KEY = 'VULTR-TEST-KEY-5f3c9a';
const CUSTOMERS = ['v-full', 'v-throttle', 'v-midway', 'v-plans', 'v-auth', 'v-malformed'];

let server: FakeServer;
let store: Store;
let runtime: Runtime;

/** The Vultr API as the fixtures describe it; `override` answers first when it returns a reply. */
function vultr(override?: (req: Parameters<FakeHandler>[0]) => FakeReply | undefined): FakeHandler {
  return (req) => {
    const o = override?.(req);
    if (o) return o;
    if (req.headers.authorization !== `Bearer ${API_KEY}`)
      return { status: 401, body: fixture('vultr', 'error-401.json') };
    switch (req.path) {
      case '/v2/instances':
        return {
          body: fixture('vultr', req.query.get('cursor') ? 'instances-page2.json' : 'instances-page1.json'),
        };
      case '/v2/plans':
        return { body: fixture('vultr', 'plans.json') };
      case '/v2/blocks':
        return { body: fixture('vultr', 'blocks.json') };
      case '/v2/kubernetes/clusters':
        return { body: fixture('vultr', 'kubernetes-clusters.json') };
      default:
        return { status: 404, body: { error: 'Not found', status: 404 } };
    }
  };
}

beforeAll(async () => {
  server = await startFakeServer();
  store = await testStore();
  const connections = connectionsFor('vultr', CUSTOMERS, { base_url: server.url }, { api_key: API_KEY });
  runtime = await collectionRuntime(store, connections);
});

afterAll(() => server.close());

const snapshotRows = (customerId: string, at: string) => readSnapshot(store, customerId, at);

const NOW = '2026-11-20T12:00:00.000Z';
const LATER = '2026-11-20T12:15:00.000Z';

describe('Vultr inventory collector (real fetch against a Vultr API stand-in)', () => {
  it('collects instances, block storage and VKE clusters across pages into the normalized shape', async () => {
    server.handle(vultr());
    server.requests.length = 0;

    const result = await runJob(runtime, {
      customerId: 'v-full',
      provider: 'vultr',
      dataTypes: ['resource'],
      now: NOW,
    });

    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ resource: 8 });
    const instancePages = server.requests.filter((r) => r.path === '/v2/instances');
    expect(instancePages.map((r) => r.query.get('cursor'))).toEqual([null, 'bmV4dF9fY2I2NzZhNDY']);
    expect(instancePages.every((r) => r.query.get('per_page') === '500')).toBe(true);

    const snap = await snapshotRows('v-full', NOW);
    expect(snap.map((r) => `${r.resource_type}:${r.name}`)).toEqual([
      'disk:api-data',
      'disk:datasets',
      'kubernetes_cluster:ml-serving',
      'vm:api-1',
      'vm:api-2',
      'vm:batch-old',
      'vm:infer-a16-frac',
      'vm:trainer-a100',
    ]);
    expect(snap.every((r) => r.complete === 1 && r.at === '2026-11-20 12:00:00.000')).toBe(true);
    const byName = Object.fromEntries(snap.map((r) => [r.name, r]));
    expect(byName['api-1']).toMatchObject({
      resource_id: 'cb676a46-66fd-4dfb-b839-443f2e6c0b60',
      status: 'running',
      region: 'ewr',
      sku: 'vc2-2c-4gb',
      vcpus: 2,
      memory_gib: 4,
      gpu_count: 0,
      gpu_model: '',
      tags: { 'env:prod': '', 'team-platform': '' },
      created_at: '2026-09-14 08:21:40.000',
      hourly_price: '0.03',
      price_currency: 'USD',
    });
    expect(JSON.parse(byName['api-1']?.attributes ?? '{}')).toEqual({
      kind: 'vultr_instance',
      os: 'Ubuntu 24.04 LTS x64',
      disk_gb: 80,
      main_ip: '192.0.2.11',
      allowed_bandwidth_gb: 2,
      monthly_cost: 20,
    });
    expect(byName['batch-old']).toMatchObject({
      status: 'stopped',
      hourly_price: null,
      price_currency: '',
      vcpus: 1,
      memory_gib: 1,
    });
    expect(byName['trainer-a100']).toMatchObject({
      gpu_count: 1,
      gpu_model: 'NVIDIA_A100',
      vcpus: 12,
      memory_gib: 120,
      hourly_price: '2.604',
    });
    expect(byName['infer-a16-frac']).toMatchObject({
      status: 'pending',
      gpu_count: 1,
      gpu_model: 'NVIDIA_A16',
      hourly_price: '0.128',
    });
    expect(byName.datasets).toMatchObject({ status: 'available', sku: 'storage_opt', region: 'ord' });
    expect(byName['api-data']).toMatchObject({ status: 'in_use', sku: 'high_perf' });
    expect(JSON.parse(byName['ml-serving']?.attributes ?? '{}')).toMatchObject({
      kind: 'vultr_kubernetes_cluster',
      nodes: 5,
    });
    expect(byName['ml-serving']).toMatchObject({ status: 'active', sku: 'v1.31.2+1', region: 'ord' });
  });

  it('retries a throttled page (429 with Retry-After) and then succeeds', async () => {
    let throttled = 0;
    server.handle(
      vultr((req) => {
        if (req.path === '/v2/instances' && req.query.get('cursor') && throttled < 2) {
          throttled++;
          return { status: 429, headers: { 'retry-after': '0' }, body: fixture('vultr', 'error-429.json') };
        }
        return undefined;
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'v-throttle',
      provider: 'vultr',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect(throttled).toBe(2);
    expect((await snapshotRows('v-throttle', NOW)).filter((r) => r.complete === 1)).toHaveLength(8);
  });

  it('marks a snapshot incomplete when a page keeps failing mid-way, and reports no deletions from it', async () => {
    server.handle(vultr());
    await runJob(runtime, { customerId: 'v-midway', provider: 'vultr', dataTypes: ['resource'], now: NOW });
    server.handle(
      vultr((req) =>
        req.path === '/v2/instances' && req.query.get('cursor')
          ? { status: 500, body: fixture('vultr', 'error-500.json') }
          : undefined,
      ),
    );
    server.requests.length = 0;

    const result = await runJob(runtime, {
      customerId: 'v-midway',
      provider: 'vultr',
      dataTypes: ['resource'],
      now: LATER,
    });

    expect(result.status).toBe('failed');
    // 4 attempts (the retry policy), then the rest of the inventory is still collected.
    expect(server.requests.filter((r) => r.path === '/v2/instances' && r.query.get('cursor'))).toHaveLength(
      4,
    );
    expect(result.errors.resource).toBe(
      `vultr collection incomplete, 1 failed: GET /v2/instances page 2: 127.0.0.1:${server.port}/v2/instances: HTTP 500 Internal server error`,
    );
    const snap = await snapshotRows('v-midway', LATER);
    expect(snap.map((r) => r.name)).toEqual([
      'api-data',
      'datasets',
      'ml-serving',
      'api-1',
      'api-2',
      'batch-old',
    ]);
    expect(snap.every((r) => r.complete === 0)).toBe(true);
    const changes = await rows(
      store,
      `SELECT change_type, resource_id FROM resource_changes FINAL WHERE customer_id = 'v-midway'`,
    );
    expect(changes).toEqual([]);
    expect(await latestSnapshot(store, { customerId: 'v-midway', provider: 'vultr' })).toMatchObject({
      complete: false,
      resources: 6,
    });
  });

  it('leaves out instances whose plan could not be looked up, rather than writing them without a price', async () => {
    server.handle(
      vultr((req) =>
        req.path === '/v2/plans'
          ? { status: 503, body: { error: 'Service unavailable', status: 503 } }
          : undefined,
      ),
    );
    const result = await runJob(runtime, {
      customerId: 'v-plans',
      provider: 'vultr',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toMatch(
      /^vultr collection incomplete, 1 failed: GET \/v2\/plans page 1: .*HTTP 503 Service unavailable$/,
    );
    const names = (await snapshotRows('v-plans', NOW)).map((r) => r.name);
    expect(names).toEqual(['api-data', 'datasets', 'ml-serving']);
  });

  it('fails with the provider’s message on a rejected key, never showing the key, and records no snapshot', async () => {
    server.handle(
      vultr((req) =>
        req.path.startsWith('/v2/') ? { status: 401, body: fixture('vultr', 'error-401.json') } : undefined,
      ),
    );
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'v-auth',
      provider: 'vultr',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toContain('HTTP 401 Invalid API token.');
    expect(result.errors.resource).not.toContain(API_KEY);
    // 401 is not retried: one request per list.
    expect(server.requests.map((r) => r.path)).toEqual([
      '/v2/plans',
      '/v2/instances',
      '/v2/blocks',
      '/v2/kubernetes/clusters',
    ]);
    expect(await latestSnapshot(store, { customerId: 'v-auth', provider: 'vultr' })).toBeNull();
  });

  it('reports a malformed answer as a parse error', async () => {
    server.handle(
      vultr((req) => (req.path === '/v2/blocks' ? { body: { blocks: 'none', meta: {} } } : undefined)),
    );
    const result = await runJob(runtime, {
      customerId: 'v-malformed',
      provider: 'vultr',
      dataTypes: ['resource'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toBe(
      'vultr collection incomplete, 1 failed: GET /v2/blocks page 1: GET /v2/blocks: "blocks" is missing or not a list',
    );
  });
});

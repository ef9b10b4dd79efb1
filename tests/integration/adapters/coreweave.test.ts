import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { coreweaveAdapter } from '../../../lib/providers/adapters/coreweave';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows, testStore } from '../../helpers/store';
import { adapterContext, collectThroughPipeline, fixture, storedCostTotal, storedCounts } from './helpers';

const TOKEN = 'cw-cks-token-0123456789abcdef';
const secrets = { token: TOKEN };
const PRICES = { 'gd-8xh100ib-i128': '49.24', 'cd-gp-i64-erapids': '3.36' };

let server: FakeServer;
let store: Store;

beforeAll(async () => {
  [server, store] = await Promise.all([startFakeServer(), testStore()]);
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  // A CKS cluster's API server (the Kubernetes wire format; pagination, errors and
  // throttling are covered by kubernetes.test.ts against the same adapter code).
  server.handle((req) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return { status: 401, body: fixture('kubernetes', 'status-unauthorized') };
    if (req.path === '/api/v1/nodes') return { body: fixture('coreweave', 'nodes') };
    return { status: 404, body: fixture('kubernetes', 'status-metrics-not-found') };
  });
});

describe('coreweave adapter (Kubernetes-native)', () => {
  it('reads CKS nodes with CoreWeave’s GPU class label and instance-type prices', async () => {
    const ctx = adapterContext(
      coreweaveAdapter,
      { base_url: server.url, prices: PRICES, include_pods: false },
      secrets,
    );
    const [gpu, cpu] = await coreweaveAdapter.resources!(ctx);
    expect(gpu).toMatchObject({
      provider: 'coreweave',
      resource_type: 'node',
      name: 'g7a1b2c',
      region: 'US-EAST-04',
      zone: 'US-EAST-04A',
      sku: 'gd-8xh100ib-i128',
      gpu_count: 8,
      gpu_model: 'H100_NVLINK_80GB',
      vcpus: 128,
      hourly_price: '49.24',
    });
    expect(cpu).toMatchObject({ gpu_count: 0, gpu_model: '', hourly_price: '3.36' });
  });

  it('stores nodes and their cost since creation', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: coreweaveAdapter,
      customerId: 'cw-store',
      api: { base_url: server.url, prices: PRICES, include_pods: false },
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 2, cost: 4 } });
    // 49.24/h and 3.36/h for 11:00-12:30.
    expect(await storedCostTotal(store, 'cw-store')).toBe('78.9');
    const services = await rows<{ service_name: string }>(
      store,
      `SELECT DISTINCT service_name FROM costs FINAL WHERE x_customer_id = 'cw-store' ORDER BY service_name`,
    );
    expect(services.map((s) => s.service_name)).toEqual(['GPU nodes', 'Nodes']);
  });

  it('requires the cluster’s API server URL', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: coreweaveAdapter,
      customerId: 'cw-cfg',
      api: { prices: PRICES },
      secrets,
      dataTypes: ['resource'],
    });
    expect(result.errors.resource).toBe(
      'invalid settings for connection "main": api.base_url: Invalid input: expected string, received undefined',
    );
    expect(await storedCounts(store, 'cw-cfg')).toEqual({ resources: 0, costs: 0, points: 0 });
  });
});

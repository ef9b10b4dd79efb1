import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { ProviderUnavailableError } from '../../../lib/errors';
import { kubernetesAdapter } from '../../../lib/providers/adapters/kubernetes';
import { type FakeHandler, type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows, testStore } from '../../helpers/store';
import { adapterContext, collectThroughPipeline, fixture, storedCostTotal, storedCounts } from './helpers';

const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.service-account-token.signature';
const secrets = { token: TOKEN };
const NODE_CONT =
  'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6ODgxMjM5OTksInN0YXJ0IjoiaXAtMTAtMC00MC0xMS5lYzIuaW50ZXJuYWxcdTAwMDAifQ';
const POD_CONT =
  'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6ODgxMjM5OTksInN0YXJ0IjoibWwvdHJhaW4tbGxhbWEtMFx1MDAwMCJ9';
const PRICES = { 'p4d.24xlarge': '32.7726', 'm6i.2xlarge': '0.384' };

let server: FakeServer;
let store: Store;

type Override = Partial<Record<'nodes2' | 'pods' | 'metrics', FakeHandler>>;

/** A Kubernetes API server: lists paged with `limit`/`continue`, Status objects for errors, Bearer tokens. */
function apiServer(o: Override = {}): FakeHandler {
  return (req) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return { status: 401, body: fixture('kubernetes', 'status-unauthorized') };
    const cont = req.query.get('continue');
    if (req.path === '/api/v1/nodes') {
      if (req.query.get('limit') !== '2') return { status: 400, body: 'limit expected' };
      if (!cont) return { body: fixture('kubernetes', 'nodes-page-1') };
      if (cont === NODE_CONT)
        return o.nodes2 ? o.nodes2(req) : { body: fixture('kubernetes', 'nodes-page-2') };
    }
    if (req.path === '/api/v1/pods') {
      if (o.pods) return o.pods(req);
      if (!cont) return { body: fixture('kubernetes', 'pods-page-1') };
      if (cont === POD_CONT) return { body: fixture('kubernetes', 'pods-page-2') };
    }
    if (req.path === '/apis/metrics.k8s.io/v1beta1/nodes')
      return o.metrics ? o.metrics(req) : { body: fixture('kubernetes', 'node-metrics') };
    return { status: 404, body: fixture('kubernetes', 'status-metrics-not-found') };
  };
}
const api = (extra: Record<string, unknown> = {}) => ({
  base_url: server.url,
  page_size: 2,
  prices: PRICES,
  cluster_name: 'prod-use1',
  ...extra,
});

beforeAll(async () => {
  [server, store] = await Promise.all([startFakeServer(), testStore()]);
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.handle(apiServer());
});

describe('kubernetes adapter', () => {
  it('lists nodes and pods page by page and maps instance type, zone, capacity and GPUs', async () => {
    const snapshots = await kubernetesAdapter.resources!(adapterContext(kubernetesAdapter, api(), secrets));
    expect(snapshots.map((s) => [s.resource_type, s.name, s.status])).toEqual([
      ['node', 'ip-10-0-12-34.ec2.internal', 'ready'],
      ['node', 'ip-10-0-40-11.ec2.internal', 'ready'],
      ['node', 'ip-10-0-41-12.ec2.internal', 'not_ready'],
      ['pod', 'ml/train-llama-0', 'running'],
      ['pod', 'prod/api-7d9f8c6b5-x2x4z', 'running'],
      ['pod', 'ml/eval-nightly-28871', 'succeeded'],
    ]);
    expect(snapshots[0]).toMatchObject({
      resource_id: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
      region: 'us-east-1',
      zone: 'us-east-1a',
      sku: 'p4d.24xlarge',
      vcpus: 96,
      memory_gib: 1121.87,
      gpu_count: 8,
      gpu_model: 'NVIDIA-A100-SXM4-40GB',
      hourly_price: '32.7726',
      price_currency: 'USD',
    });
    expect(snapshots[2]).toMatchObject({ sku: 'c6i.xlarge', hourly_price: null, price_currency: '' });
    expect(snapshots[3]).toMatchObject({
      resource_id: 'a1a1a1a1-b2b2-4c3c-8d4d-e5e5e5e5e5e5',
      sku: 'p4d.24xlarge',
      zone: 'us-east-1a',
      vcpus: 90.25,
      memory_gib: 1000.13,
      gpu_count: 8,
      gpu_model: 'NVIDIA-A100-SXM4-40GB',
      tags: { app: 'train-llama', team: 'research' },
    });
    expect(server.requests.map((r) => r.url).sort()).toEqual([
      '/api/v1/nodes?limit=2',
      `/api/v1/nodes?limit=2&continue=${NODE_CONT}`,
      '/api/v1/pods?limit=2',
      `/api/v1/pods?limit=2&continue=${POD_CONT}`,
    ]);
  });

  it('stores nodes, pods, price-table cost per node and node utilisation from metrics-server', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: kubernetesAdapter,
      customerId: 'k8s-store',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost', 'performance'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 6, cost: 4, performance: 6 } });
    // p4d (created 10:00) at 32.7726/h and m6i at 0.384/h for 11:00-12:30; c6i has no price.
    expect(await storedCostTotal(store, 'k8s-store')).toBe('49.7349');
    const points = await rows<{ resource_name: string; metric: string; value: number }>(
      store,
      `SELECT resource_name, metric, value FROM performance_points FINAL
       WHERE customer_id = 'k8s-store' AND metric != 'memory_used' ORDER BY resource_name, metric`,
    );
    expect(points).toEqual([
      { resource_name: 'ip-10-0-12-34.ec2.internal', metric: 'cpu_utilization', value: 50 },
      { resource_name: 'ip-10-0-12-34.ec2.internal', metric: 'memory_utilization', value: 50 },
      { resource_name: 'ip-10-0-40-11.ec2.internal', metric: 'cpu_utilization', value: 20 },
      { resource_name: 'ip-10-0-40-11.ec2.internal', metric: 'memory_utilization', value: 25 },
    ]);
    // Nodes were listed once for all three data types.
    expect(server.requests.filter((r) => r.path === '/api/v1/nodes')).toHaveLength(2);
  });

  it('collects no utilisation, without failing, when metrics-server is not installed', async () => {
    server.handle(
      apiServer({
        metrics: () => ({ status: 404, body: fixture('kubernetes', 'status-metrics-not-found') }),
      }),
    );
    const result = await collectThroughPipeline({
      store,
      adapter: kubernetesAdapter,
      customerId: 'k8s-nometrics',
      api: api(),
      secrets,
      dataTypes: ['performance'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { performance: 0 } });
  });

  it('reports a rejected token and writes nothing', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: kubernetesAdapter,
      customerId: 'k8s-auth',
      api: api(),
      secrets: { token: 'expired-service-account-token' },
      dataTypes: ['resource', 'cost'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.cost).toMatch(/\/api\/v1\/nodes: HTTP 401 Unauthorized$/);
    expect(await storedCounts(store, 'k8s-auth')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('names the missing RBAC permission and writes no partial inventory', async () => {
    server.handle(
      apiServer({ pods: () => ({ status: 403, body: fixture('kubernetes', 'status-forbidden') }) }),
    );
    const result = await collectThroughPipeline({
      store,
      adapter: kubernetesAdapter,
      customerId: 'k8s-rbac',
      api: api(),
      secrets,
      dataTypes: ['resource'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toContain(
      'HTTP 403 pods is forbidden: User "system:serviceaccount:optiinfra:reader" cannot list resource "pods"',
    );
    expect(await storedCounts(store, 'k8s-rbac')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('waits out 429 TooManyRequests (Retry-After) on a continue page', async () => {
    let throttled = false;
    server.handle(
      apiServer({
        nodes2: () => {
          if (throttled) return { body: fixture('kubernetes', 'nodes-page-2') };
          throttled = true;
          return {
            status: 429,
            headers: { 'retry-after': '1' },
            body: fixture('kubernetes', 'status-too-many-requests'),
          };
        },
      }),
    );
    const result = await collectThroughPipeline({
      store,
      adapter: kubernetesAdapter,
      customerId: 'k8s-429',
      api: api({ include_pods: false }),
      secrets,
      dataTypes: ['resource'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 3 } });
    expect(server.requests.filter((r) => r.query.get('continue') === NODE_CONT)).toHaveLength(2);
  });

  it('explains an expired continue token (410) instead of writing half a list', async () => {
    server.handle(
      apiServer({ nodes2: () => ({ status: 410, body: fixture('kubernetes', 'status-expired') }) }),
    );
    const result = await collectThroughPipeline({
      store,
      adapter: kubernetesAdapter,
      customerId: 'k8s-410',
      api: api(),
      secrets,
      dataTypes: ['resource'],
    });
    expect(result.errors.resource).toBe(
      'GET /api/v1/nodes: the list changed too much while paging (continue token expired); the next collection lists again',
    );
    expect(await storedCounts(store, 'k8s-410')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('rejects a malformed list and writes nothing', async () => {
    server.handle(
      apiServer({
        nodes2: () => {
          const page = fixture<{ items: { status: { capacity: unknown } }[] }>('kubernetes', 'nodes-page-2');
          page.items[0]!.status.capacity = ['cpu', '4'];
          return { body: page };
        },
      }),
    );
    const result = await collectThroughPipeline({
      store,
      adapter: kubernetesAdapter,
      customerId: 'k8s-bad',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.cost).toBe(
      'GET /api/v1/nodes: unexpected response at items.0.status.capacity: Invalid input: expected record, received array',
    );
    expect(await storedCounts(store, 'k8s-bad')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('asks again in a new run', async () => {
    await kubernetesAdapter.cost!(
      adapterContext(kubernetesAdapter, api(), secrets, { taskId: 'run-1', dataType: 'cost' }),
    );
    await kubernetesAdapter.cost!(
      adapterContext(kubernetesAdapter, api(), secrets, { taskId: 'run-1', dataType: 'cost' }),
    );
    await kubernetesAdapter.cost!(
      adapterContext(kubernetesAdapter, api(), secrets, { taskId: 'run-2', dataType: 'cost' }),
    );
    expect(server.requests).toHaveLength(4);
  });

  describe('API server with a private CA', () => {
    let dir: string;
    let https: ReturnType<typeof createServer>;
    let url: string;
    let ca: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'k8s-ca-'));
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '2',
          '-subj',
          '/CN=kube-apiserver',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
      https = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            req.url?.includes('continue')
              ? fixture('kubernetes', 'nodes-page-2')
              : fixture('kubernetes', 'nodes-page-1'),
          ),
        );
      });
      await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
      url = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      https.closeAllConnections();
      await new Promise((r) => https.close(r));
      rmSync(dir, { recursive: true, force: true });
    });

    it('trusts the cluster CA given in settings', async () => {
      const ctx = adapterContext(
        kubernetesAdapter,
        { base_url: url, ca_cert: ca, page_size: 2, prices: PRICES },
        secrets,
        { dataType: 'cost' },
      );
      expect(await kubernetesAdapter.cost!(ctx)).toHaveLength(4);
    });

    it('collects through the registry with the CA from the connection’s api: settings', async () => {
      const cluster = { base_url: url, page_size: 2, prices: PRICES, include_pods: false };
      const trusted = await collectThroughPipeline({
        store,
        adapter: kubernetesAdapter,
        customerId: 'k8s-ca',
        api: { ...cluster, ca_cert: ca },
        secrets,
        dataTypes: ['resource', 'cost'],
      });
      expect(trusted).toMatchObject({ status: 'succeeded', rows: { resource: 3, cost: 4 } });
      expect(await storedCostTotal(store, 'k8s-ca')).toBe('49.7349');
      const untrusted = await collectThroughPipeline({
        store,
        adapter: kubernetesAdapter,
        customerId: 'k8s-no-ca',
        api: cluster,
        secrets,
        dataTypes: ['cost'],
      });
      expect(untrusted.status).toBe('failed');
      expect(untrusted.errors.cost).toMatch(
        /^127\.0\.0\.1:\d+\/api\/v1\/nodes: DEPTH_ZERO_SELF_SIGNED_CERT$/,
      );
      expect(await storedCounts(store, 'k8s-no-ca')).toEqual({ resources: 0, costs: 0, points: 0 });
    });

    it('refuses the unknown certificate without it', async () => {
      const ctx = adapterContext(kubernetesAdapter, { base_url: url, page_size: 2 }, secrets);
      await expect(kubernetesAdapter.cost!(ctx)).rejects.toBeInstanceOf(ProviderUnavailableError);
    });
  });
});

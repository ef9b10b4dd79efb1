import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { ProviderUnavailableError } from '../../../lib/errors';
import { dockerAdapter } from '../../../lib/providers/adapters/docker';
import { rows, testStore } from '../../helpers/store';
import { adapterContext, collectThroughPipeline, fixture, storedCounts } from './helpers';

const VLLM = '8dfafdbc3a40ed2f0f6c0f0d5a5e4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3';
const REDIS = '9cd87474be90aa1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829a';

interface Reply {
  status?: number;
  body: unknown;
}
type Handler = (req: { method: string; path: string; query: URLSearchParams; host: string }) => Reply;

/** The Docker Engine API served on a unix socket, as dockerd does on /var/run/docker.sock. */
function engine(o: { containers?: unknown; stats?: Handler } = {}): Handler {
  return (req) => {
    if (req.path === '/info') return { body: fixture('docker', 'info') };
    if (req.path === '/containers/json') return { body: o.containers ?? fixture('docker', 'containers') };
    const m = /^\/containers\/([0-9a-f]{64})\/stats$/.exec(req.path);
    if (m && o.stats) return o.stats(req);
    if (m?.[1] === VLLM) return { body: fixture('docker', 'stats-vllm') };
    if (m?.[1] === REDIS) return { body: fixture('docker', 'stats-redis') };
    return { status: 404, body: { message: 'page not found' } };
  };
}

let dir: string;
let socketPath: string;
let sock: Server;
let store: Store;
let handler: Handler = engine();
const requests: { method: string; path: string; query: URLSearchParams; host: string }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'docker-sock-'));
  socketPath = join(dir, 'docker.sock');
  sock = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const recorded = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      host: req.headers.host ?? '',
    };
    requests.push(recorded);
    const reply = handler(recorded);
    res.writeHead(reply.status ?? 200, {
      'content-type': 'application/json',
      'api-version': '1.47',
      server: 'Docker/27.3.1 (linux)',
    });
    res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
  });
  await new Promise<void>((r) => sock.listen(socketPath, r));
  store = await testStore();
});
afterAll(async () => {
  sock.closeAllConnections();
  await new Promise((r) => sock.close(r));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  requests.length = 0;
  handler = engine();
});

const api = () => ({ socket_path: socketPath });

describe('docker adapter (Engine API over a unix socket)', () => {
  it('lists the host and every container, running or not', async () => {
    const snapshots = await dockerAdapter.resources!(adapterContext(dockerAdapter, api(), {}));
    expect(snapshots.map((s) => [s.resource_type, s.name, s.status])).toEqual([
      ['host', 'gpu-box-1', 'running'],
      ['container', 'vllm-server', 'running'],
      ['container', 'redis', 'running'],
      ['container', 'finetune-old', 'exited'],
    ]);
    expect(snapshots[0]).toMatchObject({ vcpus: 32, memory_gib: 125.54, sku: 'Ubuntu 22.04.5 LTS' });
    expect(snapshots[0]?.attributes).toMatchObject({ engine_version: '27.3.1', nvidia_runtime: true });
    expect(snapshots[1]).toMatchObject({
      resource_id: VLLM,
      sku: 'vllm/vllm-openai:v0.6.3',
      created_at: 1795380000 * 1000,
      tags: { 'com.docker.compose.project': 'inference', 'com.docker.compose.service': 'vllm' },
    });
    expect(requests.map((r) => `${r.path}?${r.query}`).sort()).toEqual([
      '/containers/json?all=true',
      '/info?',
    ]);
  });

  it('stores inventory and CPU/memory utilisation of running containers through the pipeline', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: dockerAdapter,
      customerId: 'dk-store',
      api: api(),
      secrets: {},
      dataTypes: ['resource', 'performance'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 4, performance: 6 } });
    const points = await rows<{ resource_name: string; metric: string; value: number }>(
      store,
      `SELECT resource_name, metric, value FROM performance_points FINAL WHERE customer_id = 'dk-store' ORDER BY resource_name, metric`,
    );
    expect(points).toEqual([
      { resource_name: 'redis', metric: 'cpu_utilization', value: 1 },
      { resource_name: 'redis', metric: 'memory_used', value: 1347938467 },
      { resource_name: 'redis', metric: 'memory_utilization', value: 1 },
      { resource_name: 'vllm-server', metric: 'cpu_utilization', value: 25 },
      { resource_name: 'vllm-server', metric: 'memory_used', value: 6000000000 },
      { resource_name: 'vllm-server', metric: 'memory_utilization', value: 25 },
    ]);
    // The container list was read once for both data types; stats only for running containers.
    expect(requests.filter((r) => r.path === '/containers/json')).toHaveLength(1);
    expect(requests.filter((r) => r.path.endsWith('/stats')).map((r) => r.query.get('stream'))).toEqual([
      'false',
      'false',
    ]);
  });

  it('skips a container that disappeared between the list and its stats', async () => {
    handler = engine({
      stats: (req) =>
        req.path.includes(REDIS)
          ? { status: 404, body: fixture('docker', 'error-no-such-container') }
          : { body: fixture('docker', 'stats-vllm') },
    });
    const points = await dockerAdapter.performance!(
      adapterContext(dockerAdapter, api(), {}, { dataType: 'performance' }),
    );
    expect(new Set(points.map((p) => p.resource_id))).toEqual(new Set([VLLM]));
  });

  it('reports an authorization plugin’s refusal clearly and writes nothing', async () => {
    handler = () => ({ status: 403, body: fixture('docker', 'error-authz-denied') });
    const result = await collectThroughPipeline({
      store,
      adapter: dockerAdapter,
      customerId: 'dk-auth',
      api: api(),
      secrets: {},
      dataTypes: ['resource'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toMatch(
      /^localhost\/(info|containers\/json): HTTP 403 authorization denied by plugin opa-docker-authz: request rejected by administrative policy$/,
    );
    expect(await storedCounts(store, 'dk-auth')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('retries a throttling socket proxy (429) and a busy daemon (503), then succeeds', async () => {
    const normal = engine();
    let n = 0;
    handler = (req) => {
      if (req.path === '/containers/json' && n++ < 2) {
        return n === 1
          ? { status: 429, body: { message: 'rate limited by socket proxy' } }
          : { status: 503, body: { message: 'daemon busy' } };
      }
      return normal(req);
    };
    const result = await collectThroughPipeline({
      store,
      adapter: dockerAdapter,
      customerId: 'dk-429',
      api: api(),
      secrets: {},
      dataTypes: ['resource'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { resource: 4 } });
    expect(requests.filter((r) => r.path === '/containers/json')).toHaveLength(3);
  });

  it('rejects a malformed container list and writes nothing', async () => {
    const containers = fixture<Record<string, unknown>[]>('docker', 'containers');
    containers[2]!.Created = '2026-11-18T00:00:00Z';
    handler = engine({ containers });
    const result = await collectThroughPipeline({
      store,
      adapter: dockerAdapter,
      customerId: 'dk-bad',
      api: api(),
      secrets: {},
      dataTypes: ['resource', 'performance'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.resource).toBe(
      'GET /containers/json: unexpected response at 2.Created: Invalid input: expected number, received string',
    );
    expect(await storedCounts(store, 'dk-bad')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('fails clearly when the socket is not there', async () => {
    const ctx = adapterContext(dockerAdapter, { socket_path: join(dir, 'missing.sock') }, {});
    await expect(dockerAdapter.test(ctx)).rejects.toThrow(
      new ProviderUnavailableError('docker', 'localhost/info: ENOENT'),
    );
  });

  it('asks again in a new run', async () => {
    await dockerAdapter.resources!(adapterContext(dockerAdapter, api(), {}, { taskId: 'd-1' }));
    await dockerAdapter.resources!(adapterContext(dockerAdapter, api(), {}, { taskId: 'd-1' }));
    await dockerAdapter.resources!(adapterContext(dockerAdapter, api(), {}, { taskId: 'd-2' }));
    expect(requests).toHaveLength(4);
  });
});

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { createWriter } from '../../lib/clickhouse/writer';
import { DEFAULT_RETRY, withRetry } from '../../lib/collector/retry';
import { createRequestMeter, runCollection } from '../../lib/collector/run';
import type { CollectContext, Connection } from '../../lib/collector/types';
import { mapLimit } from '../../lib/concurrency';
import { staticConnections } from '../../lib/connections/source';
import { ADAPTERS, type AdapterSettings } from '../../lib/providers/adapters';
import { PODS_QUERY } from '../../lib/providers/adapters/runpod';
import { createRegistry } from '../../lib/providers/registry';
import { type BenchContext, type BenchSection, percentile } from '../harness';

/**
 * Load test of the GPU/general-cloud API adapters: 100 customers × 10 providers, each
 * provider a local server in its wire format answering every request after 100 ms, each
 * collection every data type the adapter has. Measured twice: the adapters alone (no
 * storage) at CONCURRENCY, and the full pipeline (runCollection writing to the bench's
 * embedded ClickHouse) at STORE_CONCURRENCY. Each is compared with a bare `fetch` of the
 * same URLs in the same order (no validation, mapping, retry, cache or storage) at the
 * same concurrency, so the ratio is what our stack costs over the network.
 */

const CUSTOMERS = 100;
const LATENCY_MS = 100;
const CONCURRENCY = 50;
/**
 * The embedded store (chDB) runs one statement at a time for the whole process
 * (lib/clickhouse/embedded.ts), so with storage more collections in flight only queue
 * longer behind each other's writes without finishing sooner; production writes go to
 * ClickHouse over HTTP from separate Lambda invocations. GENERIC_LOAD_STORE_CONCURRENCY
 * overrides it (e.g. 50, to see the queueing).
 */
const STORE_CONCURRENCY = Number(process.env.GENERIC_LOAD_STORE_CONCURRENCY ?? 10);
/** Resources per customer per provider (two pages everywhere the API pages). */
const ITEMS = 20;
const PAGE = 10;
const GOAL_P95_MS = 5_000;

const iso = (ms: number) => new Date(ms).toISOString();
const NOW = Date.now();
const token = (c: number) => `tok-${String(c).padStart(3, '0')}`;
const customerOf = (req: IncomingMessage): number => {
  const auth = req.headers.authorization ?? (req.headers['x-ovh-consumer'] as string | undefined) ?? '';
  const m = /tok-(\d{3})/.exec(auth);
  return m ? Number(m[1]) : -1;
};
const ids = (c: number, prefix: string) => Array.from({ length: ITEMS }, (_, i) => `${prefix}-${c}-${i}`);
const pageOf = <T>(list: T[], page: number) => list.slice((page - 1) * PAGE, page * PAGE);

type Wire = (req: IncomingMessage, url: URL, body: string, c: number) => unknown;

/** What each provider's fake answers, per customer, in its documented shape. */
const WIRE: Record<string, Wire> = {
  runpod: (_req, _url, _body, c) => ({
    data: {
      myself: {
        id: `user-${c}`,
        pods: ids(c, 'pod').map((id, i) => ({
          id,
          name: `pod-${i}`,
          desiredStatus: i % 4 === 0 ? 'EXITED' : 'RUNNING',
          costPerHr: 0.44 + i / 100,
          gpuCount: 1 + (i % 2),
          vcpuCount: 16,
          memoryInGb: 62,
          imageName: 'runpod/pytorch:2.4.0',
          machine: {
            gpuDisplayName: 'A100 80GB',
            gpuTypeId: 'NVIDIA A100 80GB PCIe',
            dataCenterId: 'US-KS-2',
          },
          runtime:
            i % 4 === 0
              ? null
              : {
                  uptimeInSeconds: 3600 + i * 60,
                  gpus: [{ id: `GPU-${id}`, gpuUtilPercent: 50 + i, memoryUtilPercent: 40 }],
                  container: { cpuPercent: 20, memoryPercent: 30 },
                },
        })),
      },
    },
  }),
  lambdalabs: (_req, _url, _body, c) => ({
    data: ids(c, 'lambda').map((id, i) => ({
      id,
      name: `node-${i}`,
      ip: '198.51.100.2',
      status: i % 5 === 0 ? 'terminated' : 'active',
      region: { name: 'us-east-1', description: 'Virginia, USA' },
      instance_type: {
        name: 'gpu_1x_h100_sxm5',
        description: '1x H100 (80 GB SXM5)',
        gpu_description: 'H100 (80 GB SXM5)',
        price_cents_per_hour: 329,
        specs: { vcpus: 26, memory_gib: 225, storage_gib: 2750, gpus: 1 },
      },
      hostname: `10-0-0-${i}.cloud.lambdalabs.com`,
      is_reserved: false,
    })),
  }),
  digitalocean: (_req, url, _body, c) => {
    const page = Number(url.searchParams.get('page') ?? 1);
    return {
      droplets: pageOf(ids(c, 'd'), page).map((id, i) => ({
        id: Number(`${c + 1}${page}${String(i).padStart(3, '0')}`),
        name: id,
        status: i % 6 === 0 ? 'off' : 'active',
        vcpus: 2,
        memory: 4096,
        disk: 80,
        created_at: iso(NOW - (5 + i) * 3_600_000),
        size_slug: 's-2vcpu-4gb',
        size: { price_hourly: 0.03571, price_monthly: 24 },
        region: { slug: 'nyc3', name: 'New York 3' },
        image: { distribution: 'Ubuntu', name: '24.04 (LTS) x64' },
        tags: ['env:prod'],
      })),
      links:
        page === 1
          ? { pages: { next: 'https://api.digitalocean.com/v2/droplets?page=2&per_page=200' } }
          : { pages: {} },
      meta: { total: ITEMS },
    };
  },
  linode: (_req, url, _body, c) => {
    const page = Number(url.searchParams.get('page') ?? 1);
    if (url.pathname.endsWith('/types')) {
      return {
        data: [
          {
            id: 'g6-standard-2',
            label: 'Linode 4GB',
            class: 'standard',
            gpus: 0,
            price: { hourly: 0.036, monthly: 24 },
            region_prices: [],
          },
        ],
        page: 1,
        pages: 1,
        results: 1,
      };
    }
    return {
      data: pageOf(ids(c, 'l'), page).map((id, i) => ({
        id: (c + 1) * 1000 + page * 100 + i,
        label: id,
        type: 'g6-standard-2',
        region: 'us-east',
        status: 'running',
        created: iso(NOW - (5 + i) * 3_600_000).replace('.000Z', ''),
        tags: [],
        specs: { vcpus: 2, memory: 4096, disk: 81920, gpus: 0, transfer: 4000 },
      })),
      page,
      pages: ITEMS / PAGE,
      results: ITEMS,
    };
  },
  hetzner: (_req, url, _body, c) => {
    if (url.pathname.endsWith('/pricing'))
      return { pricing: { currency: 'EUR', vat_rate: '19.00', server_types: [] } };
    const page = Number(url.searchParams.get('page') ?? 1);
    const prices = [
      {
        location: 'fsn1',
        price_hourly: { net: '0.0060000000', gross: '0.0071400000000000' },
        price_monthly: { net: '3.7900000000', gross: '4.5101000000000000' },
      },
    ];
    return {
      servers: pageOf(ids(c, 'h'), page).map((id, i) => ({
        id: (c + 1) * 1000 + page * 100 + i,
        name: id,
        status: 'running',
        created: iso(NOW - (5 + i) * 3_600_000),
        labels: { team: 'ml' },
        server_type: {
          name: 'cx22',
          cores: 2,
          memory: 4,
          disk: 40,
          cpu_type: 'shared',
          architecture: 'x86',
          prices,
        },
        datacenter: { name: 'fsn1-dc14', location: { name: 'fsn1', city: 'Falkenstein' } },
        public_net: { ipv4: { ip: '49.12.10.11' } },
      })),
      meta: {
        pagination: {
          page,
          per_page: PAGE,
          next_page: page < ITEMS / PAGE ? page + 1 : null,
          last_page: ITEMS / PAGE,
        },
      },
    };
  },
  paperspace: (_req, url, _body, c) => {
    const page = url.searchParams.get('after') ? 2 : 1;
    return {
      items: pageOf(ids(c, 'ps'), page).map((id, i) => ({
        id,
        name: id,
        state: i % 3 === 0 ? 'off' : 'ready',
        machineType: 'A4000',
        region: 'ny2',
        cpus: 8,
        ram: '48318382080',
        gpu: 'A4000',
        dtCreated: iso(NOW - 86_400_000),
      })),
      hasMore: page === 1,
      nextPage: page === 1 ? `cursor-${c}` : null,
    };
  },
  ovh: (_req, url, _body, c) => {
    const path = url.pathname;
    if (path.endsWith('/auth/time')) return Math.floor(Date.now() / 1000);
    if (path.endsWith('/flavor'))
      return [
        { id: 'fl-b3-8', name: 'b3-8', region: 'GRA11', vcpus: 2, ram: 8, disk: 50, type: 'ovh.ssd.cpu' },
      ];
    if (path.endsWith('/instance')) {
      return ids(c, 'ovh').map((id) => ({
        id,
        name: id,
        status: 'ACTIVE',
        created: iso(NOW - 86_400_000),
        region: 'GRA11',
        flavorId: 'fl-b3-8',
      }));
    }
    const month = new Date(NOW);
    return {
      period: { from: iso(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1)), to: iso(NOW) },
      lastUpdate: iso(NOW),
      hourlyUsage: {
        instance: [
          {
            region: 'GRA11',
            reference: 'b3-8.consumption',
            quantity: { unit: 'Hour', value: 24 * ITEMS },
            totalPrice: 0.0612 * 24 * ITEMS,
            details: ids(c, 'ovh').map((id) => ({
              instanceId: id,
              quantity: { unit: 'Hour', value: 24 },
              totalPrice: 1.4688,
            })),
          },
        ],
      },
      monthlyUsage: { instance: [] },
    };
  },
  kubernetes: (_req, url, _body, c) => k8s(url, c, 'p4d.24xlarge'),
  coreweave: (_req, url, _body, c) => k8s(url, c, 'gd-8xh100ib-i128'),
};

function k8s(url: URL, c: number, instanceType: string): unknown {
  const page = url.searchParams.get('continue') ? 2 : 1;
  const cont = page === 1 ? `page2-${c}` : undefined;
  const nodeNames = ids(c, 'node');
  if (url.pathname === '/apis/metrics.k8s.io/v1beta1/nodes') {
    return {
      items: nodeNames.map((name) => ({
        metadata: { name },
        timestamp: iso(NOW),
        usage: { cpu: '48000m', memory: '588185374Ki' },
      })),
    };
  }
  if (url.pathname === '/api/v1/nodes') {
    return {
      metadata: { continue: cont },
      items: pageOf(nodeNames, page).map((name, i) => ({
        metadata: {
          name,
          uid: `${name}-uid`,
          creationTimestamp: iso(NOW - (5 + i) * 3_600_000),
          labels: {
            'node.kubernetes.io/instance-type': instanceType,
            'topology.kubernetes.io/region': 'us-east-1',
            'topology.kubernetes.io/zone': 'us-east-1a',
            'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-40GB',
            'gpu.nvidia.com/class': 'H100_NVLINK_80GB',
          },
        },
        spec: { providerID: `aws:///us-east-1a/${name}` },
        status: {
          capacity: { cpu: '96', memory: '1176370748Ki', 'nvidia.com/gpu': '8' },
          allocatable: { cpu: '96', memory: '1176370748Ki', 'nvidia.com/gpu': '8' },
          conditions: [{ type: 'Ready', status: 'True' }],
          nodeInfo: { kubeletVersion: 'v1.31.2', osImage: 'Amazon Linux 2023', architecture: 'amd64' },
        },
      })),
    };
  }
  return {
    metadata: { continue: cont },
    items: pageOf(ids(c, 'pod'), page).map((name, i) => ({
      metadata: {
        name,
        namespace: 'ml',
        uid: `${name}-uid`,
        creationTimestamp: iso(NOW - 3_600_000),
        labels: { app: 'train' },
      },
      spec: {
        nodeName: nodeNames[i],
        containers: [
          {
            name: 'trainer',
            image: 'nvcr.io/nvidia/pytorch:24.10-py3',
            resources: { limits: { 'nvidia.com/gpu': '8' }, requests: { cpu: '90' } },
          },
        ],
      },
      status: { phase: 'Running', startTime: iso(NOW - 3_600_000) },
    })),
  };
}

const DOCKER_CONTAINERS = Array.from({ length: ITEMS }, (_, i) => ({
  Id: (i.toString(16).padStart(2, '0') + 'ab'.repeat(31)).slice(0, 64),
  Names: [`/svc-${i}`],
  Image: 'vllm/vllm-openai:v0.6.3',
  Created: Math.floor(NOW / 1000) - 3600,
  State: i < 4 ? 'running' : 'exited',
  Status: i < 4 ? 'Up 1 hour' : 'Exited (0) 1 hour ago',
  Labels: { 'com.docker.compose.project': 'inference' },
}));
const DOCKER_STATS = {
  read: iso(NOW),
  cpu_stats: {
    cpu_usage: { total_usage: 1_158_000_000_000 },
    system_cpu_usage: 739_306_622_000_000_000,
    online_cpus: 32,
  },
  precpu_stats: { cpu_usage: { total_usage: 1_150_000_000_000 }, system_cpu_usage: 739_306_590_000_000_000 },
  memory_stats: { usage: 6_537_216_000, limit: 24_000_000_000, stats: { inactive_file: 537_216_000 } },
};
function docker(url: URL): unknown {
  if (url.pathname === '/info') {
    return {
      ID: 'BENCH:HOST',
      Name: 'gpu-box',
      NCPU: 32,
      MemTotal: 134793846784,
      OperatingSystem: 'Ubuntu 22.04',
      ServerVersion: '27.3.1',
    };
  }
  if (url.pathname === '/containers/json') return DOCKER_CONTAINERS;
  return DOCKER_STATS;
}

/** A provider stand-in that answers every request after LATENCY_MS, on a port or a unix socket. */
async function latencyServer(
  answer: (req: IncomingMessage, url: URL, body: string) => unknown,
  socketPath?: string,
) {
  let requests = 0;
  const server: Server = createServer(async (req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = JSON.stringify(answer(req, url, Buffer.concat(chunks).toString('utf8')));
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    }, LATENCY_MS);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) =>
    socketPath ? server.listen(socketPath, resolve) : server.listen(0, '127.0.0.1', resolve),
  );
  const url = socketPath ? 'http://localhost' : `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The same URLs our adapters ask, in the same order and waves, for the bare-fetch baseline. */
function baselineWaves(provider: string, base: string, c: number): { url: string; body?: string }[][] {
  const g = (path: string) => ({ url: `${base}${path}` });
  switch (provider) {
    case 'runpod':
      return [[{ url: `${base}/graphql`, body: JSON.stringify({ query: PODS_QUERY, variables: {} }) }]];
    case 'lambdalabs':
      return [[g('/api/v1/instances')]];
    case 'digitalocean':
      return [[g('/v2/droplets?page=1&per_page=200')], [g('/v2/droplets?page=2&per_page=200')]];
    case 'linode':
      return [
        [g('/v4/linode/instances?page=1&page_size=500'), g('/v4/linode/types?page=1&page_size=500')],
        [g('/v4/linode/instances?page=2&page_size=500')],
      ];
    case 'hetzner':
      return [[g('/v1/servers?page=1&per_page=50'), g('/v1/pricing')], [g('/v1/servers?page=2&per_page=50')]];
    case 'paperspace':
      return [[g('/v1/machines?limit=100')], [g(`/v1/machines?limit=100&after=cursor-${c}`)]];
    case 'ovh':
      return [
        [g('/1.0/cloud/project/bench/instance'), g('/1.0/cloud/project/bench/flavor')],
        [g('/1.0/cloud/project/bench/usage/current')],
      ];
    case 'kubernetes':
      return [
        [g(`/api/v1/nodes?limit=${PAGE}`), g(`/api/v1/pods?limit=${PAGE}`)],
        [
          g(`/api/v1/nodes?limit=${PAGE}&continue=page2-${c}`),
          g(`/api/v1/pods?limit=${PAGE}&continue=page2-${c}`),
        ],
        [g('/apis/metrics.k8s.io/v1beta1/nodes')],
      ];
    case 'coreweave':
      return [
        [g(`/api/v1/nodes?limit=${PAGE}`)],
        [g(`/api/v1/nodes?limit=${PAGE}&continue=page2-${c}`)],
        [g('/apis/metrics.k8s.io/v1beta1/nodes')],
      ];
    case 'docker':
      return [
        [g('/info'), g('/containers/json?all=true')],
        DOCKER_CONTAINERS.filter((x) => x.State === 'running').map((x) =>
          g(`/containers/${x.Id}/stats?stream=false`),
        ),
      ];
    default:
      throw new Error(`no baseline for ${provider}`);
  }
}

function settingsFor(provider: string, url: string, socketPath: string): AdapterSettings {
  switch (provider) {
    case 'lambdalabs':
      return { base_url: `${url}/api/v1` };
    case 'paperspace':
      return { base_url: `${url}/v1`, prices: { A4000: '0.76' } };
    case 'ovh':
      return { base_url: `${url}/1.0`, project_id: 'bench' };
    case 'kubernetes':
      return { base_url: url, page_size: PAGE, prices: { 'p4d.24xlarge': '32.7726' } };
    case 'coreweave':
      return { base_url: url, page_size: PAGE, include_pods: false, prices: { 'gd-8xh100ib-i128': '49.24' } };
    case 'docker':
      return { socket_path: socketPath };
    default:
      return { base_url: url };
  }
}

function secretsFor(provider: string, c: number): Record<string, string> {
  const adapter = ADAPTERS.find((a) => a.id === provider);
  return Object.fromEntries((adapter?.secretNames ?? []).map((name) => [name, token(c)]));
}

/** Samples resident memory every 20 ms; `stop()` returns the peak. */
function memoryPeak() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

const MB = 1024 * 1024;

interface Phase {
  times: number[];
  wallMs: number;
  peakRss: number;
  rssBefore: number;
  requests: number;
  rows: number;
}

/** Runs `one` over every job, `concurrency` at a time, timing each and sampling memory. */
async function phase(
  jobs: readonly Job[],
  concurrency: number,
  requestCount: () => number,
  one: (job: Job, index: number) => Promise<number>,
): Promise<Phase> {
  const requestsBefore = requestCount();
  const rssBefore = process.memoryUsage().rss;
  const mem = memoryPeak();
  const times: number[] = [];
  let rows = 0;
  const t0 = performance.now();
  await mapLimit(jobs, concurrency, async (job, index) => {
    const started = performance.now();
    const n = await one(job, index);
    rows += n;
    times.push(performance.now() - started);
  });
  return {
    times,
    wallMs: performance.now() - t0,
    peakRss: mem.stop(),
    rssBefore,
    requests: requestCount() - requestsBefore,
    rows,
  };
}

interface Job {
  provider: string;
  c: number;
}

const section: BenchSection = {
  name: 'generic-load',
  async run(ctx: BenchContext) {
    const dir = mkdtempSync(join(tmpdir(), 'generic-load-'));
    const socketPath = join(dir, 'docker.sock');
    const servers = new Map<string, Awaited<ReturnType<typeof latencyServer>>>();
    const dockerAgent = new Agent({ connect: { socketPath } });
    try {
      for (const adapter of ADAPTERS) {
        const wire = WIRE[adapter.id] as Wire;
        servers.set(
          adapter.id,
          adapter.id === 'docker'
            ? await latencyServer((_req, url) => docker(url), socketPath)
            : await latencyServer((req, url, body) => wire(req, url, body, customerOf(req))),
        );
      }
      const urlOf = (provider: string) => (servers.get(provider) as { url: string }).url;
      const requestCount = () => [...servers.values()].reduce((n, s) => n + s.requests, 0);
      // Customer by customer, so every provider's server sees load all along.
      const jobs: Job[] = Array.from({ length: CUSTOMERS }, (_, c) =>
        ADAPTERS.map((a) => ({ provider: a.id, c })),
      ).flat();
      const connections: Connection[] = jobs.map(({ provider, c }) => ({
        id: 'main',
        customerId: `load-c${String(c).padStart(3, '0')}`,
        provider,
        enabled: true,
        settings: { api: settingsFor(provider, urlOf(provider), socketPath) },
        secrets: secretsFor(provider, c),
        source: 'config',
      }));
      // The shipped providers: each adapter as its catalog entry composes it.
      const registry = createRegistry();
      ctx.progress(
        `${jobs.length} collections (${CUSTOMERS} customers × ${ADAPTERS.length} providers), ${LATENCY_MS} ms per response`,
      );

      /** The same requests with bare fetch: no validation, mapping, retry, cache or storage. */
      const bare = async ({ provider, c }: Job) => {
        const headers: Record<string, string> = {
          authorization: `Bearer ${token(c)}`,
          'x-ovh-consumer': token(c),
          'content-type': 'application/json',
        };
        for (const wave of baselineWaves(provider, urlOf(provider), c)) {
          await Promise.all(
            wave.map(async (r) => {
              const res = await fetch(r.url, {
                method: r.body ? 'POST' : 'GET',
                headers,
                body: r.body,
                ...(provider === 'docker' ? { dispatcher: dockerAgent } : {}),
              } as RequestInit);
              JSON.parse(await res.text());
            }),
          );
        }
        return 0;
      };

      /** Our collectors on a context like runCollection's; rows mapped and counted, not stored. */
      const adaptersOnly = async ({ provider }: Job, index: number) => {
        const definition = registry.get(provider);
        const connection = connections[index] as Connection;
        const taskId = randomUUID();
        let rows = 0;
        for (const dataType of registry.dataTypes(provider)) {
          const collector = definition?.collectors[dataType] as (
            c: CollectContext,
          ) => AsyncIterable<unknown[]>;
          const collect: CollectContext = {
            taskId,
            customerId: connection.customerId,
            provider,
            dataType,
            connection,
            window: { start: new Date(Date.now() - 3_600_000), end: new Date() },
            signal: new AbortController().signal,
            logger: ctx.logger,
            meter: createRequestMeter(),
            now: () => new Date(),
            retry: (_label, fn) => withRetry(fn, DEFAULT_RETRY),
          };
          for await (const batch of collector(collect)) rows += batch.length;
        }
        return rows;
      };

      /** The whole stack: runCollection, validated writes to the embedded store, runs and watermarks recorded. */
      const deps = {
        store: ctx.store,
        writer: createWriter(ctx.store),
        registry,
        connections: staticConnections(connections),
        logger: ctx.logger,
        retry: DEFAULT_RETRY,
        maxBackfillMs: 30 * 86_400_000,
      };
      const failures: string[] = [];
      const byProvider = new Map<string, number[]>();
      const pipeline = async ({ provider, c }: Job) => {
        const started = performance.now();
        const result = await runCollection(
          {
            taskId: randomUUID(),
            customerId: `load-c${String(c).padStart(3, '0')}`,
            provider,
            dataTypes: registry.dataTypes(provider),
            trigger: 'scheduled',
            queuedAt: new Date().toISOString(),
          },
          deps,
        );
        byProvider.set(provider, [...(byProvider.get(provider) ?? []), performance.now() - started]);
        if (result.status !== 'succeeded')
          failures.push(`${provider}/${c}: ${JSON.stringify(result.errors)}`);
        return Object.values(result.rows).reduce((a, b) => a + b, 0);
      };

      const base = await phase(jobs, CONCURRENCY, requestCount, bare);
      ctx.progress(
        `bare fetch, ${CONCURRENCY} at a time: ${base.requests} requests in ${(base.wallMs / 1000).toFixed(1)} s`,
      );
      const solo = await phase(jobs, CONCURRENCY, requestCount, adaptersOnly);
      ctx.progress(
        `adapters only, ${CONCURRENCY} at a time: ${solo.requests} requests in ${(solo.wallMs / 1000).toFixed(1)} s`,
      );
      const baseStore = await phase(jobs, STORE_CONCURRENCY, requestCount, bare);
      ctx.progress(`bare fetch, ${STORE_CONCURRENCY} at a time: ${(baseStore.wallMs / 1000).toFixed(1)} s`);
      const full = await phase(jobs, STORE_CONCURRENCY, requestCount, pipeline);
      if (failures.length > 0) {
        throw new Error(`${failures.length} collections failed, e.g. ${failures.slice(0, 3).join('; ')}`);
      }

      const row = (metric: string, ours: number, baseline: number, unit: string, note: string) =>
        ctx.report({ section: 'generic-load', metric, ours, baseline, unit, better: 'lower', note });
      const p95 = (p: Phase) => percentile(p.times, 95);
      const goal = (p: Phase) =>
        `goal < ${GOAL_P95_MS} ms: ${p95(p) < GOAL_P95_MS ? 'met' : 'NOT met'}; p50 ${Math.round(percentile(p.times, 50))} ms, max ${Math.round(Math.max(...p.times))} ms`;
      const mb = (n: number) => Math.round(n / MB);

      row(
        `wall, adapters only, ${CONCURRENCY} at a time`,
        solo.wallMs / 1000,
        base.wallMs / 1000,
        's',
        `${solo.rows.toLocaleString('en-US')} rows mapped; ${solo.requests} requests vs ${base.requests} bare`,
      );
      row(
        `p95 per collection, adapters only, ${CONCURRENCY} at a time`,
        p95(solo),
        p95(base),
        'ms',
        goal(solo),
      );
      row(
        `peak RSS, adapters only`,
        solo.peakRss / MB,
        base.peakRss / MB,
        'MB',
        `growth in phase: ours +${mb(solo.peakRss - solo.rssBefore)} MB, bare +${mb(base.peakRss - base.rssBefore)} MB`,
      );
      row(
        `wall, full pipeline + embedded store, ${STORE_CONCURRENCY} at a time`,
        full.wallMs / 1000,
        baseStore.wallMs / 1000,
        's',
        `${full.rows.toLocaleString('en-US')} rows written; ${full.requests} requests`,
      );
      row(
        `p95 per collection, full pipeline, ${STORE_CONCURRENCY} at a time`,
        p95(full),
        p95(baseStore),
        'ms',
        goal(full),
      );
      row(
        `peak RSS, full pipeline`,
        full.peakRss / MB,
        baseStore.peakRss / MB,
        'MB',
        `growth in phase: ours +${mb(full.peakRss - full.rssBefore)} MB (embedded ClickHouse included)`,
      );
      ctx.progress(
        `full pipeline p95 per provider (ms): ${[...byProvider.entries()].map(([p, t]) => `${p} ${Math.round(percentile(t, 95))}`).join(', ')}`,
      );
    } finally {
      await dockerAgent.close();
      await Promise.all([...servers.values()].map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default section;

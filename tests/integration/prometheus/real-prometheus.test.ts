import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter } from '../../../lib/clickhouse/writer';
import { type RunDeps, runCollection } from '../../../lib/collector/run';
import type { CollectionJob, Connection } from '../../../lib/collector/types';
import { staticConnections } from '../../../lib/connections/source';
import { createRegistry } from '../../../lib/providers/registry';
import { rows, silentLogger, testStore } from '../../helpers/store';
import { type LocalExporter, NODE, POD, startExporter } from './exporter';
import { findPrometheus, type RunningPrometheus, startPrometheus, waitForQuery } from './real-prometheus';

/**
 * The real thing: the Debian `prometheus` binary scrapes a local exporter serving
 * node_exporter, dcgm-exporter and kubelet/kube-state metrics every second; collection
 * runs the query sets shipped in providers.yaml against it through runCollection, and
 * the points stored in ClickHouse must be exactly what the exporter served.
 */

const GPU0 = 'GPU-5a1c7e0e-3f1b-2c47-9d3e-6b8f0a1d2e3f';
const GPU1 = 'GPU-9e2b4c6d-8a0f-4e1d-b3c5-7f9a1b2c3d4e';
const MIB = 1_048_576;

/** tests/fixtures/dcgm/h100-two-gpus.txt, field by field, as the vocabulary stores it. */
const GPU_EXPECTED: [uuid: string, metric: string, unit: string, value: number, source: string][] = [
  [GPU0, 'gpu_utilization', 'percent', 87, 'DCGM_FI_DEV_GPU_UTIL'],
  [GPU1, 'gpu_utilization', 'percent', 12, 'DCGM_FI_DEV_GPU_UTIL'],
  [GPU0, 'gpu_memory_copy_utilization', 'percent', 40, 'DCGM_FI_DEV_MEM_COPY_UTIL'],
  [GPU1, 'gpu_memory_copy_utilization', 'percent', 3, 'DCGM_FI_DEV_MEM_COPY_UTIL'],
  [GPU0, 'gpu_memory_used', 'bytes', 61440 * MIB, 'DCGM_FI_DEV_FB_USED'],
  [GPU1, 'gpu_memory_used', 'bytes', 1024 * MIB, 'DCGM_FI_DEV_FB_USED'],
  [GPU0, 'gpu_memory_free', 'bytes', 20040 * MIB, 'DCGM_FI_DEV_FB_FREE'],
  [GPU1, 'gpu_memory_free', 'bytes', 80456 * MIB, 'DCGM_FI_DEV_FB_FREE'],
  [
    GPU0,
    'gpu_memory_utilization',
    'percent',
    (100 * 61440) / (61440 + 20040),
    'DCGM_FI_DEV_FB_USED/(FB_USED+FB_FREE)',
  ],
  [
    GPU1,
    'gpu_memory_utilization',
    'percent',
    (100 * 1024) / (1024 + 80456),
    'DCGM_FI_DEV_FB_USED/(FB_USED+FB_FREE)',
  ],
  [GPU0, 'gpu_power', 'watts', 612.345, 'DCGM_FI_DEV_POWER_USAGE'],
  [GPU1, 'gpu_power', 'watts', 71.5, 'DCGM_FI_DEV_POWER_USAGE'],
  [GPU0, 'gpu_temperature', 'celsius', 71, 'DCGM_FI_DEV_GPU_TEMP'],
  [GPU1, 'gpu_temperature', 'celsius', 38, 'DCGM_FI_DEV_GPU_TEMP'],
  // GPU 1's memory temperature is NaN in the fixture: no point.
  [GPU0, 'gpu_memory_temperature', 'celsius', 78, 'DCGM_FI_DEV_MEMORY_TEMP'],
  [GPU0, 'gpu_sm_clock', 'megahertz', 1980, 'DCGM_FI_DEV_SM_CLOCK'],
  [GPU1, 'gpu_sm_clock', 'megahertz', 345, 'DCGM_FI_DEV_SM_CLOCK'],
  [GPU0, 'gpu_memory_clock', 'megahertz', 2619, 'DCGM_FI_DEV_MEM_CLOCK'],
  [GPU1, 'gpu_memory_clock', 'megahertz', 2619, 'DCGM_FI_DEV_MEM_CLOCK'],
  [GPU0, 'gpu_graphics_engine_active', 'percent', 0.910547 * 100, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE'],
  [GPU1, 'gpu_graphics_engine_active', 'percent', 0.021337 * 100, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE'],
  [GPU0, 'gpu_sm_active', 'percent', 0.832116 * 100, 'DCGM_FI_PROF_SM_ACTIVE'],
  [GPU1, 'gpu_sm_active', 'percent', 0.010412 * 100, 'DCGM_FI_PROF_SM_ACTIVE'],
  [GPU0, 'gpu_sm_occupancy', 'percent', 0.447813 * 100, 'DCGM_FI_PROF_SM_OCCUPANCY'],
  [GPU1, 'gpu_sm_occupancy', 'percent', 0.004791 * 100, 'DCGM_FI_PROF_SM_OCCUPANCY'],
  [GPU0, 'gpu_tensor_active', 'percent', 0.42 * 100, 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE'],
  [GPU1, 'gpu_tensor_active', 'percent', 0 * 100, 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE'],
  [GPU0, 'gpu_dram_active', 'percent', 0.603375 * 100, 'DCGM_FI_PROF_DRAM_ACTIVE'],
  [GPU1, 'gpu_dram_active', 'percent', 0.018442 * 100, 'DCGM_FI_PROF_DRAM_ACTIVE'],
  [GPU0, 'gpu_xid_error', 'code', 0, 'DCGM_FI_DEV_XID_ERRORS'],
  [GPU1, 'gpu_xid_error', 'code', 79, 'DCGM_FI_DEV_XID_ERRORS'],
];

const root = NODE.filesystems[0]!;
/** Gauges and gauge arithmetic: Prometheus computes them in float64 exactly as written here. */
const NODE_EXACT: [metric: string, dimension: string, unit: string, value: number][] = [
  ['load_average_1m', '', 'count', NODE.load1],
  ['memory_utilization', '', 'percent', 100 * (1 - NODE.memAvailableBytes / NODE.memTotalBytes)],
  ['memory_used', '', 'bytes', NODE.memTotalBytes - NODE.memAvailableBytes],
  ['disk_utilization', '/', 'percent', 100 * (1 - root.avail / root.size)],
  ['disk_used', '/', 'bytes', root.size - root.free],
];
/**
 * rate() of counters that grow linearly: exact in real numbers; Prometheus's extrapolation
 * multiplies by a ratio of durations, so float64 may differ in the last bits (hence 9 digits).
 */
const NODE_RATES: [metric: string, dimension: string, unit: string, value: number][] = [
  ['cpu_utilization', '', 'percent', 100 * (1 - (NODE.cpuIdle['0']! + NODE.cpuIdle['1']!) / 2)],
  ['disk_read', 'nvme0n1', 'bytes_per_second', NODE.disks.nvme0n1!.read],
  ['disk_write', 'nvme0n1', 'bytes_per_second', NODE.disks.nvme0n1!.written],
  ['network_in', 'eth0', 'bytes_per_second', NODE.interfaces.eth0!.rx],
  ['network_out', 'eth0', 'bytes_per_second', NODE.interfaces.eth0!.tx],
];
const POD_ID = `${POD.namespace}/${POD.pod}`;
const POD_EXACT: [metric: string, unit: string, value: number][] = [
  ['memory_used', 'bytes', POD.workingSetBytes],
  ['cpu_requests', 'cores', POD.requests.cpu],
  ['cpu_limits', 'cores', POD.limits.cpu],
  ['memory_requests', 'bytes', POD.requests.memory],
  ['memory_limits', 'bytes', POD.limits.memory],
  ['gpu_requests', 'count', POD.requests.nvidia_com_gpu],
];
const POD_RATES: [metric: string, unit: string, value: number][] = [
  ['cpu_usage', 'cores', POD.cpuCores],
  ['network_in', 'bytes_per_second', POD.rxBytesPerSecond],
  ['network_out', 'bytes_per_second', POD.txBytesPerSecond],
];

interface StoredPoint {
  metric: string;
  resource_id: string;
  resource_name: string;
  resource_type: string;
  dimension: string;
  unit: string;
  value: number;
  ts_ms: string;
  source_metric: string;
  labels: Record<string, string>;
}

let exporter: LocalExporter;
let prometheus: RunningPrometheus;
let store: Store;

beforeAll(async () => {
  exporter = await startExporter();
  prometheus = await startPrometheus([
    { job: 'node', target: exporter.host, metricsPath: '/node/metrics' },
    { job: 'dcgm', target: exporter.host, metricsPath: '/dcgm/metrics' },
    { job: 'k8s', target: exporter.host, metricsPath: '/k8s/metrics' },
  ]);
  store = await testStore();
  // Enough history for rate() over the whole window: a dozen scrapes of every job.
  for (const q of [
    'node_load1',
    'DCGM_FI_DEV_GPU_UTIL{gpu="0"}',
    'kube_pod_container_resource_requests{resource="cpu"}',
  ]) {
    await waitForQuery(prometheus.url, `count_over_time(${q}[1m])`, 12, 45_000);
  }
  // …and a window of at least eight settled instants (see settledWindow).
  const first = Math.max(exporter.firstScrape.node!, exporter.firstScrape.dcgm!, exporter.firstScrape.k8s!);
  while (Date.now() < first + 17_000) await new Promise((r) => setTimeout(r, 250));
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

function deps(connection: Connection, now?: Date): RunDeps {
  return {
    store,
    writer: createWriter(store),
    registry: createRegistry(),
    connections: staticConnections([connection]),
    logger: silentLogger(),
    retry: { maxAttempts: 2, baseMs: 10, capMs: 50 },
    maxBackfillMs: 24 * 3_600_000,
    ...(now ? { now: () => now } : {}),
  };
}

function job(customerId: string, provider: string, window?: { start: Date; end: Date }): CollectionJob {
  return {
    taskId: randomUUID(),
    customerId,
    provider,
    dataTypes: ['performance'],
    trigger: 'manual',
    queuedAt: new Date().toISOString(),
    ...(window ? { window: { start: window.start.toISOString(), end: window.end.toISOString() } } : {}),
  };
}

/** A window every series has data for: after the first scrapes settled, before the newest one. */
function settledWindow(): { start: Date; end: Date; instants: number[] } {
  const first = Math.max(exporter.firstScrape.node!, exporter.firstScrape.dcgm!, exporter.firstScrape.k8s!);
  const start = new Date(Math.ceil((first + 6_000) / 1000) * 1000);
  const end = new Date(Math.floor((Date.now() - 2_000) / 1000) * 1000);
  const instants: number[] = [];
  for (let t = start.getTime(); t < end.getTime(); t += 1000) instants.push(t);
  return { start, end, instants };
}

async function stored(customerId: string): Promise<StoredPoint[]> {
  return rows<StoredPoint>(
    store,
    `SELECT metric, resource_id, resource_name, resource_type, dimension, unit, value,
            toString(toUnixTimestamp64Milli(ts)) AS ts_ms, source_metric, labels
       FROM performance_points FINAL WHERE customer_id = {c:String}
      ORDER BY metric, resource_id, dimension, ts`,
    { c: customerId },
  );
}

const series = (points: StoredPoint[], metric: string, resourceId: string, dimension: string) =>
  points.filter((p) => p.metric === metric && p.resource_id === resourceId && p.dimension === dimension);

describe('Prometheus collection against a real Prometheus', () => {
  it('stores, for every step of the window, exactly the node, GPU and pod values the exporter served', async () => {
    const window = settledWindow();
    expect(window.instants.length).toBeGreaterThanOrEqual(8);
    const connection: Connection = {
      id: 'fleet',
      customerId: 'real-prom',
      provider: 'prometheus',
      enabled: true,
      settings: { prometheus: { url: prometheus.url, step: '1s', scrape_interval: '1s', timeout: '20s' } },
      secrets: {},
      source: 'config',
    };

    const result = await runCollection(job('real-prom', 'prometheus', window), deps(connection));

    expect(result.errors).toEqual({});
    expect(result.status).toBe('succeeded');
    const points = await stored('real-prom');
    const host = '127.0.0.1';

    for (const [metric, dimension, unit, value] of NODE_EXACT) {
      const s = series(points, metric, host, dimension);
      expect(
        s.map((p) => Number(p.ts_ms)),
        `${metric} instants`,
      ).toEqual(window.instants);
      for (const p of s) {
        expect(p.value, `${metric}{${dimension}}`).toBe(value);
        expect(p.unit).toBe(unit);
        expect(p.resource_type).toBe('machine');
      }
    }
    for (const [metric, dimension, unit, value] of NODE_RATES) {
      const s = series(points, metric, host, dimension);
      expect(
        s.map((p) => Number(p.ts_ms)),
        `${metric} instants`,
      ).toEqual(window.instants);
      for (const p of s) {
        expect(p.value, `${metric}{${dimension}}`).toBeCloseTo(value, 9);
        expect(p.unit).toBe(unit);
      }
    }
    // Excluded by the default queries: loopback traffic and tmpfs mounts.
    expect(points.filter((p) => p.dimension === 'lo' || p.dimension === '/run')).toEqual([]);

    for (const [uuid, metric, unit, value, source] of GPU_EXPECTED) {
      const s = series(points, metric, 'gpu-node-1', uuid);
      expect(
        s.map((p) => Number(p.ts_ms)),
        `${metric} ${uuid} instants`,
      ).toEqual(window.instants);
      for (const p of s) {
        expect(p.value, `${metric} ${uuid}`).toBe(value);
        expect(p.unit).toBe(unit);
        expect(p.source_metric).toBe(source);
      }
    }
    expect(series(points, 'gpu_memory_temperature', 'gpu-node-1', GPU1)).toEqual([]);
    const gpuMetrics = new Set(GPU_EXPECTED.map((e) => e[1]));
    expect(points.filter((p) => gpuMetrics.has(p.metric)).length).toBe(
      GPU_EXPECTED.length * window.instants.length,
    );

    const gpu0 = series(points, 'gpu_utilization', 'gpu-node-1', GPU0)[0]!;
    expect(gpu0.labels).toMatchObject({
      gpu: '0',
      UUID: GPU0,
      modelName: 'NVIDIA H100 80GB HBM3',
      Hostname: 'gpu-node-1',
      namespace: POD.namespace,
      pod: POD.pod,
      container: POD.container,
      job: 'dcgm',
    });
    expect(series(points, 'gpu_utilization', 'gpu-node-1', GPU1)[0]!.labels).not.toHaveProperty('pod');

    for (const [metric, unit, value] of POD_EXACT) {
      const s = series(points, metric, POD_ID, '');
      expect(
        s.map((p) => Number(p.ts_ms)),
        `pod ${metric} instants`,
      ).toEqual(window.instants);
      for (const p of s) {
        expect(p.value, `pod ${metric}`).toBe(value);
        expect(p.unit).toBe(unit);
        expect(p.resource_type).toBe('pod');
        expect(p.resource_name).toBe(POD.pod);
      }
    }
    for (const [metric, unit, value] of POD_RATES) {
      const s = series(points, metric, POD_ID, '');
      expect(
        s.map((p) => Number(p.ts_ms)),
        `pod ${metric} instants`,
      ).toEqual(window.instants);
      for (const p of s) {
        expect(p.value, `pod ${metric}`).toBeCloseTo(value, 9);
        expect(p.unit).toBe(unit);
      }
    }

    const expectedCount =
      (NODE_EXACT.length + NODE_RATES.length + GPU_EXPECTED.length + POD_EXACT.length + POD_RATES.length) *
      window.instants.length;
    expect(points.length).toBe(expectedCount);
  });

  it('restricts every query to the connection selector', async () => {
    const window = settledWindow();
    const connection: Connection = {
      id: 'nodes-only',
      customerId: 'real-prom-selector',
      provider: 'onprem',
      enabled: true,
      settings: {
        prometheus: { url: prometheus.url, step: '1s', scrape_interval: '1s', selector: 'job="node"' },
      },
      secrets: {},
      source: 'config',
    };

    const result = await runCollection(job('real-prom-selector', 'onprem', window), deps(connection));

    expect(result.status).toBe('succeeded');
    const points = await stored('real-prom-selector');
    const metrics = [...new Set(points.map((p) => p.metric))].sort();
    expect(metrics).toEqual([...NODE_EXACT, ...NODE_RATES].map((e) => e[0]).sort());
    expect(new Set(points.map((p) => p.resource_id))).toEqual(new Set(['127.0.0.1']));
  });

  it('reads dcgm-exporter directly and stores the same GPU values, stamped with the collection time', async () => {
    const now = new Date();
    const connection: Connection = {
      id: 'gpu-direct',
      customerId: 'real-dcgm-direct',
      provider: 'runpod',
      enabled: true,
      settings: { dcgm: { url: `${exporter.url}/dcgm/metrics` } },
      secrets: {},
      source: 'config',
    };

    const result = await runCollection(job('real-dcgm-direct', 'runpod'), deps(connection, now));

    expect(result.status).toBe('succeeded');
    const points = await stored('real-dcgm-direct');
    expect(points.length).toBe(GPU_EXPECTED.length);
    for (const [uuid, metric, unit, value, source] of GPU_EXPECTED) {
      const [p, ...rest] = series(points, metric, 'gpu-node-1', uuid);
      expect(rest).toEqual([]);
      expect(p?.value, `${metric} ${uuid}`).toBe(value);
      expect(p?.unit).toBe(unit);
      expect(p?.source_metric).toBe(source);
      expect(Number(p?.ts_ms)).toBe(now.getTime());
    }
    expect(series(points, 'gpu_tensor_active', 'gpu-node-1', GPU0)[0]!.labels).toEqual({
      gpu: '0',
      UUID: GPU0,
      device: 'nvidia0',
      modelName: 'NVIDIA H100 80GB HBM3',
      Hostname: 'gpu-node-1',
      pci_bus_id: '00000000:18:00.0',
      DCGM_FI_DRIVER_VERSION: '550.90.07',
      namespace: POD.namespace,
      pod: POD.pod,
      container: POD.container,
    });
  });

  it('tests a connection: a reachable Prometheus passes, a wrong path fails with what Prometheus said', async () => {
    const def = createRegistry().get('onprem')!;
    const connection = (url: string): Connection => ({
      id: 'c',
      customerId: 'real-test',
      provider: 'onprem',
      enabled: true,
      settings: def.settingsSchema.parse({ prometheus: { url } }),
      secrets: {},
      source: 'config',
    });
    const signal = new AbortController().signal;

    await expect(
      def.testConnection({ connection: connection(prometheus.url), signal, logger: silentLogger() }),
    ).resolves.toBeUndefined();
    await expect(
      def.testConnection({
        connection: connection(`${prometheus.url}/not-prometheus`),
        signal,
        logger: silentLogger(),
      }),
    ).rejects.toThrow(/\/not-prometheus\/api\/v1\/query: HTTP 404/);
  });
});

describe('the Prometheus test setup', () => {
  it('fails, saying how to install it, when there is no prometheus binary', () => {
    expect(() => findPrometheus(['/nonexistent/bin/prometheus'])).toThrow(
      'prometheus binary not found. This test needs a real Prometheus server: install the Debian package (apt-get update && apt-get install -y prometheus) so that /usr/bin/prometheus exists.',
    );
  });
});

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter } from '../../../lib/clickhouse/writer';
import { type RunDeps, runCollection } from '../../../lib/collector/run';
import type { CollectionJob, Connection } from '../../../lib/collector/types';
import { staticConnections } from '../../../lib/connections/source';
import { parseExposition } from '../../../lib/providers/prometheus/exposition';
import { createRegistry } from '../../../lib/providers/registry';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows, silentLogger, testStore } from '../../helpers/store';
import { nodeExporterText } from './exporter';

/** dcgm-exporter read straight from its /metrics endpoint (no Prometheus in between). */

const DCGM_TEXT = readFileSync(new URL('../../fixtures/dcgm/h100-two-gpus.txt', import.meta.url), 'utf8');
const EXPOSITION = { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' };
const NOW = new Date('2026-11-26T11:05:30Z');
const GPU0 = 'GPU-5a1c7e0e-3f1b-2c47-9d3e-6b8f0a1d2e3f';

let exporter: FakeServer;
let prom: FakeServer;
let store: Store;

beforeAll(async () => {
  exporter = await startFakeServer();
  prom = await startFakeServer();
  store = await testStore();
});
afterAll(async () => {
  await exporter.close();
  await prom.close();
});
beforeEach(() => {
  exporter.requests.length = 0;
  exporter.handle((r) =>
    r.path === '/metrics'
      ? { headers: EXPOSITION, body: DCGM_TEXT }
      : { status: 404, body: '404 page not found\n' },
  );
});

function run(customerId: string, settings: Record<string, unknown>, secrets: Record<string, string> = {}) {
  const connection: Connection = {
    id: 'gpus',
    customerId,
    provider: 'lambdalabs',
    enabled: true,
    settings,
    secrets,
    source: 'config',
  };
  const deps: RunDeps = {
    store,
    writer: createWriter(store),
    registry: createRegistry(),
    connections: staticConnections([connection]),
    logger: silentLogger(),
    retry: { maxAttempts: 2, baseMs: 1, capMs: 2 },
    maxBackfillMs: 24 * 3_600_000,
    now: () => NOW,
  };
  const job: CollectionJob = {
    taskId: randomUUID(),
    customerId,
    provider: 'lambdalabs',
    dataTypes: ['performance'],
    trigger: 'manual',
    queuedAt: NOW.toISOString(),
    window: { start: '2026-11-26T11:00:00Z', end: '2026-11-26T11:05:00Z' },
  };
  return runCollection(job, deps);
}

async function points(customerId: string) {
  return rows<{
    metric: string;
    resource_id: string;
    dimension: string;
    value: number;
    ts: string;
    source_metric: string;
  }>(
    store,
    `SELECT metric, resource_id, dimension, value, toString(ts) AS ts, source_metric FROM performance_points FINAL
      WHERE customer_id = {c:String} ORDER BY metric, dimension`,
    { c: customerId },
  );
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('parseExposition', () => {
  it('reads the last line even without the final line feed the format asks for', () => {
    expect(parseExposition('a 1\nb 2').samples.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('keeps finite samples with their labels and timestamps, counts NaN/±Inf, skips histograms', () => {
    const parsed = parseExposition(
      [
        '# TYPE a gauge',
        'a{x="1"} 1.5',
        'a{x="2"} NaN',
        'a{x="3"} +Inf',
        'a{x="4"} -Inf 1795691100000',
        'a{x="5"} 2 1795691100000',
        '# TYPE h histogram',
        'h_bucket{le="1"} 1',
        'h_bucket{le="+Inf"} 2',
        'h_sum 3',
        'h_count 2',
      ].join('\n'),
    );
    expect(parsed).toEqual({
      samples: [
        { name: 'a', labels: { x: '1' }, value: 1.5 },
        { name: 'a', labels: { x: '5' }, value: 2, timestampMs: 1795691100000 },
      ],
      nonFinite: 3,
      skippedFamilies: ['h'],
    });
  });
});

describe('dcgm-exporter direct collection', () => {
  it('stores every GPU field of the scrape, at the collection time, and skips the NaN', async () => {
    const result = await run('dcgm-one', { dcgm: { url: `${exporter.url}/metrics` } });

    expect(result.status).toBe('succeeded');
    expect(exporter.requests[0]?.headers.accept).toContain('text/plain');
    const stored = await points('dcgm-one');
    // 16 mapped fields × 2 GPUs, minus GPU 1's NaN memory temperature.
    expect(stored).toHaveLength(31);
    expect(new Set(stored.map((p) => p.ts))).toEqual(new Set(['2026-11-26 11:05:30.000']));
    expect(new Set(stored.map((p) => p.resource_id))).toEqual(new Set(['gpu-node-1']));
    const gpu0 = Object.fromEntries(
      stored.filter((p) => p.dimension === GPU0).map((p) => [p.metric, p.value]),
    );
    expect(gpu0).toEqual({
      gpu_utilization: 87,
      gpu_memory_copy_utilization: 40,
      gpu_memory_used: 61440 * 1_048_576,
      gpu_memory_free: 20040 * 1_048_576,
      gpu_memory_utilization: (100 * 61440) / (61440 + 20040),
      gpu_power: 612.345,
      gpu_temperature: 71,
      gpu_memory_temperature: 78,
      gpu_sm_clock: 1980,
      gpu_memory_clock: 2619,
      gpu_graphics_engine_active: 0.910547 * 100,
      gpu_sm_active: 0.832116 * 100,
      gpu_sm_occupancy: 0.447813 * 100,
      gpu_tensor_active: 0.42 * 100,
      gpu_dram_active: 0.603375 * 100,
      gpu_xid_error: 0,
    });
  });

  it('reports a missing endpoint and keeps the GPUs of the others: partial, not fatal', async () => {
    const down = await closedPort();
    const result = await run('dcgm-missing', {
      dcgm: {
        urls: [`${exporter.url}/metrics`, `http://127.0.0.1:${down}/metrics`, `${exporter.url}/gone/metrics`],
      },
    });

    expect(result.status).toBe('partial');
    expect(result.errors.performance).toContain(
      `dcgm 127.0.0.1:${down}/metrics: 127.0.0.1:${down}/metrics: ECONNREFUSED (GPU metrics from this endpoint skipped)`,
    );
    expect(result.errors.performance).toContain(
      `dcgm 127.0.0.1:${exporter.port}/gone/metrics: 127.0.0.1:${exporter.port}/gone/metrics: HTTP 404 404 page not found`,
    );
    expect(await points('dcgm-missing')).toHaveLength(31);
  });

  it('keeps the Prometheus data when the DCGM endpoint is missing', async () => {
    prom.handle(() => ({
      body: {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [{ metric: { instance: '10.0.4.17:9100' }, values: [[1795690800, '3.5']] }],
        },
      },
    }));
    const down = await closedPort();
    const result = await run('dcgm-missing-prom', {
      prometheus: {
        url: prom.url,
        query_sets: ['node_exporter'],
        exclude: [
          'node_cpu_utilization',
          'node_memory_utilization',
          'node_memory_used',
          'node_disk_utilization',
          'node_disk_used',
          'node_disk_read',
          'node_disk_write',
          'node_network_in',
          'node_network_out',
        ],
      },
      dcgm: { url: `http://127.0.0.1:${down}/metrics` },
    });

    expect(result.status).toBe('partial');
    expect(result.errors.performance).toMatch(
      /^dcgm 127\.0\.0\.1:\d+\/metrics: .*ECONNREFUSED \(GPU metrics from this endpoint skipped\)$/,
    );
    expect((await points('dcgm-missing-prom')).map((p) => [p.metric, p.resource_id, p.value])).toEqual([
      ['load_average_1m', '10.0.4.17', 3.5],
    ]);
  });

  it('fails the data type when DCGM is the only source and no endpoint answers', async () => {
    const down = await closedPort();
    const result = await run('dcgm-sole', { dcgm: { url: `http://127.0.0.1:${down}/metrics` } });

    expect(result.status).toBe('failed');
    expect(result.errors.performance).toBe(
      `no GPU metrics: dcgm 127.0.0.1:${down}/metrics: 127.0.0.1:${down}/metrics: ECONNREFUSED`,
    );
  });

  it('says so when the endpoint is not a dcgm-exporter (HTML, or node_exporter metrics)', async () => {
    exporter.handle((r) =>
      r.path === '/html'
        ? {
            headers: { 'content-type': 'text/html; charset=utf-8' },
            body: '<!doctype html><title>Grafana</title>',
          }
        : { headers: EXPOSITION, body: nodeExporterText(NOW.getTime()) },
    );
    const result = await run('dcgm-wrong', {
      dcgm: { urls: [`${exporter.url}/html`, `${exporter.url}/metrics`] },
    });

    expect(result.status).toBe('failed');
    expect(result.errors.performance).toContain('/html: answered text/html, not the Prometheus text format');
    expect(result.errors.performance).toContain(
      '/metrics: answered, but exposes none of the DCGM_FI_* metrics we read (is this a dcgm-exporter?)',
    );
  });

  it('sends the configured credentials and names MIG instances in the dimension', async () => {
    exporter.handle(() => ({
      headers: EXPOSITION,
      body: [
        '# TYPE DCGM_FI_DEV_FB_USED gauge',
        `DCGM_FI_DEV_FB_USED{gpu="0",UUID="${GPU0}",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="a100-7",GPU_I_PROFILE="3g.40gb",GPU_I_ID="1"} 9000`,
        `DCGM_FI_DEV_FB_USED{gpu="0",UUID="${GPU0}",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="a100-7",GPU_I_PROFILE="3g.40gb",GPU_I_ID="2"} 100`,
      ].join('\n'),
    }));
    const result = await run(
      'dcgm-mig',
      { dcgm: { url: `${exporter.url}/metrics`, auth: { type: 'bearer', token_secret: 'dcgm_token' } } },
      { dcgm_token: 'dcgm-secret-token-123' },
    );

    expect(result.status).toBe('succeeded');
    expect(exporter.requests[0]?.headers.authorization).toBe('Bearer dcgm-secret-token-123');
    expect((await points('dcgm-mig')).map((p) => [p.resource_id, p.dimension, p.value])).toEqual([
      ['a100-7', `${GPU0}/mig1`, 9000 * 1_048_576],
      ['a100-7', `${GPU0}/mig2`, 100 * 1_048_576],
    ]);
  });
});

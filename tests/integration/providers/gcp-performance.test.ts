import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { getRun } from '../../../lib/clickhouse/repos/runs';
import { getWatermark } from '../../../lib/clickhouse/repos/watermarks';
import { METRICS, type MetricName } from '../../../lib/metrics/vocabulary';
import type { Runtime } from '../../../lib/runtime';
import { collectionRuntime, connectionsFor, runJob } from '../../helpers/collect';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { fixture } from '../../helpers/fixtures';
import { filterMetricType, GCP_PROJECT, gcpProject } from '../../helpers/gcp-fake';
import { rows, testStore } from '../../helpers/store';

const CUSTOMERS = ['gcp-full', 'gcp-throttle', 'gcp-midway', 'gcp-auth'];
const NOW = '2026-11-20T12:07:00.000Z';

let server: FakeServer;
let store: Store;
let runtime: Runtime;

beforeAll(async () => {
  server = await startFakeServer();
  store = await testStore();
  const connections = connectionsFor('gcp', CUSTOMERS, { project_ids: [GCP_PROJECT], endpoint: server.url });
  runtime = await collectionRuntime(store, connections);
});

afterAll(() => server.close());

interface Point {
  resource_id: string;
  resource_name: string;
  region: string;
  metric: string;
  dimension: string;
  unit: string;
  value: number;
  ts: string;
  source_metric: string;
  labels: Record<string, string>;
}

const points = (customerId: string) =>
  rows<Point>(
    store,
    `SELECT resource_id, resource_name, region, metric, dimension, unit, value, toString(ts) AS ts, source_metric, labels
     FROM performance_points FINAL WHERE customer_id = {c:String} ORDER BY resource_name, metric, dimension, ts`,
    { c: customerId },
  );

const seriesCalls = () => server.requests.filter((r) => r.path.endsWith('/timeSeries'));

describe('GCP performance collector (real @google-cloud/monitoring over REST against a Cloud Monitoring stand-in)', () => {
  it('reads CPU, network and disk series per metric type, pages with pageToken, and stores them in vocabulary units', async () => {
    server.handle(gcpProject());
    server.requests.length = 0;

    const result = await runJob(runtime, {
      customerId: 'gcp-full',
      provider: 'gcp',
      dataTypes: ['performance'],
      now: NOW,
    });

    expect(result.status).toBe('succeeded');
    // 4 instances × 3 periods × (cpu, network in, network out, disk read, disk write) + the A100's local SSD read/write.
    expect(result.rows).toEqual({ performance: 4 * 3 * 5 + 2 * 3 });
    const calls = seriesCalls();
    expect(
      calls.map(
        (r) =>
          `${filterMetricType(r).replace('compute.googleapis.com/instance/', '')}${r.query.get('pageToken') ? ' p2' : ''}`,
      ),
    ).toEqual([
      'cpu/utilization',
      'cpu/utilization p2',
      'network/received_bytes_count',
      'network/sent_bytes_count',
      'disk/read_bytes_count',
      'disk/write_bytes_count',
    ]);
    const q = calls[0]?.query;
    expect(q?.get('filter')).toBe(
      'metric.type = "compute.googleapis.com/instance/cpu/utilization" AND resource.type = "gce_instance"',
    );
    expect(q?.get('interval.startTime')).toBe('2026-11-20T11:05:00.000Z');
    expect(q?.get('interval.endTime')).toBe('2026-11-20T12:05:00.000Z');
    expect(q?.get('aggregation.alignmentPeriod')).toBe('300s');
    // Enums go over the wire as numbers: ALIGN_MEAN = 12, ALIGN_RATE = 2, view FULL = 0.
    expect(q?.get('aggregation.perSeriesAligner')).toBe('12');
    expect(calls[2]?.query.get('aggregation.perSeriesAligner')).toBe('2');
    expect(q?.get('view')).toBe('0');

    const api = (await points('gcp-full')).filter((p) => p.resource_name === 'api-n2-0');
    const at = (m: string, d = '') => api.filter((p) => p.metric === m && p.dimension === d);
    expect(at('cpu_utilization')).toEqual(
      ['11:50', '11:55', '12:00'].map((hm) => ({
        resource_id: '6120938475610293847',
        resource_name: 'api-n2-0',
        region: 'us-central1',
        metric: 'cpu_utilization',
        dimension: '',
        unit: 'percent',
        value: 42.5,
        ts: `2026-11-20 ${hm}:00.000`,
        source_metric: 'compute.googleapis.com/instance/cpu/utilization:ALIGN_MEAN',
        labels: { project: GCP_PROJECT, zone: 'us-central1-a', period_s: '300' },
      })),
    );
    // Load-balanced and direct traffic are two series of one instance: summed.
    expect(at('network_in').map((p) => p.value)).toEqual([1250.5, 1250.5, 1250.5]);
    expect(at('network_out')[0]).toMatchObject({ unit: 'bytes_per_second', value: 3500.25 });
    expect(at('disk_read', 'persistent-disk-0')[0]).toMatchObject({ unit: 'bytes_per_second', value: 2048 });
    const trainer = (await points('gcp-full')).filter((p) => p.resource_name === 'trainer-a100-0');
    expect(trainer.find((p) => p.metric === 'disk_read' && p.dimension === 'local-ssd-0')).toMatchObject({
      value: 4096,
    });
    expect(trainer.find((p) => p.metric === 'cpu_utilization')).toMatchObject({ value: 92.5 });

    const units = await rows<{ metric: MetricName; unit: string }>(
      store,
      `SELECT DISTINCT metric, unit FROM performance_points FINAL WHERE customer_id = 'gcp-full'`,
    );
    expect(units).toHaveLength(5);
    for (const u of units) expect(u.unit).toBe(METRICS[u.metric].unit);
    expect(
      await getWatermark(store, { customerId: 'gcp-full', provider: 'gcp', dataType: 'performance' }),
    ).toEqual(new Date(NOW));
    const run = await getRun(store, result.job.taskId);
    expect(run?.billable_requests).toEqual({ 'monitoring:time_series_returned': 4 + 8 + 8 + 5 + 5 });
  });

  it('retries a 429 RESOURCE_EXHAUSTED, then succeeds', async () => {
    let throttled = 0;
    server.handle(
      gcpProject((req) => {
        if (
          req.path.endsWith('/timeSeries') &&
          filterMetricType(req).endsWith('sent_bytes_count') &&
          throttled < 2
        ) {
          throttled++;
          return { status: 429, body: fixture('gcp', 'error-429-resource-exhausted.json') };
        }
        return undefined;
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'gcp-throttle',
      provider: 'gcp',
      dataTypes: ['performance'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect(throttled).toBe(2);
    expect(result.rows).toEqual({ performance: 66 });
  });

  it('keeps the other metrics when one keeps failing, records it, and does not move the watermark', async () => {
    server.handle(
      gcpProject((req) =>
        req.path.endsWith('/timeSeries') && filterMetricType(req).endsWith('write_bytes_count')
          ? { status: 503, body: fixture('gcp', 'error-503-unavailable.json') }
          : undefined,
      ),
    );
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'gcp-midway',
      provider: 'gcp',
      dataTypes: ['performance'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.performance).toBe(
      `gcp collection incomplete, 1 failed: ${GCP_PROJECT} monitoring:timeSeries.list instance/disk/write_bytes_count: UNAVAILABLE: The service is currently unavailable.`,
    );
    expect(seriesCalls().filter((r) => filterMetricType(r).endsWith('write_bytes_count'))).toHaveLength(4);
    expect(result.rows).toEqual({ performance: 66 - 15 });
    expect(
      await getWatermark(store, { customerId: 'gcp-midway', provider: 'gcp', dataType: 'performance' }),
    ).toBeNull();
  });

  it('does not retry a permission error', async () => {
    server.handle(
      gcpProject((req) =>
        req.path.endsWith('/timeSeries')
          ? { status: 403, body: fixture('gcp', 'error-403-permission-denied.json') }
          : undefined,
      ),
    );
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'gcp-auth',
      provider: 'gcp',
      dataTypes: ['performance'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.performance).toMatch(
      /^gcp collection incomplete, 5 failed: .* PERMISSION_DENIED: Permission monitoring.timeSeries.list denied/,
    );
    expect(seriesCalls()).toHaveLength(5);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { getWatermark } from '../../../lib/clickhouse/repos/watermarks';
import { METRICS, type MetricName } from '../../../lib/metrics/vocabulary';
import type { Runtime } from '../../../lib/runtime';
import {
  AZURE_CLIENT,
  AZURE_SUBSCRIPTION,
  AZURE_TENANT,
  azureTenant,
  isTokenRequest,
  metricsResource,
} from '../../helpers/azure-fake';
import { collectionRuntime, connectionsFor, runJob } from '../../helpers/collect';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { fixture } from '../../helpers/fixtures';
import { rows, testStore } from '../../helpers/store';

const CUSTOMERS = ['az-full', 'az-throttle', 'az-midway', 'az-login'];
const NOW = '2026-11-20T12:07:00.000Z';
const SECRET = 'Qx8Q~fake.client-secret_value~123';

let server: FakeServer;
let store: Store;
let runtime: Runtime;

beforeAll(async () => {
  server = await startFakeServer();
  store = await testStore();
  const connections = connectionsFor(
    'azure',
    CUSTOMERS,
    {
      tenant_id: AZURE_TENANT,
      client_id: AZURE_CLIENT,
      subscription_ids: [AZURE_SUBSCRIPTION],
      endpoint: server.url,
    },
    { client_secret: SECRET },
  );
  runtime = await collectionRuntime(store, connections);
});

afterAll(() => server.close());

interface Point {
  resource_id: string;
  resource_name: string;
  region: string;
  metric: string;
  unit: string;
  value: number;
  ts: string;
  source_metric: string;
  labels: Record<string, string>;
}

const points = (customerId: string) =>
  rows<Point>(
    store,
    `SELECT resource_id, resource_name, region, metric, unit, value, toString(ts) AS ts, source_metric, labels
     FROM performance_points FINAL WHERE customer_id = {c:String} ORDER BY resource_name, metric, ts`,
    { c: customerId },
  );

const VM_ID = `/subscriptions/${AZURE_SUBSCRIPTION}/resourceGroups/ML-Training/providers/Microsoft.Compute/virtualMachines/gpu-train-01`;

describe('Azure performance collector (real @azure/arm-monitor, arm-compute and identity against an Azure stand-in)', () => {
  it('logs in, lists VMs across pages, reads their metrics at PT5M and stores them in vocabulary units', async () => {
    server.handle(azureTenant());
    server.requests.length = 0;

    const result = await runJob(runtime, {
      customerId: 'az-full',
      provider: 'azure',
      dataTypes: ['performance'],
      now: NOW,
    });

    expect(result.status).toBe('succeeded');
    // 4 VMs × 6 metrics × 3 intervals.
    expect(result.rows).toEqual({ performance: 72 });
    const login = server.requests.filter(isTokenRequest);
    expect(login).toHaveLength(1);
    expect(new URLSearchParams(login[0]?.body).get('scope')).toBe('https://management.azure.com/.default');
    const q = server.requests.find((r) => metricsResource(r) === VM_ID)?.query;
    expect(q?.get('timespan')).toBe('2026-11-20T11:05:00.000Z/2026-11-20T12:05:00.000Z');
    expect(q?.get('interval')).toBe('PT5M');
    expect(q?.get('metricnames')).toBe(
      'Percentage CPU,Network In Total,Network Out Total,Disk Read Bytes,Disk Write Bytes,Available Memory Bytes',
    );
    expect(q?.get('aggregation')).toBe('Average,Total');
    expect(server.requests.filter((r) => metricsResource(r))).toHaveLength(4);

    const gpu = (await points('az-full')).filter((p) => p.resource_name === 'gpu-train-01');
    const first = (m: string) => gpu.find((p) => p.metric === m);
    expect(first('cpu_utilization')).toEqual({
      resource_id: VM_ID.toLowerCase(),
      resource_name: 'gpu-train-01',
      region: 'eastus',
      metric: 'cpu_utilization',
      unit: 'percent',
      value: 23.5,
      ts: '2026-11-20 11:50:00.000',
      source_metric: 'Percentage CPU:Average',
      labels: { subscription_id: AZURE_SUBSCRIPTION, resource_group: 'ml-training', period_s: '300' },
    });
    // Totals over PT5M become bytes per second.
    expect(first('network_in')).toMatchObject({
      unit: 'bytes_per_second',
      value: 5000,
      source_metric: 'Network In Total:Total',
    });
    expect(first('network_out')).toMatchObject({ unit: 'bytes_per_second', value: 2000 });
    expect(first('disk_read')).toMatchObject({ unit: 'bytes_per_second', value: 10000 });
    expect(first('disk_write')).toMatchObject({ unit: 'bytes_per_second', value: 3000 });
    expect(first('memory_available')).toMatchObject({ unit: 'bytes', value: 8589934592 });
    expect(gpu.filter((p) => p.metric === 'cpu_utilization').map((p) => p.ts)).toEqual([
      '2026-11-20 11:50:00.000',
      '2026-11-20 11:55:00.000',
      '2026-11-20 12:00:00.000',
    ]);
    const units = await rows<{ metric: MetricName; unit: string }>(
      store,
      `SELECT DISTINCT metric, unit FROM performance_points FINAL WHERE customer_id = 'az-full'`,
    );
    expect(units).toHaveLength(6);
    for (const u of units) expect(u.unit).toBe(METRICS[u.metric].unit);
    expect(
      await getWatermark(store, { customerId: 'az-full', provider: 'azure', dataType: 'performance' }),
    ).toEqual(new Date(NOW));
  });

  it('retries a throttled metrics query (429 with Retry-After), then succeeds', async () => {
    let throttled = 0;
    server.handle(
      azureTenant((req) => {
        if (metricsResource(req) && throttled < 2) {
          throttled++;
          return {
            status: 429,
            headers: { 'retry-after': '0' },
            body: fixture('azure', 'error-429-too-many-requests.json'),
          };
        }
        return undefined;
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'az-throttle',
      provider: 'azure',
      dataTypes: ['performance'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect(throttled).toBe(2);
    expect(result.rows).toEqual({ performance: 72 });
  });

  it('keeps the other VMs when the VM list fails mid-way (page 2) and one VM’s metrics are refused; the watermark stays', async () => {
    server.handle(
      azureTenant((req) => {
        if (req.query.get('$skiptoken'))
          return { status: 500, body: fixture('azure', 'error-500-internal.json') };
        if (metricsResource(req)?.endsWith('/web-02'))
          return { status: 403, body: fixture('azure', 'error-403-authorization-failed.json') };
        return undefined;
      }),
    );
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'az-midway',
      provider: 'azure',
      dataTypes: ['performance'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.performance).toMatch(
      new RegExp(
        `^azure collection incomplete, 2 failed: ${AZURE_SUBSCRIPTION} monitor:metrics.list web-02: AuthorizationFailed: .*; ${AZURE_SUBSCRIPTION} compute:virtualMachines.listAll page 2: InternalServerError: Pagination failed with unexpected statusCode 500$`,
      ),
    );
    // The failing page was retried from its own nextLink, four times; the 403 was not retried.
    expect(server.requests.filter((r) => r.query.get('$skiptoken'))).toHaveLength(4);
    expect(server.requests.filter((r) => metricsResource(r)?.endsWith('/web-02'))).toHaveLength(1);
    expect(new Set((await points('az-midway')).map((p) => p.resource_name))).toEqual(
      new Set(['gpu-train-01', 'web-01']),
    );
    expect(
      await getWatermark(store, { customerId: 'az-midway', provider: 'azure', dataType: 'performance' }),
    ).toBeNull();
  });

  it('fails clearly when the service principal cannot log in, without leaking the secret', async () => {
    server.handle(
      azureTenant((req) =>
        isTokenRequest(req)
          ? { status: 401, body: fixture('azure', 'login-error-invalid-client.json') }
          : undefined,
      ),
    );
    const result = await runJob(runtime, {
      customerId: 'az-login',
      provider: 'azure',
      dataTypes: ['performance'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.performance).toMatch(
      /compute:virtualMachines.listAll: .*AADSTS7000215: Invalid client secret provided/,
    );
    expect(result.errors.performance).not.toContain(SECRET);
  });
});

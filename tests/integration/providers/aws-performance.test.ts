import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { getRun } from '../../../lib/clickhouse/repos/runs';
import { getWatermark } from '../../../lib/clickhouse/repos/watermarks';
import { METRICS, type MetricName } from '../../../lib/metrics/vocabulary';
import type { Runtime } from '../../../lib/runtime';
import { awsAccount, awsJson10, decodeAwsCall, getMetricData, xml } from '../../helpers/aws-fake';
import { collectionRuntime, connectionsFor, runJob } from '../../helpers/collect';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { fixture } from '../../helpers/fixtures';
import { rows, testStore } from '../../helpers/store';

const CUSTOMERS = ['aws-full', 'aws-throttle', 'aws-midway', 'aws-auth', 'aws-forbidden'];
/** Window [11:07, 12:07) aligned to whole 5-minute periods: [11:05, 12:05), 12 periods. */
const NOW = '2026-11-20T12:07:00.000Z';
const PERIODS = 12;
// us-east-1: 45 m5.large + 10 t3.micro × 6 metrics, 20 c6gd + 15 g5 (instance store) × 8, 3 RDS × 5.
const EAST_SERIES = 55 * 6 + 35 * 8 + 3 * 5;
// eu-west-1: 1 m5.large × 6 + 1 g5.xlarge × 8.
const WEST_SERIES = 6 + 8;

let server: FakeServer;
let store: Store;
let runtime: Runtime;

beforeAll(async () => {
  server = await startFakeServer();
  store = await testStore();
  const connections = connectionsFor(
    'aws',
    CUSTOMERS,
    { regions: ['us-east-1', 'eu-west-1'], endpoint: server.url },
    {
      access_key_id: 'TESTACCESSKEYID00001',
      secret_access_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
  );
  runtime = await collectionRuntime(store, connections);
});

afterAll(() => server.close());

interface Point {
  resource_id: string;
  resource_name: string;
  resource_type: string;
  region: string;
  metric: string;
  dimension: string;
  unit: string;
  value: number;
  ts: string;
  source_metric: string;
  labels: Record<string, string>;
}

async function points(customerId: string, resourceId?: string): Promise<Point[]> {
  return rows<Point>(
    store,
    `SELECT resource_id, resource_name, resource_type, region, metric, dimension, unit, value, toString(ts) AS ts, source_metric, labels
     FROM performance_points FINAL
     WHERE customer_id = {c:String} AND ({r:String} = '' OR resource_id = {r:String})
     ORDER BY resource_id, metric, dimension, ts`,
    { c: customerId, r: resourceId ?? '' },
  );
}

const metricCalls = () => server.requests.map(decodeAwsCall).filter((c) => c.action === 'GetMetricData');

describe('AWS performance collector (real CloudWatch/EC2/RDS SDKs against an AWS stand-in)', () => {
  it('reads EC2 and RDS metrics in calls of at most 500 queries, joins NextToken pages, and stores them in vocabulary units', async () => {
    server.handle(awsAccount());
    server.requests.length = 0;

    const result = await runJob(runtime, {
      customerId: 'aws-full',
      provider: 'aws',
      dataTypes: ['performance'],
      now: NOW,
    });

    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ performance: (EAST_SERIES + WEST_SERIES) * PERIODS });
    const calls = metricCalls();
    expect(
      calls.map(
        (c) =>
          `${c.region}:${(c.json.MetricDataQueries as unknown[]).length}:${c.json.NextToken ? 'page2' : 'page1'}`,
      ),
    ).toEqual([
      'us-east-1:500:page1',
      'us-east-1:500:page2',
      `us-east-1:${EAST_SERIES - 500}:page1`,
      `us-east-1:${EAST_SERIES - 500}:page2`,
      `eu-west-1:${WEST_SERIES}:page1`,
      `eu-west-1:${WEST_SERIES}:page2`,
    ]);
    // The JSON 1.0 wire: epoch seconds, whole periods, only running instances described.
    expect(calls[0]?.json).toMatchObject({
      StartTime: Date.parse('2026-11-20T11:05:00Z') / 1000,
      EndTime: Date.parse('2026-11-20T12:05:00Z') / 1000,
      ScanBy: 'TimestampAscending',
    });
    const describe = server.requests.map(decodeAwsCall).find((c) => c.action === 'DescribeInstances');
    expect(describe?.form.get('Filter.1.Name')).toBe('instance-state-name');

    const api = await points('aws-full', 'i-00000000000000001');
    const byMetric = (m: string, d = '') => api.filter((p) => p.metric === m && p.dimension === d);
    expect(byMetric('cpu_utilization').map((p) => p.ts)).toEqual(
      Array.from(
        { length: PERIODS },
        (_, k) =>
          `2026-11-20 ${String(11 + Math.floor((5 + 5 * k) / 60)).padStart(2, '0')}:${String((5 + 5 * k) % 60).padStart(2, '0')}:00.000`,
      ),
    );
    expect(byMetric('cpu_utilization')[0]).toEqual({
      resource_id: 'i-00000000000000001',
      resource_name: 'api-01',
      resource_type: 'vm',
      region: 'us-east-1',
      metric: 'cpu_utilization',
      dimension: '',
      unit: 'percent',
      value: 42.5,
      ts: '2026-11-20 11:05:00.000',
      source_metric: 'AWS/EC2:CPUUtilization:Average',
      labels: { instance_type: 'm5.large', period_s: '300' },
    });
    // Sums per 300 s period become bytes per second.
    expect(byMetric('network_in')[0]).toMatchObject({
      unit: 'bytes_per_second',
      value: 1250,
      source_metric: 'AWS/EC2:NetworkIn:Sum',
    });
    expect(byMetric('network_out')[0]).toMatchObject({ unit: 'bytes_per_second', value: 2500 });
    expect(byMetric('disk_read', 'ebs')[0]).toMatchObject({
      unit: 'bytes_per_second',
      value: 10000,
      source_metric: 'AWS/EC2:EBSReadBytes:Sum',
    });
    expect(byMetric('disk_write', 'ebs')[0]).toMatchObject({ unit: 'bytes_per_second', value: 5000 });
    expect(byMetric('status_check_failed')[0]).toMatchObject({
      unit: 'count',
      value: 0,
      source_metric: 'AWS/EC2:StatusCheckFailed:Maximum',
    });
    expect(byMetric('disk_read', 'instance_store')).toEqual([]);

    const etl = await points('aws-full', 'i-0000000000000002e');
    expect(etl.find((p) => p.metric === 'disk_read' && p.dimension === 'instance_store')).toMatchObject({
      value: 20000,
      resource_name: 'etl-46',
    });
    expect(etl.find((p) => p.metric === 'disk_write' && p.dimension === 'instance_store')).toMatchObject({
      value: 30000,
    });

    const db = await points('aws-full', 'arn:aws:rds:us-east-1:123456789012:db:orders-db');
    const first = (m: string) => db.find((p) => p.metric === m);
    expect(first('cpu_utilization')).toMatchObject({
      resource_name: 'orders-db',
      resource_type: 'database',
      unit: 'percent',
      value: 12.25,
      labels: { engine: 'postgres', period_s: '300' },
    });
    expect(first('db_connections')).toMatchObject({ unit: 'count', value: 37 });
    expect(first('storage_free')).toMatchObject({ unit: 'bytes', value: 107374182400 });
    expect(first('read_latency')).toMatchObject({
      unit: 'ms',
      value: 2.5,
      source_metric: 'AWS/RDS:ReadLatency:Average',
    });
    expect(first('write_latency')).toMatchObject({ unit: 'ms', value: 4 });
    expect(db).toHaveLength(5 * PERIODS);

    // Every stored unit is the vocabulary's.
    const units = await rows<{ metric: MetricName; unit: string }>(
      store,
      `SELECT DISTINCT metric, unit FROM performance_points FINAL WHERE customer_id = 'aws-full' ORDER BY metric`,
    );
    expect(units.length).toBe(10);
    for (const u of units) expect(u.unit).toBe(METRICS[u.metric].unit);

    expect(
      await getWatermark(store, { customerId: 'aws-full', provider: 'aws', dataType: 'performance' }),
    ).toEqual(new Date(NOW));
    const run = await getRun(store, result.job.taskId);
    expect(run?.billable_requests).toEqual({
      'cloudwatch:GetMetricData:metrics': 2 * (EAST_SERIES + WEST_SERIES),
    });

    // Re-collecting the same window replaces, never duplicates.
    await runJob(runtime, { customerId: 'aws-full', provider: 'aws', dataTypes: ['performance'], now: NOW });
    expect(await points('aws-full')).toHaveLength((EAST_SERIES + WEST_SERIES) * PERIODS);
  });

  it('retries throttled CloudWatch and EC2 calls, then succeeds', async () => {
    let cwThrottled = 0;
    let ec2Throttled = 0;
    server.handle(
      awsAccount((call) => {
        if (call.action === 'GetMetricData' && cwThrottled < 2) {
          cwThrottled++;
          return awsJson10(fixture('aws', 'cloudwatch-error-throttling.json'), 400, 'Throttling;Sender');
        }
        if (call.action === 'DescribeInstances' && call.region === 'eu-west-1' && ec2Throttled < 1) {
          ec2Throttled++;
          return xml('ec2-error-request-limit-exceeded.xml', 503);
        }
        return undefined;
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'aws-throttle',
      provider: 'aws',
      dataTypes: ['performance'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect([cwThrottled, ec2Throttled]).toEqual([2, 1]);
    expect(result.rows).toEqual({ performance: (EAST_SERIES + WEST_SERIES) * PERIODS });
  });

  it('keeps what was collected when a batch keeps failing mid-way, records the failure, and does not move the watermark', async () => {
    server.handle(
      awsAccount((call) =>
        call.action === 'GetMetricData' &&
        call.region === 'us-east-1' &&
        (call.json.MetricDataQueries as unknown[]).length < 500
          ? awsJson10(fixture('aws', 'cloudwatch-error-internal-failure.json'), 500)
          : undefined,
      ),
    );
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'aws-midway',
      provider: 'aws',
      dataTypes: ['performance'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.rows).toEqual({ performance: (500 + WEST_SERIES) * PERIODS });
    expect(result.errors.performance).toBe(
      'aws collection incomplete, 1 failed: us-east-1 cloudwatch:GetMetricData batch 2: InternalServiceFault: Internal service error',
    );
    // Four attempts (the retry policy) at the failing batch.
    expect(
      metricCalls().filter(
        (c) => c.region === 'us-east-1' && (c.json.MetricDataQueries as unknown[]).length < 500,
      ),
    ).toHaveLength(4);
    expect(new Set((await points('aws-midway')).map((p) => p.region))).toEqual(
      new Set(['us-east-1', 'eu-west-1']),
    );
    expect(
      await getWatermark(store, { customerId: 'aws-midway', provider: 'aws', dataType: 'performance' }),
    ).toBeNull();
  });

  it('reports a region whose credentials are refused without retrying it, and still collects the others', async () => {
    server.handle(
      awsAccount((call) =>
        call.region === 'eu-west-1' && call.action === 'DescribeInstances'
          ? xml('ec2-error-unauthorized-operation.xml', 403)
          : undefined,
      ),
    );
    server.requests.length = 0;
    const result = await runJob(runtime, {
      customerId: 'aws-auth',
      provider: 'aws',
      dataTypes: ['performance'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.performance).toMatch(
      /^aws collection incomplete, 1 failed: eu-west-1 ec2:DescribeInstances: UnauthorizedOperation: You are not authorized/,
    );
    expect(result.errors.performance).not.toContain('wJalrXUtnFEMI');
    expect(
      server.requests
        .map(decodeAwsCall)
        .filter((c) => c.region === 'eu-west-1' && c.action === 'DescribeInstances'),
    ).toHaveLength(1);
    expect(result.rows).toEqual({ performance: EAST_SERIES * PERIODS });
  });

  it('records a query CloudWatch answers Forbidden as a failure, keeping the other queries of the call', async () => {
    server.handle(
      awsAccount((call) => {
        if (call.action !== 'GetMetricData' || call.region !== 'eu-west-1') return undefined;
        const reply = getMetricData(call);
        const body = JSON.parse(reply.body as string) as {
          MetricDataResults: {
            Id: string;
            StatusCode: string;
            Timestamps: number[];
            Values: number[];
            Messages?: unknown[];
          }[];
        };
        const m0 = body.MetricDataResults.find((r) => r.Id === 'm0');
        if (m0)
          Object.assign(m0, {
            StatusCode: 'Forbidden',
            Timestamps: [],
            Values: [],
            Messages: [{ Code: 'Forbidden', Value: 'Access denied to metric' }],
          });
        return { ...reply, body: JSON.stringify(body) };
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'aws-forbidden',
      provider: 'aws',
      dataTypes: ['performance'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.errors.performance).toBe(
      'aws collection incomplete, 1 failed: eu-west-1 cloudwatch:GetMetricData batch 1 AWS/EC2/CPUUtilization i-0000000000000012c: Forbidden: Access denied to metric',
    );
    expect(result.rows).toEqual({ performance: (EAST_SERIES + WEST_SERIES - 1) * PERIODS });
  });
});

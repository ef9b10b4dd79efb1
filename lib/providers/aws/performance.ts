import {
  CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import type { CollectContext } from '../../collector/types';
import { metricPoint, type PointTarget, perSecond, secondsToMs } from '../../metrics/points';
import type { MetricName } from '../../metrics/vocabulary';
import type { PerformancePointInput } from '../../schemas/rows';
import { floorTo } from '../../time';
import { type CallScopes, createCallScopes } from '../call-scopes';
import { awsClientConfig } from './clients';
import type { AwsSettings } from './config';
import { classifyAwsError } from './errors';
import { ec2InstancesWithTypes, nameTag, rdsInstances } from './listing';

/** GetMetricData takes at most 500 queries per call. */
export const MAX_QUERIES_PER_CALL = 500;

/** How a CloudWatch metric becomes a vocabulary metric. */
export interface MetricSpec {
  readonly namespace: 'AWS/EC2' | 'AWS/RDS';
  readonly name: string;
  readonly stat: 'Average' | 'Sum' | 'Maximum';
  readonly metric: MetricName;
  readonly dimension?: string;
  /** `rate`: Sum over the period ÷ period seconds; `ms`: seconds × 1000. */
  readonly convert: 'same' | 'rate' | 'ms';
}

export const EC2_METRICS: readonly MetricSpec[] = [
  {
    namespace: 'AWS/EC2',
    name: 'CPUUtilization',
    stat: 'Average',
    metric: 'cpu_utilization',
    convert: 'same',
  },
  { namespace: 'AWS/EC2', name: 'NetworkIn', stat: 'Sum', metric: 'network_in', convert: 'rate' },
  { namespace: 'AWS/EC2', name: 'NetworkOut', stat: 'Sum', metric: 'network_out', convert: 'rate' },
  {
    namespace: 'AWS/EC2',
    name: 'EBSReadBytes',
    stat: 'Sum',
    metric: 'disk_read',
    dimension: 'ebs',
    convert: 'rate',
  },
  {
    namespace: 'AWS/EC2',
    name: 'EBSWriteBytes',
    stat: 'Sum',
    metric: 'disk_write',
    dimension: 'ebs',
    convert: 'rate',
  },
  {
    namespace: 'AWS/EC2',
    name: 'StatusCheckFailed',
    stat: 'Maximum',
    metric: 'status_check_failed',
    convert: 'same',
  },
];

/** Only for instance types with instance storage (DescribeInstanceTypes InstanceStorageSupported). */
export const EC2_INSTANCE_STORE_METRICS: readonly MetricSpec[] = [
  {
    namespace: 'AWS/EC2',
    name: 'DiskReadBytes',
    stat: 'Sum',
    metric: 'disk_read',
    dimension: 'instance_store',
    convert: 'rate',
  },
  {
    namespace: 'AWS/EC2',
    name: 'DiskWriteBytes',
    stat: 'Sum',
    metric: 'disk_write',
    dimension: 'instance_store',
    convert: 'rate',
  },
];

export const RDS_METRICS: readonly MetricSpec[] = [
  {
    namespace: 'AWS/RDS',
    name: 'CPUUtilization',
    stat: 'Average',
    metric: 'cpu_utilization',
    convert: 'same',
  },
  {
    namespace: 'AWS/RDS',
    name: 'DatabaseConnections',
    stat: 'Average',
    metric: 'db_connections',
    convert: 'same',
  },
  {
    namespace: 'AWS/RDS',
    name: 'FreeStorageSpace',
    stat: 'Average',
    metric: 'storage_free',
    convert: 'same',
  },
  { namespace: 'AWS/RDS', name: 'ReadLatency', stat: 'Average', metric: 'read_latency', convert: 'ms' },
  { namespace: 'AWS/RDS', name: 'WriteLatency', stat: 'Average', metric: 'write_latency', convert: 'ms' },
];

interface Series {
  target: PointTarget;
  dimensionName: 'InstanceId' | 'DBInstanceIdentifier';
  dimensionValue: string;
  spec: MetricSpec;
}

/** A CloudWatch value in the vocabulary's unit. */
export function convertValue(spec: MetricSpec, value: number, periodSeconds: number): number {
  if (spec.convert === 'rate') return perSecond(value, periodSeconds);
  if (spec.convert === 'ms') return secondsToMs(value);
  return value;
}

/**
 * AWS performance: EC2 and RDS metrics from CloudWatch GetMetricData, per region.
 *
 * Instances are listed first (running ones, and RDS instances), then one MetricStat query
 * per instance × metric, sent in calls of at most 500 queries and paged with NextToken
 * (a page may answer some queries only partly: their points are joined across pages).
 * The window is aligned to whole periods and only finished periods are read; the
 * provider's restatement window re-reads the last ones, which CloudWatch fills late.
 * A region, a page or a query that fails is recorded and the rest still collected.
 */
export async function* collectAwsPerformance(
  ctx: CollectContext<AwsSettings>,
): AsyncGenerator<PerformancePointInput[]> {
  const settings = ctx.connection.settings;
  const period = settings.metrics_period_seconds;
  const start = floorTo(ctx.window.start, period * 1000);
  const end = floorTo(ctx.window.end, period * 1000);
  const scopes = createCallScopes(ctx);
  const collectedAt = ctx.now();
  if (end.getTime() > start.getTime()) {
    for (const region of settings.regions) {
      const config = awsClientConfig(ctx.connection, region);
      const series = await listSeries(
        ctx,
        scopes,
        region,
        new EC2Client(config),
        new RDSClient(config),
        collectedAt,
      );
      const cw = new CloudWatchClient(config);
      for (let i = 0; i < series.length; i += MAX_QUERIES_PER_CALL) {
        const chunk = series.slice(i, i + MAX_QUERIES_PER_CALL);
        const label = `${region} cloudwatch:GetMetricData batch ${i / MAX_QUERIES_PER_CALL + 1}`;
        const results = await getMetricData(ctx, scopes, cw, label, chunk, start, end, period);
        yield mapResults(results, chunk, period, scopes, label);
      }
    }
  }
  scopes.finish();
}

async function listSeries(
  ctx: CollectContext<AwsSettings>,
  scopes: CallScopes,
  region: string,
  ec2: EC2Client,
  rds: RDSClient,
  collectedAt: Date,
): Promise<Series[]> {
  const series: Series[] = [];
  const target = (
    resourceId: string,
    resourceName: string,
    resourceType: string,
    labels: Record<string, string>,
  ): PointTarget => ({
    customerId: ctx.customerId,
    provider: 'aws',
    resourceId,
    resourceName,
    resourceType,
    region,
    taskId: ctx.taskId,
    collectedAt,
    labels,
  });
  const filters = [
    { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'shutting-down'] },
  ];
  const { instances, types } = await ec2InstancesWithTypes(ec2, scopes, region, ctx.signal, { filters });
  for (const i of instances) {
    if (!i.InstanceId) continue;
    const t = target(i.InstanceId, nameTag(i.Tags), 'vm', { instance_type: i.InstanceType ?? '' });
    const specs = types.get(i.InstanceType ?? '')?.InstanceStorageSupported
      ? [...EC2_METRICS, ...EC2_INSTANCE_STORE_METRICS]
      : EC2_METRICS;
    for (const spec of specs)
      series.push({ target: t, dimensionName: 'InstanceId', dimensionValue: i.InstanceId, spec });
  }
  for await (const page of rdsInstances(rds, scopes, region, ctx.signal)) {
    for (const db of page) {
      if (!db.DBInstanceIdentifier) continue;
      const t = target(db.DBInstanceArn ?? db.DBInstanceIdentifier, db.DBInstanceIdentifier, 'database', {
        engine: db.Engine ?? '',
      });
      for (const spec of RDS_METRICS) {
        series.push({
          target: t,
          dimensionName: 'DBInstanceIdentifier',
          dimensionValue: db.DBInstanceIdentifier,
          spec,
        });
      }
    }
  }
  return series;
}

/** One batch of ≤500 queries, all its NextToken pages; results of one query id joined. */
async function getMetricData(
  ctx: CollectContext<AwsSettings>,
  scopes: CallScopes,
  cw: CloudWatchClient,
  label: string,
  chunk: readonly Series[],
  start: Date,
  end: Date,
  period: number,
): Promise<Map<string, MetricDataResult>> {
  const queries: MetricDataQuery[] = chunk.map((s, n) => ({
    Id: `m${n}`,
    MetricStat: {
      Metric: {
        Namespace: s.spec.namespace,
        MetricName: s.spec.name,
        Dimensions: [{ Name: s.dimensionName, Value: s.dimensionValue }],
      },
      Period: period,
      Stat: s.spec.stat,
    },
    ReturnData: true,
  }));
  const joined = new Map<string, MetricDataResult>();
  let token: string | undefined;
  for (let page = 1; ; page++) {
    const scope = page > 1 ? `${label} page ${page}` : label;
    const answer = await scopes.attempt(scope, async () => {
      ctx.meter.count('cloudwatch:GetMetricData:metrics', queries.length);
      try {
        return await cw.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries,
            StartTime: start,
            EndTime: end,
            ScanBy: 'TimestampAscending',
            NextToken: token,
          }),
          { abortSignal: ctx.signal },
        );
      } catch (err) {
        throw classifyAwsError(err, scope);
      }
    });
    if (!answer) break;
    for (const r of answer.MetricDataResults ?? []) {
      if (!r.Id) continue;
      const prev = joined.get(r.Id);
      const failedBefore = prev?.StatusCode === 'Forbidden' || prev?.StatusCode === 'InternalError';
      joined.set(r.Id, {
        ...r,
        StatusCode: failedBefore ? prev?.StatusCode : r.StatusCode,
        Timestamps: [...(prev?.Timestamps ?? []), ...(r.Timestamps ?? [])],
        Values: [...(prev?.Values ?? []), ...(r.Values ?? [])],
        Messages: [...(prev?.Messages ?? []), ...(r.Messages ?? [])],
      });
    }
    token = answer.NextToken;
    if (!token) break;
  }
  return joined;
}

function mapResults(
  results: ReadonlyMap<string, MetricDataResult>,
  chunk: readonly Series[],
  period: number,
  scopes: CallScopes,
  label: string,
): PerformancePointInput[] {
  const points: PerformancePointInput[] = [];
  chunk.forEach((s, n) => {
    const r = results.get(`m${n}`);
    if (!r) return;
    if (r.StatusCode === 'Forbidden' || r.StatusCode === 'InternalError') {
      const detail = [...new Set(r.Messages?.map((m) => m.Value).filter(Boolean))].join('; ');
      scopes.fail(
        `${label} ${s.spec.namespace}/${s.spec.name} ${s.dimensionValue}`,
        `${r.StatusCode}${detail ? `: ${detail}` : ''}`,
      );
      return;
    }
    const timestamps = r.Timestamps ?? [];
    const values = r.Values ?? [];
    for (let k = 0; k < Math.min(timestamps.length, values.length); k++) {
      const ts = timestamps[k] as Date;
      const v = values[k] as number;
      if (!Number.isFinite(v)) continue;
      points.push(
        metricPoint(s.target, s.spec.metric, convertValue(s.spec, v, period), ts, {
          sourceMetric: `${s.spec.namespace}:${s.spec.name}:${s.spec.stat}`,
          ...(s.spec.dimension ? { dimension: s.spec.dimension } : {}),
          labels: { period_s: String(period) },
        }),
      );
    }
  });
  return points;
}

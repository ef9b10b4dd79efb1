import { MetricServiceClient, type protos } from '@google-cloud/monitoring';
import type { CollectContext } from '../../collector/types';
import { metricPoint, type PointTarget, ratioToPercent } from '../../metrics/points';
import type { MetricName } from '../../metrics/vocabulary';
import type { PerformancePointInput } from '../../schemas/rows';
import { floorTo } from '../../time';
import { type CallScopes, createCallScopes } from '../call-scopes';
import { classifyGcpError } from './api-errors';
import { gaxClientOptions } from './clients';
import type { GcpSettings } from './config';

type TimeSeries = protos.google.monitoring.v3.ITimeSeries;

/** Cloud Monitoring alignment period: Compute Engine samples every 60 s; 5-minute means match the other clouds. */
export const ALIGNMENT_SECONDS = 300;
const PAGE_SIZE = 1000;

export interface GcpMetricSpec {
  readonly type: string;
  readonly aligner: 'ALIGN_MEAN' | 'ALIGN_RATE';
  readonly metric: MetricName;
  /** Which metric label becomes `dimension` ('' = one series per instance: label series are summed). */
  readonly dimensionLabel: string;
  readonly convert: 'percent' | 'same';
}

export const GCE_METRICS: readonly GcpMetricSpec[] = [
  {
    type: 'compute.googleapis.com/instance/cpu/utilization',
    aligner: 'ALIGN_MEAN',
    metric: 'cpu_utilization',
    dimensionLabel: '',
    convert: 'percent',
  },
  {
    type: 'compute.googleapis.com/instance/network/received_bytes_count',
    aligner: 'ALIGN_RATE',
    metric: 'network_in',
    dimensionLabel: '',
    convert: 'same',
  },
  {
    type: 'compute.googleapis.com/instance/network/sent_bytes_count',
    aligner: 'ALIGN_RATE',
    metric: 'network_out',
    dimensionLabel: '',
    convert: 'same',
  },
  {
    type: 'compute.googleapis.com/instance/disk/read_bytes_count',
    aligner: 'ALIGN_RATE',
    metric: 'disk_read',
    dimensionLabel: 'device_name',
    convert: 'same',
  },
  {
    type: 'compute.googleapis.com/instance/disk/write_bytes_count',
    aligner: 'ALIGN_RATE',
    metric: 'disk_write',
    dimensionLabel: 'device_name',
    convert: 'same',
  },
];

/** us-central1-a → us-central1 */
export const zoneToRegion = (zone: string): string => zone.replace(/-[a-z]$/, '');

function seconds(ts: protos.google.protobuf.ITimestamp | null | undefined): number | undefined {
  if (!ts || ts.seconds === null || ts.seconds === undefined) return undefined;
  return Number(ts.seconds);
}

function pointValue(v: protos.google.monitoring.v3.ITypedValue | null | undefined): number | undefined {
  if (!v) return undefined;
  if (typeof v.doubleValue === 'number') return v.doubleValue;
  if (v.int64Value !== null && v.int64Value !== undefined) return Number(v.int64Value);
  return undefined;
}

/**
 * Maps one metric's aligned series to points. Series of one instance that differ only by
 * a label we do not keep (network `loadbalanced`, disk `storage_type`) are summed per
 * period; the point's time is the start of its alignment period.
 */
export function mapTimeSeries(
  series: readonly TimeSeries[],
  spec: GcpMetricSpec,
  base: { customerId: string; project: string; taskId: string; collectedAt: Date },
): PerformancePointInput[] {
  const sums = new Map<string, { target: PointTarget; dimension: string; ts: number; value: number }>();
  for (const s of series) {
    const instanceId = s.resource?.labels?.instance_id;
    if (!instanceId) continue;
    const zone = s.resource?.labels?.zone ?? '';
    const dimension = spec.dimensionLabel ? (s.metric?.labels?.[spec.dimensionLabel] ?? '') : '';
    const target: PointTarget = {
      customerId: base.customerId,
      provider: 'gcp',
      resourceId: instanceId,
      resourceName: s.metric?.labels?.instance_name ?? '',
      resourceType: 'vm',
      region: zoneToRegion(zone),
      taskId: base.taskId,
      collectedAt: base.collectedAt,
      labels: { project: base.project, zone },
    };
    for (const p of s.points ?? []) {
      const end = seconds(p.interval?.endTime);
      const value = pointValue(p.value);
      if (end === undefined || value === undefined || !Number.isFinite(value)) continue;
      const ts = (end - ALIGNMENT_SECONDS) * 1000;
      const key = `${instanceId}\u0000${dimension}\u0000${ts}`;
      const prev = sums.get(key);
      if (prev) prev.value += value;
      else sums.set(key, { target, dimension, ts, value });
    }
  }
  return [...sums.values()].map((s) =>
    metricPoint(
      s.target,
      spec.metric,
      spec.convert === 'percent' ? ratioToPercent(s.value) : s.value,
      new Date(s.ts),
      {
        sourceMetric: `${spec.type}:${spec.aligner}`,
        ...(s.dimension ? { dimension: s.dimension } : {}),
        labels: { period_s: String(ALIGNMENT_SECONDS) },
      },
    ),
  );
}

/**
 * GCP performance: Compute Engine CPU, network and disk series from Cloud Monitoring
 * `timeSeries.list`, one query per project × metric type, aligned to 5-minute means/rates
 * server-side and paged with pageToken. Only whole periods are read; the restatement
 * window re-reads the last ones (Monitoring shows samples up to 4 minutes late).
 */
export async function* collectGcpPerformance(
  ctx: CollectContext<GcpSettings>,
): AsyncGenerator<PerformancePointInput[]> {
  const scopes = createCallScopes(ctx);
  const start = floorTo(ctx.window.start, ALIGNMENT_SECONDS * 1000);
  const end = floorTo(ctx.window.end, ALIGNMENT_SECONDS * 1000);
  const collectedAt = ctx.now();
  if (end.getTime() > start.getTime()) {
    const client = new MetricServiceClient(
      gaxClientOptions(ctx.connection) as ConstructorParameters<typeof MetricServiceClient>[0],
    );
    try {
      for (const project of ctx.connection.settings.project_ids) {
        for (const spec of GCE_METRICS) {
          for await (const page of timeSeriesPages(ctx, scopes, client, project, spec, start, end)) {
            yield mapTimeSeries(page, spec, {
              customerId: ctx.customerId,
              project,
              taskId: ctx.taskId,
              collectedAt,
            });
          }
        }
      }
    } finally {
      await client.close();
    }
  }
  scopes.finish();
}

async function* timeSeriesPages(
  ctx: CollectContext<GcpSettings>,
  scopes: CallScopes,
  client: MetricServiceClient,
  project: string,
  spec: GcpMetricSpec,
  start: Date,
  end: Date,
): AsyncGenerator<TimeSeries[]> {
  const short = spec.type.replace('compute.googleapis.com/', '');
  let pageToken = '';
  for (let page = 1; ; page++) {
    const scope = `${project} monitoring:timeSeries.list ${short}${page > 1 ? ` page ${page}` : ''}`;
    const answer = await scopes.attempt(scope, async () => {
      try {
        const [series, , raw] = await client.listTimeSeries(
          {
            name: `projects/${project}`,
            filter: `metric.type = "${spec.type}" AND resource.type = "gce_instance"`,
            interval: {
              startTime: { seconds: start.getTime() / 1000 },
              endTime: { seconds: end.getTime() / 1000 },
            },
            aggregation: { alignmentPeriod: { seconds: ALIGNMENT_SECONDS }, perSeriesAligner: spec.aligner },
            view: 'FULL',
            pageSize: PAGE_SIZE,
            pageToken,
          },
          { autoPaginate: false },
        );
        return { series, next: raw?.nextPageToken ?? '' };
      } catch (err) {
        throw classifyGcpError(err, scope);
      }
    });
    if (!answer) return;
    ctx.meter.count('monitoring:time_series_returned', answer.series.length);
    yield answer.series;
    pageToken = answer.next;
    if (!pageToken) return;
  }
}

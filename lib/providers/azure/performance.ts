import { ComputeManagementClient, type VirtualMachine } from '@azure/arm-compute';
import { type Metric, MonitorClient } from '@azure/arm-monitor';
import type { CollectContext } from '../../collector/types';
import { mapLimit } from '../../concurrency';
import { metricPoint, type PointTarget, perSecond } from '../../metrics/points';
import type { MetricName } from '../../metrics/vocabulary';
import type { PerformancePointInput } from '../../schemas/rows';
import { floorTo } from '../../time';
import { createCallScopes } from '../call-scopes';
import { classifyAzureError } from './api-errors';
import { azureClientOptions, azureCredential } from './clients';
import type { AzureSettings } from './config';
import { armPages, resourceGroupOf } from './paging';

/** Azure Monitor grain for the queries: PT5M, like the other clouds. */
export const INTERVAL_SECONDS = 300;
/** ARM reads are throttled per subscription; a few metric queries in flight. */
const CONCURRENCY = 4;

export interface AzureMetricSpec {
  readonly name: string;
  readonly aggregation: 'average' | 'total';
  readonly metric: MetricName;
  /** `rate`: Total over the interval ÷ interval seconds. */
  readonly convert: 'same' | 'rate';
}

export const VM_METRICS: readonly AzureMetricSpec[] = [
  { name: 'Percentage CPU', aggregation: 'average', metric: 'cpu_utilization', convert: 'same' },
  { name: 'Network In Total', aggregation: 'total', metric: 'network_in', convert: 'rate' },
  { name: 'Network Out Total', aggregation: 'total', metric: 'network_out', convert: 'rate' },
  { name: 'Disk Read Bytes', aggregation: 'total', metric: 'disk_read', convert: 'rate' },
  { name: 'Disk Write Bytes', aggregation: 'total', metric: 'disk_write', convert: 'rate' },
  { name: 'Available Memory Bytes', aggregation: 'average', metric: 'memory_available', convert: 'same' },
];

/** Maps one VM's metrics answer to points; a metric answered with an error code is returned in `failed`. */
export function mapVmMetrics(
  metrics: readonly Metric[],
  target: PointTarget,
): { points: PerformancePointInput[]; failed: string[] } {
  const points: PerformancePointInput[] = [];
  const failed: string[] = [];
  for (const m of metrics) {
    const spec = VM_METRICS.find((s) => s.name.toLowerCase() === (m.name?.value ?? '').toLowerCase());
    if (!spec) continue;
    if (m.errorCode && m.errorCode !== 'Success') {
      failed.push(`${spec.name}: ${m.errorCode}${m.errorMessage ? ` ${m.errorMessage}` : ''}`);
      continue;
    }
    for (const series of m.timeseries ?? []) {
      for (const d of series.data ?? []) {
        const raw = d[spec.aggregation];
        if (typeof raw !== 'number' || !Number.isFinite(raw) || !(d.timeStamp instanceof Date)) continue;
        const value = spec.convert === 'rate' ? perSecond(raw, INTERVAL_SECONDS) : raw;
        points.push(
          metricPoint(target, spec.metric, value, d.timeStamp, {
            sourceMetric: `${spec.name}:${spec.aggregation === 'total' ? 'Total' : 'Average'}`,
            labels: { period_s: String(INTERVAL_SECONDS) },
          }),
        );
      }
    }
  }
  return { points, failed };
}

/**
 * Azure performance: VM platform metrics from Azure Monitor (`metrics.list`, one query
 * per VM for all six metrics at PT5M). VMs are listed per subscription first. Only whole
 * intervals are read; the restatement window re-reads the last ones (platform metrics
 * arrive 1–3 minutes late).
 */
export async function* collectAzurePerformance(
  ctx: CollectContext<AzureSettings>,
): AsyncGenerator<PerformancePointInput[]> {
  const scopes = createCallScopes(ctx);
  const start = floorTo(ctx.window.start, INTERVAL_SECONDS * 1000);
  const end = floorTo(ctx.window.end, INTERVAL_SECONDS * 1000);
  const collectedAt = ctx.now();
  if (end.getTime() > start.getTime()) {
    const credential = azureCredential(ctx.connection);
    const options = azureClientOptions(ctx.connection);
    const timespan = `${start.toISOString()}/${end.toISOString()}`;
    for (const subscription of ctx.connection.settings.subscription_ids) {
      const compute = new ComputeManagementClient(credential, subscription, options);
      const monitor = new MonitorClient(credential, subscription, options);
      for await (const vms of armPages<VirtualMachine>(
        scopes,
        `${subscription} compute:virtualMachines.listAll`,
        (token) =>
          compute.virtualMachines.listAll({ abortSignal: ctx.signal }).byPage({ continuationToken: token }),
      )) {
        const batches = await mapLimit(vms, CONCURRENCY, async (vm) => {
          if (!vm.id) return [];
          const id = vm.id.toLowerCase();
          const scope = `${subscription} monitor:metrics.list ${vm.name ?? id}`;
          const answer = await scopes.attempt(scope, async () => {
            ctx.meter.count('azure-monitor:metrics.list');
            try {
              return await monitor.metrics.list(vm.id as string, {
                timespan,
                interval: 'PT5M',
                metricnames: VM_METRICS.map((m) => m.name).join(','),
                aggregation: 'Average,Total',
                abortSignal: ctx.signal,
              });
            } catch (err) {
              throw classifyAzureError(err, scope);
            }
          });
          if (!answer) return [];
          const target: PointTarget = {
            customerId: ctx.customerId,
            provider: 'azure',
            resourceId: id,
            resourceName: vm.name ?? '',
            resourceType: 'vm',
            region: vm.location ?? '',
            taskId: ctx.taskId,
            collectedAt,
            labels: { subscription_id: subscription, resource_group: resourceGroupOf(vm.id).toLowerCase() },
          };
          const { points, failed } = mapVmMetrics(answer.value ?? [], target);
          for (const f of failed) scopes.fail(scope, f);
          return points;
        });
        yield batches.flat();
      }
    }
  }
  scopes.finish();
}

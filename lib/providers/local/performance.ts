import type { CollectContext } from '../../collector/types';
import type { PerformancePointInput } from '../../schemas/rows';
import type { LocalSettings } from './config';
import { type MachineSample, machineId, sampleMachine } from './machine';

/** Maps one machine reading to points in the shared metric vocabulary. */
export function mapSample(
  sample: MachineSample,
  at: Date,
  ids: { customerId: string; resourceId: string; resourceName: string; taskId: string },
): PerformancePointInput[] {
  const base = {
    customer_id: ids.customerId,
    provider: 'local',
    resource_id: ids.resourceId,
    resource_name: ids.resourceName,
    resource_type: 'machine',
    region: 'local',
    ts: at,
    collected_at: at,
    task_id: ids.taskId,
  };
  const memUsed = sample.memTotal - sample.memAvailable;
  const points: PerformancePointInput[] = [
    {
      ...base,
      metric: 'cpu_utilization',
      unit: 'percent',
      value: round(sample.cpuPercent),
      source_metric: 'currentLoad',
    },
    {
      ...base,
      metric: 'load_average_1m',
      unit: 'count',
      value: round(sample.load1),
      source_metric: 'avgLoad',
    },
    {
      ...base,
      metric: 'memory_utilization',
      unit: 'percent',
      value: sample.memTotal > 0 ? round((memUsed / sample.memTotal) * 100) : 0,
      source_metric: 'mem.available',
    },
    {
      ...base,
      metric: 'memory_used',
      unit: 'bytes',
      value: memUsed,
      source_metric: 'mem.total-mem.available',
    },
  ];
  for (const d of sample.disks) {
    points.push(
      {
        ...base,
        metric: 'disk_utilization',
        dimension: d.mount,
        unit: 'percent',
        value: round(d.usePercent),
        source_metric: 'fsSize.use',
      },
      {
        ...base,
        metric: 'disk_used',
        dimension: d.mount,
        unit: 'bytes',
        value: d.used,
        source_metric: 'fsSize.used',
      },
    );
  }
  for (const n of sample.net) {
    points.push(
      {
        ...base,
        metric: 'network_in',
        dimension: n.iface,
        unit: 'bytes_per_second',
        value: round(n.rxPerSec),
        source_metric: 'networkStats.rx_sec',
      },
      {
        ...base,
        metric: 'network_out',
        dimension: n.iface,
        unit: 'bytes_per_second',
        value: round(n.txPerSec),
        source_metric: 'networkStats.tx_sec',
      },
    );
  }
  return points;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** A reading is an instant: the point lands at collection time, inside the window's end. */
export async function* collectLocalPerformance(ctx: CollectContext<LocalSettings>) {
  const sample = await sampleMachine();
  yield mapSample(sample, ctx.now(), {
    customerId: ctx.customerId,
    resourceId: machineId(),
    resourceName: machineId().slice('local:'.length),
    taskId: ctx.taskId,
  });
}

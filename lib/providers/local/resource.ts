import type { CollectContext } from '../../collector/types';
import type { LocalSettings } from './config';
import { bootTime, describeMachine, machineId } from './machine';

export async function* collectLocalResource(ctx: CollectContext<LocalSettings>) {
  const m = await describeMachine();
  const now = ctx.now();
  yield [
    {
      customer_id: ctx.customerId,
      provider: 'local',
      snapshot_at: now,
      resource_id: machineId(),
      resource_type: 'machine',
      name: m.hostname,
      status: 'running',
      region: 'local',
      sku: m.cpuModel,
      vcpus: m.vcpus,
      memory_gib: m.memoryGib,
      gpu_count: m.gpus.length,
      gpu_model: m.gpus[0]?.model ?? '',
      created_at: bootTime(now),
      hourly_price: ctx.connection.settings.hourly_rate ?? null,
      price_currency: ctx.connection.settings.hourly_rate ? ctx.connection.settings.currency : '',
      attributes: { os: m.os, arch: m.arch, gpus: m.gpus },
      task_id: ctx.taskId,
    },
  ];
}

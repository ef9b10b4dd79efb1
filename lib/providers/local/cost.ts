import type { CollectContext, TimeWindow } from '../../collector/types';
import type { CostRowInput } from '../../schemas/rows';
import { HOUR_MS, floorTo } from '../../time';
import type { LocalSettings } from './config';
import { bootTime, machineId } from './machine';

/**
 * Cost of this machine at a configured hourly rate: one row per clock hour the machine
 * was up inside the window, prorated for partial hours. The current hour is re-read by
 * the next run (restatement window) and its row replaced with the larger figure.
 * Amounts are computed in integer micro-units so they stay exact.
 */
export function localCostRows(args: {
  window: TimeWindow;
  upSince: Date;
  rate: string;
  currency: string;
  customerId: string;
  resourceId: string;
  taskId: string;
  collectedAt: Date;
}): CostRowInput[] {
  const rows: CostRowInput[] = [];
  const from = new Date(Math.max(args.window.start.getTime(), args.upSince.getTime()));
  const to = args.window.end;
  const rateMicros = decimalToMicros(args.rate);
  for (let h = floorTo(from, HOUR_MS).getTime(); h < to.getTime(); h += HOUR_MS) {
    const upStart = Math.max(h, args.upSince.getTime());
    const upEnd = Math.min(h + HOUR_MS, to.getTime());
    if (upEnd <= upStart) continue;
    const usedMs = upEnd - upStart;
    const amount = microsToDecimal(Math.round((rateMicros * usedMs) / HOUR_MS));
    const quantity = microsToDecimal(Math.round((usedMs / HOUR_MS) * 1e6));
    const monthStart = new Date(Date.UTC(new Date(h).getUTCFullYear(), new Date(h).getUTCMonth(), 1));
    const monthEnd = new Date(Date.UTC(monthStart.getUTCFullYear(), monthStart.getUTCMonth() + 1, 1));
    rows.push({
      x_customer_id: args.customerId,
      x_provider: 'local',
      x_connection_id: 'local',
      billing_account_id: 'local',
      provider_name: 'Local',
      invoice_issuer_name: 'Self',
      service_name: 'Local machine',
      service_category: 'Compute',
      charge_category: 'Usage',
      charge_description: 'Machine time at the configured hourly rate',
      charge_frequency: 'Usage-Based',
      resource_id: args.resourceId,
      resource_name: args.resourceId.replace(/^local:/, ''),
      resource_type: 'machine',
      region_id: 'local',
      region_name: 'local',
      pricing_quantity: quantity,
      pricing_unit: 'Hours',
      consumed_quantity: quantity,
      consumed_unit: 'Hours',
      billed_cost: amount,
      effective_cost: amount,
      list_cost: amount,
      contracted_cost: amount,
      billing_currency: args.currency,
      charge_period_start: new Date(h),
      charge_period_end: new Date(h + HOUR_MS),
      billing_period_start: monthStart,
      billing_period_end: monthEnd,
      x_task_id: args.taskId,
      x_collected_at: args.collectedAt,
    });
  }
  return rows;
}

function decimalToMicros(text: string): number {
  const [int, frac = ''] = text.split('.');
  return Number(int) * 1e6 + Number(frac.padEnd(6, '0').slice(0, 6));
}

function microsToDecimal(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / 1e6)}.${String(abs % 1e6).padStart(6, '0')}`;
}

export async function* collectLocalCost(ctx: CollectContext<LocalSettings>) {
  const rate = ctx.connection.settings.hourly_rate;
  if (!rate) return;
  const now = ctx.now();
  yield localCostRows({
    window: ctx.window,
    upSince: bootTime(now),
    rate,
    currency: ctx.connection.settings.currency,
    customerId: ctx.customerId,
    resourceId: machineId(),
    taskId: ctx.taskId,
    collectedAt: now,
  });
}

import type { CollectContext, TimeWindow } from '../../collector/types';
import type { CostRowInput } from '../../schemas/rows';
import { billingMonth, hourlySlices } from '../hourly-cost';
import type { LocalSettings } from './config';
import { bootTime, machineId } from './machine';

/**
 * Cost of this machine at a configured hourly rate: one row per clock hour the machine
 * was up inside the window, prorated for partial hours. The current hour is re-read by
 * the next run (restatement window) and its row replaced with the larger figure.
 * Amounts are exact decimals (lib/providers/hourly-cost.ts).
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
  return hourlySlices({ window: args.window, rate: args.rate, runningSince: args.upSince }).map((slice) => {
    const month = billingMonth(slice.periodStart);
    return {
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
      pricing_quantity: slice.quantity,
      pricing_unit: 'Hours',
      consumed_quantity: slice.quantity,
      consumed_unit: 'Hours',
      billed_cost: slice.amount,
      effective_cost: slice.amount,
      list_cost: slice.amount,
      contracted_cost: slice.amount,
      billing_currency: args.currency,
      charge_period_start: slice.periodStart,
      charge_period_end: slice.periodEnd,
      billing_period_start: month.start,
      billing_period_end: month.end,
      x_task_id: args.taskId,
      x_collected_at: args.collectedAt,
    };
  });
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

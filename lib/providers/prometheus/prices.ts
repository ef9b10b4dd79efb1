import { z } from 'zod';
import type { CollectContext } from '../../collector/types';
import type { CostRowInput, ResourceSnapshotInput } from '../../schemas/rows';
import { HOUR_MS } from '../../time';
import { billingMonth, formatDecimal, parseDecimal } from '../hourly-cost';
import { queryRange } from './client';
import { prometheusEndpoint } from './collect';
import type { PrometheusSettings } from './config';
import { firstTemplate } from './query';

const decimalText = z.string().regex(/^\d{1,12}(\.\d{1,10})?$/, 'must be a decimal such as "2.21"');

/**
 * Hourly prices of self-hosted machines (`prices:` of an `onprem` or `prometheus`
 * connection): no API knows them, so the connection says. Looked up per machine in this
 * order: `by_instance` (the machine's resource id or its raw `instance` label value), then
 * `by_label[<value of label>]` (an instance-type or hardware label on its targets), then
 * `default`. Exact decimal strings, in `currency`.
 *
 * ```yaml
 * prices:
 *   currency: USD
 *   label: hardware            # a target label, e.g. set by relabelling
 *   by_label: { dgx-a100: "9.59" }
 *   by_instance: { "gpu-7.lab": "4.11" }
 *   default: "0.35"
 * ```
 */
export const MachinePricesSchema = z.strictObject({
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
    .default('USD'),
  label: z.string().min(1).max(128).optional(),
  by_label: z.record(z.string(), decimalText).default({}),
  by_instance: z.record(z.string(), decimalText).default({}),
  default: decimalText.optional(),
});
export type MachinePrices = z.output<typeof MachinePricesSchema>;

export interface PricedMachinesOptions {
  provider: string;
  displayName: string;
  prometheus: PrometheusSettings;
  prices: MachinePrices;
  /** Templates naming a machine, as its performance points are named (one identity per machine). */
  resourceId: readonly string[];
  region: string;
}

interface Machine {
  id: string;
  labels: Record<string, string>;
  instance: string;
  /** Per clock hour (ms since epoch), the step instants at which a target of it was up. */
  upAt: Map<number, Set<number>>;
  upNow: boolean;
}

function priceOf(m: Machine, p: MachinePrices): { rate: string; key: string } | null {
  const own = p.by_instance[m.id] ?? p.by_instance[m.instance];
  if (own) return { rate: own, key: m.id };
  const value = p.label ? m.labels[p.label] : undefined;
  if (value !== undefined && p.by_label[value]) return { rate: p.by_label[value], key: value };
  if (p.default) return { rate: p.default, key: 'default' };
  return null;
}

/**
 * The connection's machines as Prometheus's `up` series show them over whole clock hours
 * covering the window: labels (merged over each machine's targets), and when they were up.
 */
async function machines(ctx: CollectContext<unknown>, o: PricedMachinesOptions): Promise<Machine[]> {
  const step = o.prometheus.step;
  const startMs = Math.floor(ctx.window.start.getTime() / HOUR_MS) * HOUR_MS;
  const endMs = Math.floor((ctx.window.end.getTime() - 1) / step) * step;
  if (endMs < startMs) return [];
  const endpoint = prometheusEndpoint(o.provider, o.prometheus, ctx.connection.secrets);
  const selector = o.prometheus.selector ? `{${o.prometheus.selector}}` : '';
  const answer = await ctx.retry('prometheus up', () => {
    ctx.meter.count('prometheus.query_range');
    return queryRange(endpoint, { query: `up${selector}`, startMs, endMs, stepMs: step }, ctx.signal);
  });
  const byId = new Map<string, Machine>();
  for (const series of answer.series) {
    const id = firstTemplate([...o.resourceId, '{instance|host}'], series.labels);
    if (!id) continue;
    let m = byId.get(id);
    if (!m) {
      m = { id, labels: {}, instance: series.labels.instance ?? '', upAt: new Map(), upNow: false };
      byId.set(id, m);
    }
    for (const [k, v] of Object.entries(series.labels))
      if (k !== '__name__' && !(k in m.labels)) m.labels[k] = v;
    for (const [ts, value] of series.samples) {
      if (value !== 1) continue;
      const hour = Math.floor(ts / HOUR_MS) * HOUR_MS;
      const set = m.upAt.get(hour) ?? new Set<number>();
      m.upAt.set(hour, set);
      set.add(ts);
      if (ts === endMs) m.upNow = true;
    }
  }
  return [...byId.values()];
}

/** Inventory rows of the priced machines: hourly price and currency as the adapters write them. */
export async function pricedMachineSnapshots(
  ctx: CollectContext<unknown>,
  o: PricedMachinesOptions,
): Promise<ResourceSnapshotInput[]> {
  const at = ctx.now();
  return (await machines(ctx, o)).map((m) => {
    const price = priceOf(m, o.prices);
    return {
      customer_id: ctx.customerId,
      provider: o.provider,
      snapshot_at: at,
      resource_id: m.id,
      resource_type: 'machine',
      name: m.labels.instance ?? m.id,
      status: m.upNow ? 'running' : 'down',
      region: m.labels.region || o.region,
      zone: '',
      sku: o.prices.label ? (m.labels[o.prices.label] ?? '') : '',
      tags: m.labels,
      hourly_price: price?.rate ?? null,
      price_currency: price ? o.prices.currency : '',
      attributes: { price_source: price?.key ?? null },
      task_id: ctx.taskId,
    };
  });
}

/**
 * Cost rows of the priced machines: price × the time `up` said they ran, one row per
 * machine and clock hour, each hour computed whole from its own samples, so re-collecting
 * (or an overlapping window) gives an hour the same figure and replaces its row. Exact:
 * BigInt on units of 10^-10, rounded half-up once.
 */
export async function pricedMachineCosts(
  ctx: CollectContext<unknown>,
  o: PricedMachinesOptions,
): Promise<CostRowInput[]> {
  const collectedAt = ctx.now();
  const stepMs = BigInt(o.prometheus.step);
  const rows: CostRowInput[] = [];
  const unpriced: string[] = [];
  for (const m of await machines(ctx, o)) {
    const price = priceOf(m, o.prices);
    if (!price) {
      unpriced.push(m.id);
      continue;
    }
    const rate = parseDecimal(price.rate);
    for (const [hour, instants] of [...m.upAt].sort((a, b) => a[0] - b[0])) {
      const used = BigInt(instants.size) * stepMs;
      const quantity = formatDecimal(divRound(used * 10n ** 10n, BigInt(HOUR_MS)));
      const amount = formatDecimal(divRound(rate * used, BigInt(HOUR_MS)));
      const month = billingMonth(new Date(hour));
      rows.push({
        x_customer_id: ctx.customerId,
        x_provider: o.provider,
        x_connection_id: ctx.connection.id,
        billing_account_id: ctx.connection.id,
        provider_name: o.displayName,
        invoice_issuer_name: o.displayName,
        service_name: Number(m.labels.gpu_count ?? 0) > 0 ? 'GPU machines' : 'Machines',
        service_category: 'Compute',
        charge_category: 'Usage',
        charge_description: `Estimated: configured price ${price.rate} ${o.prices.currency}/hour × time up`,
        charge_frequency: 'Usage-Based',
        resource_id: m.id,
        resource_name: m.labels.instance ?? m.id,
        resource_type: 'machine',
        region_id: m.labels.region || o.region,
        region_name: m.labels.region || o.region,
        availability_zone: '',
        sku_id: price.key,
        pricing_category: 'Standard',
        pricing_quantity: quantity,
        pricing_unit: 'Hours',
        consumed_quantity: quantity,
        consumed_unit: 'Hours',
        billed_cost: amount,
        effective_cost: amount,
        list_cost: amount,
        contracted_cost: amount,
        billing_currency: o.prices.currency,
        charge_period_start: new Date(hour),
        charge_period_end: new Date(hour + HOUR_MS),
        billing_period_start: month.start,
        billing_period_end: month.end,
        tags: m.labels,
        x_task_id: ctx.taskId,
        x_collected_at: collectedAt,
      });
    }
  }
  if (unpriced.length > 0) {
    ctx.logger.warn('machines without a price in settings.prices; no cost rows for them', {
      machines: unpriced.slice(0, 20),
    });
  }
  return rows;
}

function divRound(n: bigint, d: bigint): bigint {
  const q = n / d;
  return (n % d) * 2n >= d ? q + 1n : q;
}

import { z } from 'zod';
import { ProviderConfigError, ProviderError, ProviderParseError } from '../../errors';
import type { CostRowInput, PerformancePointInput, ResourceSnapshotInput } from '../../schemas/rows';
import { billingMonth, hourlySlices } from '../hourly-cost';
import type { AdapterContext } from './types';

/**
 * Checks a provider answer against the part of its documented shape we rely on. A
 * mismatch is a ProviderParseError naming the call and the field, and the data type
 * writes nothing (a half-understood inventory is worse than none).
 */
export function parseResponse<T>(provider: string, what: string, schema: z.ZodType<T>, data: unknown): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const at = issue?.path.length ? issue.path.map(String).join('.') : '(body)';
  throw new ProviderParseError(
    provider,
    `${what}: unexpected response at ${at}: ${issue?.message ?? 'invalid'}`,
  );
}

/** A timestamp string in ISO 8601 (no zone means UTC, as Linode writes them) parsed to a Date. */
export const timestamp = z.string().transform((text, ctx) => {
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(text) ? text : `${text}Z`;
  const ms = Date.parse(zoned);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: `not a timestamp: "${text.slice(0, 40)}"` });
    return z.NEVER;
  }
  return new Date(ms);
});

/**
 * The adapter's settings, typed and with defaults filled. createAdapterContext has already
 * applied the schema (parsing again is cheap and idempotent); this gives the adapter its
 * own settings type, and still checks a context put together by hand. Errors name the
 * field, as createAdapterContext's do.
 */
export function settingsOf<T>(ctx: AdapterContext, schema: z.ZodType<T>): T {
  const result = schema.safeParse(ctx.settings);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = ['api', ...(issue?.path ?? []).map(String)].join('.');
  throw new ProviderConfigError(
    ctx.collect.provider,
    `invalid settings: ${field}: ${issue?.message ?? 'invalid'}`,
  );
}

/**
 * Whether a provider call failed with this HTTP status (fetchJson maps statuses without a
 * class of their own, such as 404 or 410, to a plain `request_failed` ProviderError).
 */
export function isHttpStatus(err: unknown, status: number): boolean {
  return err instanceof ProviderError && new RegExp(`: HTTP ${status}\\b`).test(err.message);
}

/** `base + path` with query parameters (undefined ones left out). */
export function apiUrl(
  base: string,
  path: string,
  query: Record<string, string | number | boolean | undefined> = {},
): string {
  const u = new URL(`${base}${path}`);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
  return u.toString();
}

export function bearer(ctx: AdapterContext, secret: string): Record<string, string> {
  return { authorization: `Bearer ${ctx.secrets[secret]}` };
}

/** The fields every snapshot row of this run shares. */
export function snapshotRow(
  ctx: AdapterContext,
  row: Omit<ResourceSnapshotInput, 'customer_id' | 'provider' | 'snapshot_at' | 'task_id'>,
): ResourceSnapshotInput {
  return {
    customer_id: ctx.collect.customerId,
    provider: ctx.collect.provider,
    snapshot_at: ctx.collect.now(),
    task_id: ctx.collect.taskId,
    ...row,
  };
}

/** One utilisation point at collection time (provider APIs report "now", not history). */
export function pointRow(
  ctx: AdapterContext,
  at: Date,
  row: Omit<PerformancePointInput, 'customer_id' | 'provider' | 'ts' | 'collected_at' | 'task_id'>,
): PerformancePointInput {
  return {
    customer_id: ctx.collect.customerId,
    provider: ctx.collect.provider,
    ts: at,
    collected_at: at,
    task_id: ctx.collect.taskId,
    ...row,
  };
}

const PRESENT_TOLERANCE_MS = 10 * 60_000;

/** A machine the provider prices by the hour, and what we know of its running time. */
export interface PricedResource {
  resourceId: string;
  resourceName: string;
  resourceType: string;
  regionId: string;
  zone?: string;
  skuId: string;
  /** Hourly price, exact decimal text. */
  rate: string;
  currency: string;
  /** Null when the provider does not say (see hourlySlices). */
  runningSince: Date | null;
  runningUntil?: Date | null;
  monthlyCap?: string | null;
  serviceName: string;
  tags?: Record<string, string>;
  /** The account or project the machine belongs to, when the API names one. */
  billingAccountId?: string;
}

/**
 * FOCUS cost rows from price × running time, one per resource per clock hour (see
 * hourlySlices for why re-collection never double-counts). `charge_description` says the
 * figure is an estimate from the list price, since no invoice backs it.
 */
export function priceTimeCostRows(
  ctx: AdapterContext,
  providerName: string,
  resources: readonly PricedResource[],
): CostRowInput[] {
  const rows: CostRowInput[] = [];
  const collectedAt = ctx.collect.now();
  // A machine seen running now says nothing about a window that ended a while ago (an
  // explicit backfill window): without a known start, only the present is billed.
  const present = ctx.collect.window.end.getTime() >= collectedAt.getTime() - PRESENT_TOLERANCE_MS;
  for (const r of resources) {
    if (r.runningSince === null && !present) continue;
    const slices = hourlySlices({
      window: ctx.collect.window,
      rate: r.rate,
      runningSince: r.runningSince,
      runningUntil: r.runningUntil ?? null,
      monthlyCap: r.monthlyCap ?? null,
    });
    for (const s of slices) {
      const month = billingMonth(s.periodStart);
      rows.push({
        x_customer_id: ctx.collect.customerId,
        x_provider: ctx.collect.provider,
        x_connection_id: ctx.collect.connection.id,
        billing_account_id: r.billingAccountId ?? ctx.collect.connection.id,
        provider_name: providerName,
        invoice_issuer_name: providerName,
        service_name: r.serviceName,
        service_category: 'Compute',
        charge_category: 'Usage',
        charge_description: `Estimated: list price ${r.rate} ${r.currency}/hour × running time`,
        charge_frequency: 'Usage-Based',
        resource_id: r.resourceId,
        resource_name: r.resourceName,
        resource_type: r.resourceType,
        region_id: r.regionId,
        region_name: r.regionId,
        availability_zone: r.zone ?? '',
        sku_id: r.skuId,
        pricing_category: 'Standard',
        pricing_quantity: s.quantity,
        pricing_unit: 'Hours',
        consumed_quantity: s.quantity,
        consumed_unit: 'Hours',
        billed_cost: s.amount,
        effective_cost: s.amount,
        list_cost: s.listAmount,
        contracted_cost: s.amount,
        billing_currency: r.currency,
        charge_period_start: s.periodStart,
        charge_period_end: s.periodEnd,
        billing_period_start: month.start,
        billing_period_end: month.end,
        tags: r.tags ?? {},
        x_task_id: ctx.collect.taskId,
        x_collected_at: collectedAt,
      });
    }
  }
  return rows;
}

/** Provider tag lists ("env:prod", "team=ml", "gpu") as a map: key → value, bare tags → "". */
export function tagMap(tags: readonly string[] | undefined | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) {
    const m = /^([^:=]+)[:=](.*)$/.exec(t);
    if (m) out[m[1] as string] = m[2] as string;
    else out[t] = '';
  }
  return out;
}

export const round3 = (v: number) => Math.round(v * 1000) / 1000;

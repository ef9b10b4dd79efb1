import { z } from 'zod';
import { ProviderAuthError } from '../../../errors';
import type { CostRowInput } from '../../../schemas/rows';
import { billingMonth, numberToDecimal } from '../../hourly-cost';
import { isHttpStatus, parseResponse, settingsOf, snapshotRow, timestamp } from '../common';
import type { AdapterContext, ProviderAdapter } from '../types';
import { ovhSignature } from './sign';

const ID = 'ovh';

/** API roots of the OVHcloud regions (the `endpoint` setting). */
export const OVH_ENDPOINTS = {
  eu: 'https://eu.api.ovh.com/1.0',
  ca: 'https://ca.api.ovh.com/1.0',
  us: 'https://api.us.ovhcloud.com/1.0',
} as const;

export const OvhSettingsSchema = z.strictObject({
  base_url: z.string().url().optional(),
  endpoint: z.enum(['eu', 'ca', 'us']).default('eu'),
  /** The Public Cloud project id (the API's `serviceName`). */
  project_id: z
    .string()
    .regex(/^[A-Za-z0-9]{1,64}$/, 'must be the Public Cloud project id (letters and digits)'),
  /** The account's currency: usage prices are numbers without one. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
    .default('EUR'),
});
export type OvhSettings = z.infer<typeof OvhSettingsSchema>;

/** Server clock minus ours, per API root, refreshed every 30 minutes (the SDK keeps one per client). */
const CLOCK_DELTAS = new Map<string, { deltaS: Promise<number>; at: number }>();
const CLOCK_TTL_MS = 30 * 60_000;

function clockDelta(ctx: AdapterContext): Promise<number> {
  const held = CLOCK_DELTAS.get(ctx.baseUrl);
  if (held && Date.now() - held.at < CLOCK_TTL_MS) return held.deltaS;
  const deltaS = ctx.http
    .getJson<unknown>(`${ctx.baseUrl}/auth/time`)
    .then(
      (t) =>
        parseResponse(ID, 'GET /auth/time', z.number().int().positive(), t) - Math.floor(Date.now() / 1000),
    );
  CLOCK_DELTAS.set(ctx.baseUrl, { deltaS, at: Date.now() });
  deltaS.catch(() => CLOCK_DELTAS.delete(ctx.baseUrl));
  return deltaS;
}

/** A signed GET (headers recomputed on every attempt: the signature covers the time). */
async function ovhGet(ctx: AdapterContext, path: string): Promise<unknown> {
  const url = `${ctx.baseUrl}${path}`;
  const delta = await clockDelta(ctx);
  return signedGet(ctx, url, delta).catch((err: unknown) => {
    // A wrong application secret shows up as "400 Invalid signature": a credentials problem.
    if (isHttpStatus(err, 400) && /invalid signature/i.test((err as Error).message)) {
      throw new ProviderAuthError(ID, (err as Error).message, { cause: err });
    }
    throw err;
  });
}

function signedGet(ctx: AdapterContext, url: string, delta: number): Promise<unknown> {
  return ctx.http.getJson<unknown>(url, {
    headers: () => {
      const ts = Math.floor(Date.now() / 1000) + delta;
      return {
        'x-ovh-application': ctx.secrets.application_key as string,
        'x-ovh-consumer': ctx.secrets.consumer_key as string,
        'x-ovh-timestamp': String(ts),
        'x-ovh-signature': ovhSignature({
          applicationSecret: ctx.secrets.application_secret as string,
          consumerKey: ctx.secrets.consumer_key as string,
          method: 'GET',
          url,
          body: '',
          timestamp: ts,
        }),
      };
    },
  });
}

const InstanceSchema = z.object({
  id: z.string().min(1),
  name: z.string().nullish(),
  status: z.string(),
  created: timestamp.nullish(),
  region: z.string(),
  flavorId: z.string().nullish(),
  imageId: z.string().nullish(),
  planCode: z.string().nullish(),
  monthlyBilling: z.object({ since: z.string().nullish(), status: z.string().nullish() }).nullish(),
  ipAddresses: z
    .array(z.object({ ip: z.string(), type: z.string().nullish(), version: z.number().nullish() }))
    .nullish(),
});
const FlavorSchema = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string().nullish(),
  vcpus: z.number().nullish(),
  ram: z.number().nullish(),
  disk: z.number().nullish(),
  type: z.string().nullish(),
});

const Quantity = z.object({ unit: z.string(), value: z.number() }).nullish();
const UsageDetailSchema = z.looseObject({ totalPrice: z.number(), quantity: Quantity });
const UsageEntrySchema = z.looseObject({
  region: z.string().nullish(),
  reference: z.string().nullish(),
  type: z.string().nullish(),
  totalPrice: z.number(),
  quantity: Quantity,
  details: z.array(UsageDetailSchema).nullish(),
});
const UsageSchema = z.object({
  period: z.object({ from: timestamp, to: timestamp.nullish() }),
  lastUpdate: timestamp.nullish(),
  hourlyUsage: z.record(z.string(), z.array(UsageEntrySchema)).nullish(),
  monthlyUsage: z.record(z.string(), z.array(UsageEntrySchema)).nullish(),
});
type UsageDetail = z.infer<typeof UsageDetailSchema>;

const project = (ctx: AdapterContext) => encodeURIComponent(settingsOf(ctx, OvhSettingsSchema).project_id);

/** Service names for the usage sections OVH reports. */
const SERVICE: Record<string, string> = {
  instance: 'Compute',
  instanceOption: 'Compute options',
  instanceBandwidth: 'Bandwidth',
  volume: 'Block Storage',
  snapshot: 'Snapshots',
  storage: 'Object Storage',
  certification: 'Certification',
};

/** The id a usage detail is about (instanceId, volumeId, …). */
function detailId(d: UsageDetail): string {
  for (const k of ['instanceId', 'volumeId', 'snapshotId', 'storageId', 'id']) {
    const v = (d as Record<string, unknown>)[k];
    if (typeof v === 'string' && v) return v;
  }
  return '';
}

/**
 * OVHcloud Public Cloud (API 1.0 with signed application keys; plain fetch, since the
 * official SDK hard-codes https): the project's instances with their flavor, and cost
 * from the project's current-month usage (`usage/current`): one row per resource and
 * usage line, month to date, replaced by each collection as it grows.
 */
export const ovhAdapter: ProviderAdapter = {
  id: ID,
  displayName: 'OVHcloud',
  category: 'general_compute',
  defaultBaseUrl: OVH_ENDPOINTS.eu,
  secretNames: ['application_key', 'application_secret', 'consumer_key'],
  settingsSchema: OvhSettingsSchema.transform((s) => ({
    ...s,
    base_url: s.base_url ?? OVH_ENDPOINTS[s.endpoint],
  })),

  async resources(ctx) {
    const base = `/cloud/project/${project(ctx)}`;
    const [instances, flavors] = await Promise.all([
      ovhGet(ctx, `${base}/instance`).then((d) =>
        parseResponse(ID, 'GET /cloud/project/{id}/instance', z.array(InstanceSchema), d),
      ),
      ovhGet(ctx, `${base}/flavor`).then((d) =>
        parseResponse(ID, 'GET /cloud/project/{id}/flavor', z.array(FlavorSchema), d),
      ),
    ]);
    const flavorById = new Map(flavors.map((f) => [f.id, f]));
    return instances.map((i) => {
      const f = i.flavorId ? flavorById.get(i.flavorId) : undefined;
      return snapshotRow(ctx, {
        resource_id: i.id,
        resource_type: 'instance',
        name: i.name ?? '',
        status: i.status.toLowerCase(),
        region: i.region,
        sku: f?.name ?? i.planCode ?? '',
        vcpus: f?.vcpus ?? null,
        memory_gib: f?.ram ?? null,
        created_at: i.created ?? null,
        attributes: {
          flavor_id: i.flavorId ?? '',
          flavor_type: f?.type ?? '',
          disk_gb: f?.disk ?? null,
          image_id: i.imageId ?? '',
          plan_code: i.planCode ?? '',
          monthly_billing: i.monthlyBilling?.status ?? '',
          ips: (i.ipAddresses ?? []).map((a) => a.ip),
          project_id: settingsOf(ctx, OvhSettingsSchema).project_id,
        },
      });
    });
  },

  async cost(ctx) {
    const settings = settingsOf(ctx, OvhSettingsSchema);
    const data = await ovhGet(ctx, `/cloud/project/${project(ctx)}/usage/current`);
    const usage = parseResponse(ID, 'GET /cloud/project/{id}/usage/current', UsageSchema, data);
    const month = billingMonth(usage.period.from);
    const collectedAt = ctx.collect.now();
    const end = usage.lastUpdate ?? usage.period.to ?? collectedAt;
    const rows: CostRowInput[] = [];
    const add = (
      frequency: 'Usage-Based' | 'Recurring',
      section: string,
      entries: z.infer<typeof UsageEntrySchema>[],
    ) => {
      for (const e of entries) {
        const sku = e.reference ?? e.type ?? section;
        const lines = e.details?.length
          ? e.details.map((d) => ({ id: detailId(d), price: d.totalPrice, q: d.quantity }))
          : [{ id: '', price: e.totalPrice, q: e.quantity }];
        for (const line of lines) {
          const amount = numberToDecimal(line.price);
          const quantity = line.q ? numberToDecimal(line.q.value) : '0';
          rows.push({
            x_customer_id: ctx.collect.customerId,
            x_provider: ctx.collect.provider,
            x_connection_id: ctx.collect.connection.id,
            billing_account_id: settings.project_id,
            provider_name: 'OVHcloud',
            invoice_issuer_name: 'OVHcloud',
            service_name: SERVICE[section] ?? section,
            service_category:
              section === 'instance' || section === 'instanceOption'
                ? 'Compute'
                : section === 'instanceBandwidth'
                  ? 'Networking'
                  : 'Storage',
            charge_category: 'Usage',
            charge_description: `${section} ${sku}, month to date (usage/current)`,
            charge_frequency: frequency,
            resource_id: line.id,
            resource_name: line.id,
            resource_type: section,
            region_id: e.region ?? '',
            region_name: e.region ?? '',
            sku_id: sku,
            pricing_category: frequency === 'Recurring' ? 'Committed' : 'Standard',
            pricing_quantity: quantity,
            pricing_unit: line.q?.unit ?? '',
            consumed_quantity: quantity,
            consumed_unit: line.q?.unit ?? '',
            billed_cost: amount,
            effective_cost: amount,
            list_cost: amount,
            contracted_cost: amount,
            billing_currency: settings.currency,
            charge_period_start: usage.period.from,
            charge_period_end: end,
            billing_period_start: month.start,
            billing_period_end: month.end,
            x_line_key: frequency,
            x_task_id: ctx.collect.taskId,
            x_collected_at: collectedAt,
          });
        }
      }
    };
    for (const [section, entries] of Object.entries(usage.hourlyUsage ?? {}))
      add('Usage-Based', section, entries);
    for (const [section, entries] of Object.entries(usage.monthlyUsage ?? {}))
      add('Recurring', section, entries);
    return rows;
  },

  async test(ctx) {
    const data = await ovhGet(ctx, `/cloud/project/${project(ctx)}`);
    parseResponse(ID, 'GET /cloud/project/{id}', z.looseObject({ project_id: z.string().optional() }), data);
  },
};

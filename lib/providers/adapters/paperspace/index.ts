import { z } from 'zod';
import { ProviderParseError } from '../../../errors';
import { MINUTE_MS } from '../../../time';
import {
  apiUrl,
  bearer,
  parseResponse,
  priceTimeCostRows,
  settingsOf,
  snapshotRow,
  timestamp,
} from '../common';
import type { AdapterContext, ProviderAdapter } from '../types';

const ID = 'paperspace';
const LIMIT = 100;
const MAX_PAGES = 1000;

const decimalText = z.string().regex(/^\d{1,12}(\.\d{1,10})?$/, 'must be a decimal such as "3.09"');

export const PaperspaceSettingsSchema = z.strictObject({
  base_url: z.string().url().optional(),
  /** Hourly price per machine type ("A100-80G": "3.18"): the API has no prices or billing. */
  prices: z.record(z.string(), decimalText).default({}),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
    .default('USD'),
});
export type PaperspaceSettings = z.infer<typeof PaperspaceSettingsSchema>;

const MachineSchema = z.object({
  id: z.string().min(1),
  name: z.string().nullish(),
  state: z.string(),
  machineType: z.string(),
  region: z.string().nullish(),
  publicIp: z.string().nullish(),
  privateIp: z.string().nullish(),
  dtCreated: timestamp.nullish(),
  cpus: z.number().nullish(),
  ram: z.union([z.number(), z.string()]).nullish(),
  gpu: z.string().nullish(),
  gpuCount: z.number().int().nonnegative().nullish(),
  storageTotal: z.union([z.number(), z.string()]).nullish(),
});
type Machine = z.infer<typeof MachineSchema>;

const MachinesPageSchema = z.object({
  items: z.array(MachineSchema),
  hasMore: z.boolean(),
  nextPage: z.string().nullish(),
});

async function machines(ctx: AdapterContext): Promise<Machine[]> {
  const all: Machine[] = [];
  let after: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const data = await ctx.http.getJson<unknown>(apiUrl(ctx.baseUrl, '/machines', { limit: LIMIT, after }), {
      headers: bearer(ctx, 'api_key'),
    });
    const body = parseResponse(ID, 'GET /machines', MachinesPageSchema, data);
    all.push(...body.items);
    if (!body.hasMore) return all;
    if (!body.nextPage || body.nextPage === after) {
      throw new ProviderParseError(ID, 'GET /machines: hasMore is true but nextPage is missing or repeats');
    }
    after = body.nextPage;
  }
  throw new ProviderParseError(ID, `GET /machines: more than ${MAX_PAGES} pages`);
}

/** Machines billed by the hour right now: anything not off (storage of an off machine is not priced here). */
const RUNNING = new Set(['ready', 'serviceready', 'starting', 'stopping', 'restarting', 'upgrading']);

const bytesToGib = (v: number | string | null | undefined) => {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n / 1024 ** 3 : null;
};

/**
 * Paperspace (api.paperspace.com/v1): machines with type, state and region. The API has no
 * prices and no billing, so cost uses the connection's price table (`prices`, per machine
 * type) × the time between collections in which the machine was seen running.
 */
export const paperspaceAdapter: ProviderAdapter = {
  id: ID,
  displayName: 'Paperspace',
  category: 'gpu_cloud',
  defaultBaseUrl: 'https://api.paperspace.com/v1',
  secretNames: ['api_key'],
  settingsSchema: PaperspaceSettingsSchema,
  windows: { cost: { initialLookbackMs: 15 * MINUTE_MS } },

  async resources(ctx) {
    const settings = settingsOf(ctx, PaperspaceSettingsSchema);
    return (await machines(ctx)).map((m) => {
      const price = settings.prices[m.machineType];
      return snapshotRow(ctx, {
        resource_id: m.id,
        resource_type: 'machine',
        name: m.name ?? '',
        status: m.state,
        region: m.region ?? '',
        sku: m.machineType,
        vcpus: m.cpus ?? null,
        memory_gib: bytesToGib(m.ram),
        gpu_count: m.gpuCount ?? (m.gpu ? 1 : 0),
        gpu_model: m.gpu ?? '',
        created_at: m.dtCreated ?? null,
        hourly_price: price ?? null,
        price_currency: price ? settings.currency : '',
        attributes: {
          public_ip: m.publicIp ?? '',
          private_ip: m.privateIp ?? '',
          price_source: price ? 'settings.prices' : '',
        },
      });
    });
  },

  async cost(ctx) {
    const settings = settingsOf(ctx, PaperspaceSettingsSchema);
    const running = (await machines(ctx)).filter((m) => RUNNING.has(m.state));
    const unpriced = [
      ...new Set(running.filter((m) => !settings.prices[m.machineType]).map((m) => m.machineType)),
    ];
    if (unpriced.length > 0) {
      ctx.collect.logger.warn('paperspace machine types without a price in settings; no cost rows for them', {
        machine_types: unpriced,
      });
    }
    return priceTimeCostRows(
      ctx,
      'Paperspace',
      running
        .filter((m) => settings.prices[m.machineType])
        .map((m) => ({
          resourceId: m.id,
          resourceName: m.name ?? m.id,
          resourceType: 'machine',
          regionId: m.region ?? '',
          skuId: m.machineType,
          rate: settings.prices[m.machineType] as string,
          currency: settings.currency,
          runningSince: null,
          serviceName: 'Machines',
        })),
    );
  },

  async test(ctx) {
    await ctx.http.getJson<unknown>(apiUrl(ctx.baseUrl, '/machines', { limit: 1 }), {
      headers: bearer(ctx, 'api_key'),
    });
  },
};

import { z } from 'zod';
import { ProviderParseError } from '../../../errors';
import { formatDecimal, parseDecimal } from '../../hourly-cost';
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

const ID = 'hetzner';
const PER_PAGE = 50;
const MAX_PAGES = 1000;

export const HetznerSettingsSchema = z.strictObject({
  base_url: z.string().url().optional(),
  /** Which Hetzner price to use: net (before VAT, the default, like other clouds' list prices) or gross. */
  price: z.enum(['net', 'gross']).default('net'),
});
export type HetznerSettings = z.infer<typeof HetznerSettingsSchema>;

const decimalText = z.string().refine((s) => {
  try {
    parseDecimal(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a decimal string');
const Amount = z.object({ net: decimalText, gross: decimalText });

const ServerSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.string(),
  created: timestamp,
  labels: z.record(z.string(), z.string()).nullish(),
  server_type: z.object({
    name: z.string(),
    cores: z.number(),
    memory: z.number(),
    disk: z.number().nullish(),
    cpu_type: z.string().nullish(),
    architecture: z.string().nullish(),
    prices: z.array(z.object({ location: z.string(), price_hourly: Amount, price_monthly: Amount })),
  }),
  datacenter: z.object({
    name: z.string(),
    location: z.object({ name: z.string(), city: z.string().nullish() }),
  }),
  public_net: z.object({ ipv4: z.object({ ip: z.string() }).nullish() }).nullish(),
});
type Server = z.infer<typeof ServerSchema>;

const ServersPageSchema = z.object({
  servers: z.array(ServerSchema),
  meta: z.object({
    pagination: z.object({
      page: z.number().int(),
      next_page: z.number().int().nullable(),
      last_page: z.number().int().nullish(),
    }),
  }),
});

const PricingSchema = z.object({ pricing: z.object({ currency: z.string().regex(/^[A-Z]{3}$/) }) });

async function servers(ctx: AdapterContext): Promise<Server[]> {
  const all: Server[] = [];
  let page = 1;
  for (let n = 0; n < MAX_PAGES; n++) {
    const data = await ctx.http.getJson<unknown>(
      apiUrl(ctx.baseUrl, '/v1/servers', { page, per_page: PER_PAGE }),
      {
        headers: bearer(ctx, 'token'),
      },
    );
    const body = parseResponse(ID, 'GET /v1/servers', ServersPageSchema, data);
    all.push(...body.servers);
    const next = body.meta.pagination.next_page;
    if (next === null) return all;
    if (next <= page)
      throw new ProviderParseError(ID, `GET /v1/servers: next_page ${next} does not advance past ${page}`);
    page = next;
  }
  throw new ProviderParseError(ID, `GET /v1/servers: more than ${MAX_PAGES} pages`);
}

async function currency(ctx: AdapterContext): Promise<string> {
  const data = await ctx.http.getJson<unknown>(`${ctx.baseUrl}/v1/pricing`, {
    headers: bearer(ctx, 'token'),
  });
  return parseResponse(ID, 'GET /v1/pricing', PricingSchema, data).pricing.currency;
}

/** The server type's price at the server's location (Hetzner prices differ by location). */
function priceOf(s: Server, which: HetznerSettings['price']) {
  const p = s.server_type.prices.find((x) => x.location === s.datacenter.location.name);
  if (!p) return null;
  return {
    hourly: formatDecimal(parseDecimal(p.price_hourly[which])),
    monthly: formatDecimal(parseDecimal(p.price_monthly[which])),
  };
}

/**
 * Hetzner Cloud (API v1, no official JS SDK): servers with type, location, labels and the
 * location's price (decimal strings, kept exact). Hetzner has no billing API: cost is the
 * hourly price × the time since creation, capped each month at the monthly price. Servers
 * are billed while they exist, powered off included.
 */
export const hetznerAdapter: ProviderAdapter = {
  id: ID,
  displayName: 'Hetzner Cloud',
  category: 'general_compute',
  defaultBaseUrl: 'https://api.hetzner.cloud',
  secretNames: ['token'],
  settingsSchema: HetznerSettingsSchema,

  async resources(ctx) {
    const settings = settingsOf(ctx, HetznerSettingsSchema);
    const [list, cur] = await Promise.all([servers(ctx), currency(ctx)]);
    return list.map((s) => {
      const price = priceOf(s, settings.price);
      return snapshotRow(ctx, {
        resource_id: String(s.id),
        resource_type: 'server',
        name: s.name,
        status: s.status,
        region: s.datacenter.location.name,
        zone: s.datacenter.name,
        sku: s.server_type.name,
        vcpus: s.server_type.cores,
        memory_gib: s.server_type.memory,
        tags: s.labels ?? {},
        created_at: s.created,
        hourly_price: price?.hourly ?? null,
        price_currency: price ? cur : '',
        attributes: {
          disk_gb: s.server_type.disk ?? null,
          cpu_type: s.server_type.cpu_type ?? '',
          architecture: s.server_type.architecture ?? '',
          price_monthly: price?.monthly ?? null,
          price_basis: settings.price,
          ipv4: s.public_net?.ipv4?.ip ?? '',
        },
      });
    });
  },

  async cost(ctx) {
    const settings = settingsOf(ctx, HetznerSettingsSchema);
    const [list, cur] = await Promise.all([servers(ctx), currency(ctx)]);
    const priced = [];
    for (const s of list) {
      const price = priceOf(s, settings.price);
      if (!price) {
        ctx.collect.logger.warn('hetzner server type has no price at its location; no cost rows', {
          server_id: s.id,
        });
        continue;
      }
      priced.push({
        resourceId: String(s.id),
        resourceName: s.name,
        resourceType: 'server',
        regionId: s.datacenter.location.name,
        zone: s.datacenter.name,
        skuId: s.server_type.name,
        rate: price.hourly,
        monthlyCap: price.monthly,
        currency: cur,
        runningSince: s.created,
        serviceName: 'Cloud Servers',
        tags: s.labels ?? {},
      });
    }
    return priceTimeCostRows(ctx, 'Hetzner', priced);
  },

  async test(ctx) {
    await currency(ctx);
  },
};

import { z } from 'zod';
import { ProviderParseError } from '../../../errors';
import { numberToDecimal } from '../../hourly-cost';
import { apiUrl, bearer, parseResponse, priceTimeCostRows, snapshotRow, tagMap, timestamp } from '../common';
import type { AdapterContext, ProviderAdapter } from '../types';

const ID = 'linode';
const PAGE_SIZE = 500;
const MAX_PAGES = 1000;

export const LinodeSettingsSchema = z.strictObject({
  base_url: z.string().url().optional(),
});

const InstanceSchema = z.object({
  id: z.number().int(),
  label: z.string(),
  type: z.string().nullable(),
  region: z.string(),
  status: z.string(),
  created: timestamp,
  image: z.string().nullish(),
  hypervisor: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
  specs: z.object({
    vcpus: z.number(),
    memory: z.number(),
    disk: z.number().nullish(),
    gpus: z.number().int().nonnegative().nullish(),
    transfer: z.number().nullish(),
  }),
});

const Price = z.object({
  hourly: z.number().nonnegative().nullable(),
  monthly: z.number().nonnegative().nullable(),
});
const TypeSchema = z.object({
  id: z.string(),
  label: z.string(),
  class: z.string().nullish(),
  gpus: z.number().int().nonnegative().nullish(),
  price: Price,
  region_prices: z.array(Price.extend({ id: z.string() })).nullish(),
});
type LinodeType = z.infer<typeof TypeSchema>;

const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), page: z.number().int().positive(), pages: z.number().int().nonnegative() });

/** Every item of a paginated Linode collection (`page` / `pages`). */
async function collection<T>(ctx: AdapterContext, path: string, item: z.ZodType<T>): Promise<T[]> {
  const all: T[] = [];
  const schema = page(item);
  for (let p = 1; p <= MAX_PAGES; p++) {
    const data = await ctx.http.getJson<unknown>(
      apiUrl(ctx.baseUrl, path, { page: p, page_size: PAGE_SIZE }),
      {
        headers: bearer(ctx, 'token'),
      },
    );
    const body = parseResponse(ID, `GET ${path}`, schema, data) as { data: T[]; page: number; pages: number };
    if (body.page !== p)
      throw new ProviderParseError(ID, `GET ${path}: asked for page ${p}, got page ${body.page}`);
    all.push(...body.data);
    if (p >= body.pages) return all;
  }
  throw new ProviderParseError(ID, `GET ${path}: more than ${MAX_PAGES} pages`);
}

const instances = (ctx: AdapterContext) => collection(ctx, '/v4/linode/instances', InstanceSchema);
const types = (ctx: AdapterContext) => collection(ctx, '/v4/linode/types', TypeSchema);

/** The type's price in the instance's region (some regions are priced differently). */
function priceOf(
  t: LinodeType | undefined,
  region: string,
): { hourly: string; monthly: string | null } | null {
  if (!t) return null;
  const p = t.region_prices?.find((r) => r.id === region) ?? t.price;
  if (p.hourly === null) return null;
  return {
    hourly: numberToDecimal(p.hourly),
    monthly: p.monthly === null ? null : numberToDecimal(p.monthly),
  };
}

/**
 * Linode / Akamai (API v4, plain fetch: the official @linode/api-v4 SDK is not installed):
 * instances with their type's specs and region price. Cost is the hourly price × the time
 * since creation, capped each month at the monthly price (Linode bills powered-off
 * instances too).
 */
export const linodeAdapter: ProviderAdapter = {
  id: ID,
  displayName: 'Linode',
  category: 'general_compute',
  defaultBaseUrl: 'https://api.linode.com',
  secretNames: ['token'],
  settingsSchema: LinodeSettingsSchema,

  async resources(ctx) {
    const [list, typeList] = await Promise.all([instances(ctx), types(ctx)]);
    const byId = new Map(typeList.map((t) => [t.id, t]));
    return list.map((i) => {
      const t = i.type ? byId.get(i.type) : undefined;
      const price = priceOf(t, i.region);
      const gpus = i.specs.gpus ?? 0;
      return snapshotRow(ctx, {
        resource_id: String(i.id),
        resource_type: 'instance',
        name: i.label,
        status: i.status,
        region: i.region,
        sku: i.type ?? '',
        vcpus: i.specs.vcpus,
        memory_gib: i.specs.memory / 1024,
        gpu_count: gpus,
        gpu_model: gpus > 0 ? (t?.label ?? '') : '',
        tags: tagMap(i.tags),
        created_at: i.created,
        hourly_price: price?.hourly ?? null,
        price_currency: price ? 'USD' : '',
        attributes: {
          disk_mb: i.specs.disk ?? null,
          transfer_gb: i.specs.transfer ?? null,
          image: i.image ?? '',
          type_class: t?.class ?? '',
          price_monthly: price?.monthly ?? null,
        },
      });
    });
  },

  async cost(ctx) {
    const [list, typeList] = await Promise.all([instances(ctx), types(ctx)]);
    const byId = new Map(typeList.map((t) => [t.id, t]));
    const priced = [];
    for (const i of list) {
      const price = priceOf(i.type ? byId.get(i.type) : undefined, i.region);
      if (!price) {
        ctx.collect.logger.warn('linode instance type has no price; no cost rows', {
          instance_id: i.id,
          type: i.type,
        });
        continue;
      }
      priced.push({
        resourceId: String(i.id),
        resourceName: i.label,
        resourceType: 'instance',
        regionId: i.region,
        skuId: i.type ?? '',
        rate: price.hourly,
        monthlyCap: price.monthly,
        currency: 'USD',
        runningSince: i.created,
        serviceName: (i.specs.gpus ?? 0) > 0 ? 'GPU Linodes' : 'Linodes',
        tags: tagMap(i.tags),
      });
    }
    return priceTimeCostRows(ctx, 'Linode', priced);
  },

  async test(ctx) {
    const data = await ctx.http.getJson<unknown>(`${ctx.baseUrl}/v4/profile`, {
      headers: bearer(ctx, 'token'),
    });
    parseResponse(ID, 'GET /v4/profile', z.object({ username: z.string() }), data);
  },
};

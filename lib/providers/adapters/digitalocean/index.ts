import { z } from 'zod';
import { ProviderParseError } from '../../../errors';
import { numberToDecimal } from '../../hourly-cost';
import { apiUrl, bearer, parseResponse, priceTimeCostRows, snapshotRow, tagMap, timestamp } from '../common';
import type { AdapterContext, ProviderAdapter } from '../types';

const ID = 'digitalocean';
const PER_PAGE = 200;
/** A guard against a `next` link that never ends (a provider bug would otherwise loop forever). */
const MAX_PAGES = 1000;

export const DigitalOceanSettingsSchema = z.strictObject({
  base_url: z.string().url().optional(),
});

const DropletSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.string(),
  vcpus: z.number(),
  memory: z.number(),
  disk: z.number().nullish(),
  created_at: timestamp,
  size_slug: z.string(),
  size: z.object({ price_hourly: z.number().nonnegative(), price_monthly: z.number().nonnegative() }),
  region: z.object({ slug: z.string(), name: z.string().nullish() }),
  image: z.object({ distribution: z.string().nullish(), name: z.string().nullish() }).nullish(),
  tags: z.array(z.string()).nullish(),
  vpc_uuid: z.string().nullish(),
  gpu_info: z
    .object({
      count: z.number().int().nonnegative(),
      model: z.string().nullish(),
      vram: z.object({ amount: z.number(), unit: z.string() }).nullish(),
    })
    .nullish(),
});
type Droplet = z.infer<typeof DropletSchema>;

const DropletsPageSchema = z.object({
  droplets: z.array(DropletSchema),
  links: z.object({ pages: z.object({ next: z.string().nullish() }).nullish() }).nullish(),
  meta: z.object({ total: z.number().int() }).nullish(),
});

/**
 * Every droplet, page by page. DigitalOcean's `links.pages.next` is an absolute URL on
 * api.digitalocean.com; we take only its `page` and ask our own base URL, so a proxy or a
 * test server is never bypassed and the token never goes to a host we were not given.
 */
async function droplets(ctx: AdapterContext): Promise<Droplet[]> {
  const all: Droplet[] = [];
  let page = 1;
  for (let n = 0; n < MAX_PAGES; n++) {
    const data = await ctx.http.getJson<unknown>(
      apiUrl(ctx.baseUrl, '/v2/droplets', { page, per_page: PER_PAGE }),
      {
        headers: bearer(ctx, 'token'),
      },
    );
    const body = parseResponse(ID, 'GET /v2/droplets', DropletsPageSchema, data);
    all.push(...body.droplets);
    const next = body.links?.pages?.next;
    if (!next) return all;
    const nextPage = Number(new URL(next, ctx.baseUrl).searchParams.get('page'));
    if (!Number.isInteger(nextPage) || nextPage <= page) {
      throw new ProviderParseError(
        ID,
        `GET /v2/droplets: links.pages.next does not advance (page ${page} → "${next}")`,
      );
    }
    page = nextPage;
  }
  throw new ProviderParseError(ID, `GET /v2/droplets: more than ${MAX_PAGES} pages`);
}

/** Droplets are billed while they exist, powered off included (not once archived). */
const billed = (d: Droplet) => d.status !== 'archive';

/**
 * DigitalOcean (API v2, plain fetch: the official @digitalocean/dots SDK is not installed):
 * droplets with size, region, tags and GPU info. Cost is the size's hourly price × the
 * time since creation, capped each month at the monthly price as DigitalOcean bills.
 */
export const digitalOceanAdapter: ProviderAdapter = {
  id: ID,
  displayName: 'DigitalOcean',
  category: 'general_compute',
  defaultBaseUrl: 'https://api.digitalocean.com',
  secretNames: ['token'],
  settingsSchema: DigitalOceanSettingsSchema,

  async resources(ctx) {
    return (await droplets(ctx)).map((d) =>
      snapshotRow(ctx, {
        resource_id: String(d.id),
        resource_type: 'droplet',
        name: d.name,
        status: d.status,
        region: d.region.slug,
        sku: d.size_slug,
        vcpus: d.vcpus,
        memory_gib: d.memory / 1024,
        gpu_count: d.gpu_info?.count ?? 0,
        gpu_model: d.gpu_info?.model ?? '',
        tags: tagMap(d.tags),
        created_at: d.created_at,
        hourly_price: numberToDecimal(d.size.price_hourly),
        price_currency: 'USD',
        attributes: {
          disk_gb: d.disk ?? null,
          image: d.image?.name ?? '',
          distribution: d.image?.distribution ?? '',
          price_monthly: numberToDecimal(d.size.price_monthly),
          vpc_uuid: d.vpc_uuid ?? '',
          ...(d.gpu_info?.vram ? { gpu_vram: `${d.gpu_info.vram.amount} ${d.gpu_info.vram.unit}` } : {}),
        },
      }),
    );
  },

  async cost(ctx) {
    return priceTimeCostRows(
      ctx,
      'DigitalOcean',
      (await droplets(ctx)).filter(billed).map((d) => ({
        resourceId: String(d.id),
        resourceName: d.name,
        resourceType: 'droplet',
        regionId: d.region.slug,
        skuId: d.size_slug,
        rate: numberToDecimal(d.size.price_hourly),
        monthlyCap: numberToDecimal(d.size.price_monthly),
        currency: 'USD',
        runningSince: d.created_at,
        serviceName: d.gpu_info?.count ? 'GPU Droplets' : 'Droplets',
        tags: tagMap(d.tags),
      })),
    );
  },

  async test(ctx) {
    const data = await ctx.http.getJson<unknown>(`${ctx.baseUrl}/v2/account`, {
      headers: bearer(ctx, 'token'),
    });
    parseResponse(
      ID,
      'GET /v2/account',
      z.object({ account: z.object({ uuid: z.string().optional() }) }),
      data,
    );
  },
};

import { z } from 'zod';
import { MINUTE_MS } from '../../../time';
import { centsToDecimal } from '../../hourly-cost';
import { bearer, parseResponse, priceTimeCostRows, snapshotRow } from '../common';
import type { AdapterContext, ProviderAdapter } from '../types';

const ID = 'lambdalabs';

export const LambdaSettingsSchema = z.strictObject({
  base_url: z.string().url().optional(),
});

const InstanceSchema = z.object({
  id: z.string().min(1),
  name: z.string().nullish(),
  ip: z.string().nullish(),
  hostname: z.string().nullish(),
  status: z.string(),
  is_reserved: z.boolean().nullish(),
  region: z.object({ name: z.string(), description: z.string().nullish() }),
  instance_type: z.object({
    name: z.string(),
    description: z.string().nullish(),
    gpu_description: z.string().nullish(),
    price_cents_per_hour: z.number().nonnegative(),
    specs: z
      .object({
        vcpus: z.number().nullish(),
        memory_gib: z.number().nullish(),
        storage_gib: z.number().nullish(),
        gpus: z.number().int().nonnegative().nullish(),
      })
      .nullish(),
  }),
});
type Instance = z.infer<typeof InstanceSchema>;

const InstancesSchema = z.object({ data: z.array(InstanceSchema) });

/** Statuses Lambda bills for: an instance is billed from launch until it is terminated. */
const BILLED = new Set(['active', 'booting', 'unhealthy']);

async function instances(ctx: AdapterContext): Promise<Instance[]> {
  const data = await ctx.http.getJson<unknown>(`${ctx.baseUrl}/instances`, {
    headers: bearer(ctx, 'api_key'),
  });
  return parseResponse(ID, 'GET /instances', InstancesSchema, data).data;
}

/** "1x H100 (80 GB SXM5)" → "H100 (80 GB SXM5)". */
function gpuModel(t: Instance['instance_type']): string {
  const text = t.gpu_description ?? t.description ?? '';
  return text.replace(/^\d+x\s*/, '');
}

/**
 * Lambda (cloud.lambda.ai API v1): instances with their type, specs and price. Lambda has
 * no billing API and its instance objects carry no launch time, so cost is
 * `price_cents_per_hour` × the time between collections in which the instance was seen
 * running (consecutive windows, at most one hour assumed per window).
 */
export const lambdaLabsAdapter: ProviderAdapter = {
  id: ID,
  displayName: 'Lambda',
  category: 'gpu_cloud',
  defaultBaseUrl: 'https://cloud.lambda.ai/api/v1',
  secretNames: ['api_key'],
  settingsSchema: LambdaSettingsSchema,
  windows: { cost: { initialLookbackMs: 15 * MINUTE_MS } },

  async resources(ctx) {
    return (await instances(ctx)).map((i) =>
      snapshotRow(ctx, {
        resource_id: i.id,
        resource_type: 'instance',
        name: i.name ?? i.hostname ?? '',
        status: i.status,
        region: i.region.name,
        sku: i.instance_type.name,
        vcpus: i.instance_type.specs?.vcpus ?? null,
        memory_gib: i.instance_type.specs?.memory_gib ?? null,
        gpu_count: i.instance_type.specs?.gpus ?? 0,
        gpu_model: gpuModel(i.instance_type),
        hourly_price: centsToDecimal(i.instance_type.price_cents_per_hour),
        price_currency: 'USD',
        attributes: {
          ip: i.ip ?? '',
          hostname: i.hostname ?? '',
          is_reserved: i.is_reserved ?? false,
          storage_gib: i.instance_type.specs?.storage_gib ?? null,
          region_description: i.region.description ?? '',
        },
      }),
    );
  },

  async cost(ctx) {
    const billed = (await instances(ctx)).filter((i) => BILLED.has(i.status));
    return priceTimeCostRows(
      ctx,
      'Lambda',
      billed.map((i) => ({
        resourceId: i.id,
        resourceName: i.name ?? i.hostname ?? i.id,
        resourceType: 'instance',
        regionId: i.region.name,
        skuId: i.instance_type.name,
        rate: centsToDecimal(i.instance_type.price_cents_per_hour),
        currency: 'USD',
        runningSince: null,
        serviceName: 'On-demand Cloud',
      })),
    );
  },

  async test(ctx) {
    const data = await ctx.http.getJson<unknown>(`${ctx.baseUrl}/instance-types`, {
      headers: bearer(ctx, 'api_key'),
    });
    parseResponse(ID, 'GET /instance-types', z.object({ data: z.record(z.string(), z.unknown()) }), data);
  },
};

import { type Filter, GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { z } from 'zod';
import type { CollectContext } from '../../collector/types';
import { errorMessage, ProviderParseError } from '../../errors';
import { canonicalDecimal } from '../../resources/diff';
import { awsClientConfig } from './clients';
import type { AwsSettings } from './config';
import { classifyAwsError } from './errors';

/**
 * On-demand hourly list prices of EC2 instances and RDS instances, from the AWS Price List
 * Query API (`pricing:GetProducts`, free). One query per region × instance type or DB
 * class answers every OS, tenancy, engine and deployment of it, so a region with 30 types
 * in use costs 30 small queries, and the answers are kept for a day per process (prices
 * change a few times a year; a warm Lambda collecting every 15 minutes asks once).
 *
 * A price that cannot be looked up is `null`, never a guess: a failed query (after
 * retries) becomes a warning on the run while the inventory itself stays complete, and a
 * configuration the Price List has no single on-demand price for (a Dedicated Host, an
 * Oracle licence model, two products disagreeing) is simply unknown.
 */

/** The Price List Query API answers in us-east-1 (also eu-central-1 and ap-south-1). */
export const PRICING_API_REGION = 'us-east-1';
const TTL_MS = 24 * 60 * 60 * 1000;

/** EC2 `UsageOperation` codes by platform, for instances that do not report their own. */
const OPERATION_BY_PLATFORM: Readonly<Record<string, string>> = {
  'Linux/UNIX': 'RunInstances',
  Windows: 'RunInstances:0002',
  'Red Hat Enterprise Linux': 'RunInstances:0010',
  'SUSE Linux': 'RunInstances:000g',
  'Ubuntu Pro': 'RunInstances:0g00',
};

/** Price List `tenancy` by EC2 placement tenancy. Dedicated Hosts are priced per host, not per instance. */
const TENANCY: Readonly<Record<string, string>> = { default: 'Shared', dedicated: 'Dedicated' };

/** Price List `databaseEngine` by RDS engine, for engines with one licence model. */
const RDS_ENGINE: Readonly<Record<string, string>> = {
  postgres: 'PostgreSQL',
  mysql: 'MySQL',
  mariadb: 'MariaDB',
};

export interface HourlyPrice {
  price: string;
  currency: 'USD';
}

/** One product of a GetProducts answer, as much of it as pricing needs. */
const ProductSchema = z.object({
  product: z.object({ attributes: z.record(z.string(), z.string()) }),
  terms: z
    .object({
      OnDemand: z
        .record(
          z.string(),
          z.object({
            priceDimensions: z.record(
              z.string(),
              z.object({
                unit: z.string(),
                pricePerUnit: z.record(z.string(), z.string()),
              }),
            ),
          }),
        )
        .optional(),
    })
    .default({}),
});
type Product = z.infer<typeof ProductSchema>;

/** The USD hourly on-demand price of a product: its one OnDemand term's one hourly dimension. */
export function onDemandHourlyUsd(p: Product): string | undefined {
  const terms = Object.values(p.terms.OnDemand ?? {});
  if (terms.length !== 1) return undefined;
  const hourly = Object.values(terms[0]?.priceDimensions ?? {}).filter((d) => /^hrs?$/i.test(d.unit));
  if (hourly.length !== 1) return undefined;
  const usd = hourly[0]?.pricePerUnit.USD;
  return usd !== undefined && /^\d+(\.\d+)?$/.test(usd) ? canonicalDecimal(usd) : undefined;
}

/** Prices by configuration key, or one price per key when all matching products agree. */
function indexPrices(products: readonly Product[], keyOf: (a: Record<string, string>) => string | undefined) {
  const found = new Map<string, Set<string>>();
  for (const p of products) {
    const key = keyOf(p.product.attributes);
    const price = key === undefined ? undefined : onDemandHourlyUsd(p);
    if (key === undefined || price === undefined) continue;
    const prices = found.get(key) ?? new Set<string>();
    prices.add(price);
    found.set(key, prices);
  }
  const out = new Map<string, string>();
  for (const [key, prices] of found) if (prices.size === 1) out.set(key, [...prices][0] as string);
  return out;
}

const ec2Key = (operation: string, tenancy: string) => `${operation}|${tenancy}`;
const rdsKey = (engine: string, deployment: string) => `${engine}|${deployment}`;

/** The configuration key an EC2 instance is priced under, or undefined when the Price List has no per-instance price for it. */
export function ec2PriceKey(i: {
  UsageOperation?: string;
  PlatformDetails?: string;
  Placement?: { Tenancy?: string };
}): string | undefined {
  const operation = i.UsageOperation || OPERATION_BY_PLATFORM[i.PlatformDetails ?? ''];
  const tenancy = TENANCY[i.Placement?.Tenancy ?? 'default'];
  return operation && tenancy ? ec2Key(operation, tenancy) : undefined;
}

/** The configuration key an RDS instance is priced under, or undefined for engines with several licence models (Oracle, SQL Server) and Aurora (priced per cluster storage mode). */
export function rdsPriceKey(db: { Engine?: string; MultiAZ?: boolean }): string | undefined {
  const engine = RDS_ENGINE[db.Engine ?? ''];
  return engine ? rdsKey(engine, db.MultiAZ ? 'Multi-AZ' : 'Single-AZ') : undefined;
}

interface CacheEntry {
  expires: number;
  prices: Map<string, string>;
}
/** Per process: region × type → prices by configuration. Public data, shared by every connection. */
const cache = new Map<string, CacheEntry>();

/** Forgets every cached price (tests, or after a price change one cannot wait a day for). */
export function clearAwsPriceCache(): void {
  cache.clear();
}

/**
 * A price book for one collection run: `lookup` resolves the prices of a region's
 * instance types (or DB classes) and `priceOf` answers per configuration key.
 *
 * @example
 * const book = createAwsPriceBook(ctx);
 * await book.lookup('ec2', 'us-east-1', ['m5.large']);
 * book.priceOf('ec2', 'us-east-1', 'm5.large', ec2PriceKey(instance)); // { price: '0.096', currency: 'USD' }
 */
export function createAwsPriceBook(ctx: CollectContext<AwsSettings>) {
  let client: PricingClient | undefined;
  const base = ctx.connection.settings.endpoint ?? 'aws';
  const cacheKey = (service: 'ec2' | 'rds', region: string, type: string) =>
    `${base}|${service}|${region}|${type}`;

  async function query(service: 'ec2' | 'rds', region: string, type: string): Promise<Map<string, string>> {
    client ??= new PricingClient(awsClientConfig(ctx.connection, PRICING_API_REGION));
    const filters: Filter[] = [
      { Type: 'TERM_MATCH', Field: 'regionCode', Value: region },
      { Type: 'TERM_MATCH', Field: 'instanceType', Value: type },
      ...(service === 'ec2' ? [{ Type: 'TERM_MATCH' as const, Field: 'capacitystatus', Value: 'Used' }] : []),
    ];
    const products: Product[] = [];
    let token: string | undefined;
    for (let page = 1; ; page++) {
      const label = `pricing:GetProducts ${service} ${region} ${type}${page > 1 ? ` page ${page}` : ''}`;
      const out = await ctx.retry(label, async () => {
        try {
          return await (client as PricingClient).send(
            new GetProductsCommand({
              ServiceCode: service === 'ec2' ? 'AmazonEC2' : 'AmazonRDS',
              Filters: filters,
              FormatVersion: 'aws_v1',
              MaxResults: 100,
              NextToken: token,
            }),
            { abortSignal: ctx.signal },
          );
        } catch (err) {
          throw classifyAwsError(err, label);
        }
      });
      // Each entry is a JSON document; the SDK may hand it over as a string-like wrapper.
      for (const item of (out.PriceList ?? []) as unknown[]) {
        let parsed: ReturnType<typeof ProductSchema.safeParse>;
        try {
          parsed = ProductSchema.safeParse(JSON.parse(String(item)));
        } catch {
          throw new ProviderParseError('aws', `${label}: a product is not JSON`);
        }
        if (!parsed.success)
          throw new ProviderParseError(
            'aws',
            `${label}: a product is not in the aws_v1 format (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
          );
        products.push(parsed.data);
      }
      token = out.NextToken;
      if (!token) break;
    }
    return service === 'ec2'
      ? indexPrices(products, (a) =>
          a.marketoption && a.marketoption !== 'OnDemand'
            ? undefined
            : a.operation && a.tenancy
              ? ec2Key(a.operation, a.tenancy)
              : undefined,
        )
      : indexPrices(products, (a) =>
          a.databaseEngine && a.deploymentOption ? rdsKey(a.databaseEngine, a.deploymentOption) : undefined,
        );
  }

  return {
    /**
     * Looks up the prices of `types` in `region` (cached ones are not asked again). A type
     * whose query fails stays unpriced and the run gets one warning per region and service.
     */
    async lookup(service: 'ec2' | 'rds', region: string, types: readonly string[]): Promise<void> {
      const now = ctx.now().getTime();
      const failed: string[] = [];
      let lastError = '';
      for (const type of [...new Set(types)].filter(Boolean).sort()) {
        const key = cacheKey(service, region, type);
        const hit = cache.get(key);
        if (hit && hit.expires > now) continue;
        try {
          cache.set(key, { expires: now + TTL_MS, prices: await query(service, region, type) });
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          cache.delete(key);
          failed.push(type);
          lastError = errorMessage(err);
        }
      }
      if (failed.length > 0) {
        ctx.warn?.(
          `${region} ${service === 'ec2' ? 'EC2' : 'RDS'} list prices unavailable for ${failed.join(', ')} (pricing:GetProducts): ${lastError}`,
        );
      }
    },
    /** The hourly list price of one configuration of `type`, or null when unknown. */
    priceOf(
      service: 'ec2' | 'rds',
      region: string,
      type: string,
      configuration: string | undefined,
    ): HourlyPrice | null {
      if (!configuration) return null;
      const price = cache.get(cacheKey(service, region, type))?.prices.get(configuration);
      return price === undefined ? null : { price, currency: 'USD' };
    },
    close(): void {
      client?.destroy();
    },
  };
}

import { CloudCatalogClient } from '@google-cloud/billing';
import type { CollectContext } from '../../collector/types';
import { multiplyDecimals } from '../../costs/decimal';
import { gaxClientOptions } from './clients';
import type { GcpSettings } from './config';
import { classifyGoogleError } from './cost-errors';

/** A SKU's list price per pricing unit, when it is one flat rate. */
export interface CatalogPrice {
  unitPrice: string;
  /** e.g. "hour", "gibibyte month": what the export calls `usage.pricing_unit`. */
  unit: string;
  currency: string;
}

interface Money {
  currencyCode?: string | null;
  units?: string | number | Long | null;
  nanos?: number | null;
}
interface Long {
  toString(): string;
}

/** Google's Money (units + nanos/1e9) as exact decimal text. */
export function moneyText(m: Money | null | undefined): string | undefined {
  if (!m) return undefined;
  const units = BigInt(String(m.units ?? '0'));
  const nanos = BigInt(m.nanos ?? 0);
  const total = units * 1_000_000_000n + nanos;
  const negative = total < 0n;
  const abs = negative ? -total : total;
  const frac = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${abs / 1_000_000_000n}${frac ? `.${frac}` : ''}`;
}

/**
 * List prices from the Cloud Billing Catalog, for export rows that carry no `cost_at_list`
 * (exports older than that column). Only SKUs priced at one flat rate are used: tiered
 * prices depend on the month's cumulative usage, which one day's row cannot know, so
 * those rows keep a list cost of 0 rather than a guess. Loaded per service, once per run.
 */
export function createCatalogPrices(ctx: CollectContext<GcpSettings>) {
  const byService = new Map<string, Promise<Map<string, CatalogPrice>>>();
  let client: CloudCatalogClient | undefined;

  async function load(serviceId: string, currency: string): Promise<Map<string, CatalogPrice>> {
    client ??= new CloudCatalogClient(
      gaxClientOptions(ctx.connection) as ConstructorParameters<typeof CloudCatalogClient>[0],
    );
    const prices = new Map<string, CatalogPrice>();
    try {
      await ctx.retry('billing:listSkus', async () => {
        prices.clear();
        try {
          for await (const sku of (client as CloudCatalogClient).listSkusAsync({
            parent: `services/${serviceId}`,
            currencyCode: currency,
            pageSize: 5000,
          })) {
            const info = sku.pricingInfo?.[0];
            const expr = info?.pricingExpression;
            const rates = expr?.tieredRates ?? [];
            const distinct = new Set(rates.map((r) => moneyText(r.unitPrice)));
            const price = moneyText(rates[0]?.unitPrice);
            if (!sku.skuId || !price || distinct.size !== 1) continue;
            // Prices are per `usageUnit`; displayQuantity scales the unit shown (e.g. per 1 GiB-month).
            const perUnit = expr?.displayQuantity && Number(expr.displayQuantity) !== 1 ? undefined : price;
            if (!perUnit) continue;
            prices.set(sku.skuId, {
              unitPrice: perUnit,
              unit: expr?.usageUnitDescription ?? '',
              currency: rates[0]?.unitPrice?.currencyCode ?? currency,
            });
          }
        } catch (err) {
          throw classifyGoogleError(err, 'billing:listSkus');
        }
      });
    } catch (err) {
      // Billed figures are unaffected; list prices for this service stay 0 and the run says so.
      ctx.warn?.(
        `list prices for service ${serviceId} unavailable from the SKU catalog: ${(err as Error).message}`,
      );
    }
    return prices;
  }

  return {
    /** List cost of `quantity` pricing units of a SKU, or undefined when the catalog cannot say exactly. */
    async listCost(
      serviceId: string,
      skuId: string,
      quantity: string,
      unit: string,
      currency: string,
    ): Promise<string | undefined> {
      if (!serviceId || !skuId) return undefined;
      const key = `${serviceId}|${currency}`;
      let prices = byService.get(key);
      if (!prices) {
        prices = load(serviceId, currency);
        byService.set(key, prices);
      }
      const price = (await prices).get(skuId);
      if (!price || price.currency !== currency || price.unit.toLowerCase() !== unit.toLowerCase())
        return undefined;
      return multiplyDecimals(quantity, price.unitPrice);
    },
    async close() {
      await client?.close();
    },
  };
}

import type { VirtualMachine } from '@azure/arm-compute';
import { z } from 'zod';
import type { CollectContext } from '../../collector/types';
import { DecimalFormatError, normalizeDecimal } from '../../costs/decimal';
import { JsonNumber, parseJsonLossless } from '../../costs/lossless-json';
import { errorMessage, ProviderParseError } from '../../errors';
import { HOUR_MS } from '../../time';
import { parseResponse, timestamp } from '../adapters/common';
import { fetchJson } from '../http';
import type { AzureSettings } from './config';

/**
 * Azure VM list prices from the Retail Prices API (`GET https://prices.azure.com/api/retail/prices`),
 * which is public: no credential is sent to it, and its failures never make an inventory
 * incomplete (the VMs were seen; only their price is unknown).
 *
 * Which item is a VM's price: `type` Consumption, `unitOfMeasure` "1 Hour", tier 0, in
 * USD, for the VM's region and size; Windows items (productName ending in "Windows") for a
 * Windows VM without Azure Hybrid Benefit, the base (Linux) items otherwise; for a Spot VM
 * the Spot item (skuName "… Spot", what a Spot VM is billed while it runs), for a Low
 * priority VM the "… Low Priority" item, the regular item for everyone else. Of those,
 * the one with the latest `effectiveStartDate` that is not in the future; primary-meter
 * items win over non-primary ones, and if items still disagree the price is unknown.
 * The amount is `retailPrice` as its wire text (no float on the way).
 */

/** Where the Retail Prices API lives; a connection's `settings.endpoint` replaces the origin (tests). */
export const RETAIL_PRICES_ORIGIN = 'https://prices.azure.com';
const RETAIL_PRICES_PATH = '/api/retail/prices';
export const RETAIL_PRICES_API_VERSION = '2023-01-01-preview';
/** The API's own currency (other currencies are converted "for reference"). */
export const AZURE_PRICE_CURRENCY = 'USD';
/** How long a region × size's price items are reused by this process. */
export const AZURE_PRICE_TTL_MS = 24 * HOUR_MS;
/** `armSkuName eq '…'` terms per query: keeps each URL well under 2 KB. */
const SIZES_PER_QUERY = 10;
/** A query for ten sizes is a page or two; more means the filter was ignored. */
const MAX_PAGES = 50;
/** A page is small; a price API that hangs must not hold the inventory for long (4 attempts). */
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_CACHE_ENTRIES = 20_000;

export type AzureOs = 'linux' | 'windows';
export type AzurePriority = 'regular' | 'spot' | 'low';

/** What one VM is billed as. */
export interface AzureVmPriceQuery {
  /** armRegionName: the VM's location (`eastus`). */
  region: string;
  /** armSkuName, spelled as the resource SKU list spells it (filter values are case-sensitive). */
  size: string;
  os: AzureOs;
  priority: AzurePriority;
}

const amount = z.instanceof(JsonNumber, { error: 'expected a JSON number' }).transform((n, ctx) => {
  try {
    return normalizeDecimal(n.value);
  } catch (err) {
    if (!(err instanceof DecimalFormatError)) throw err;
    ctx.addIssue({ code: 'custom', message: `not a decimal: ${n.value}` });
    return z.NEVER;
  }
});

/** The fields of a price item this module relies on (the API sends more). */
const RetailPriceItemSchema = z.object({
  currencyCode: z.string(),
  tierMinimumUnits: amount.optional(),
  retailPrice: amount,
  armRegionName: z.string(),
  armSkuName: z.string(),
  effectiveStartDate: timestamp,
  productName: z.string(),
  skuName: z.string(),
  type: z.string(),
  unitOfMeasure: z.string(),
  isPrimaryMeterRegion: z.boolean().optional(),
});
export type RetailPriceItem = z.infer<typeof RetailPriceItemSchema>;

const RetailPricesPageSchema = z.object({
  Items: z.array(RetailPriceItemSchema),
  NextPageLink: z.string().nullable().optional(),
});
export type RetailPricesPage = z.infer<typeof RetailPricesPageSchema>;

/**
 * Validates one page of the API's answer (as parsed by `parseJsonLossless`, so prices are
 * still their wire text). Anything unexpected is a ProviderParseError naming the field.
 */
export function parseRetailPricesPage(doc: unknown, call: string): RetailPricesPage {
  return parseResponse('azure', call, RetailPricesPageSchema, doc);
}

/** OData string literal. */
const literal = (v: string) => `'${v.replace(/'/g, "''")}'`;

/**
 * The `$filter` for the consumption prices of some VM sizes in one region.
 *
 * @example
 * retailPricesFilter('eastus', ['Standard_D4s_v5'])
 * // "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and priceType eq 'Consumption' and (armSkuName eq 'Standard_D4s_v5')"
 */
export function retailPricesFilter(region: string, sizes: readonly string[]): string {
  const skus = sizes.map((s) => `armSkuName eq ${literal(s)}`).join(' or ');
  return `serviceName eq 'Virtual Machines' and armRegionName eq ${literal(region)} and priceType eq 'Consumption' and (${skus})`;
}

/** The first page's URL at `origin`. */
export function retailPricesUrl(origin: string, region: string, sizes: readonly string[]): string {
  const query = [
    `api-version=${encodeURIComponent(RETAIL_PRICES_API_VERSION)}`,
    `currencyCode=${encodeURIComponent(`'${AZURE_PRICE_CURRENCY}'`)}`,
    `$filter=${encodeURIComponent(retailPricesFilter(region, sizes))}`,
  ].join('&');
  return `${origin}${RETAIL_PRICES_PATH}?${query}`;
}

/** A NextPageLink (which names prices.azure.com) sent to `origin` instead, path and query kept. */
export function rebaseNextPageLink(link: string, origin: string): string {
  const u = new URL(link);
  return `${origin}${u.pathname}${u.search}`;
}

/** The origin price requests go to: the connection's test endpoint, or the real API. */
export function retailPricesOrigin(endpoint: string | undefined): string {
  return endpoint ? new URL(endpoint).origin : RETAIL_PRICES_ORIGIN;
}

const osOf = (item: RetailPriceItem): AzureOs =>
  /\bWindows$/i.test(item.productName.trim()) ? 'windows' : 'linux';

const priorityOf = (item: RetailPriceItem): AzurePriority =>
  /\bLow Priority\b/i.test(item.skuName) ? 'low' : /\bSpot\b/i.test(item.skuName) ? 'spot' : 'regular';

/** Whether an item is an hourly pay-as-you-go price of `size` for `os` (any priority). */
function isHourlyItemOf(item: RetailPriceItem, size: string, os: AzureOs): boolean {
  return (
    item.type === 'Consumption' &&
    item.unitOfMeasure === '1 Hour' &&
    item.currencyCode === AZURE_PRICE_CURRENCY &&
    (item.tierMinimumUnits === undefined || item.tierMinimumUnits === '0') &&
    item.armSkuName.toLowerCase() === size.toLowerCase() &&
    osOf(item) === os
  );
}

/**
 * The price in effect at `now` for `query` among `items` (the rules are in the module
 * comment), or null when none applies or the candidates disagree. Pure.
 *
 * @example
 * currentRetailPrice(items, { region: 'eastus', size: 'Standard_D4s_v5', os: 'linux', priority: 'regular' }, new Date())
 * // '0.192'
 */
export function currentRetailPrice(
  items: readonly RetailPriceItem[],
  query: AzureVmPriceQuery,
  now: Date,
): string | null {
  const region = query.region.toLowerCase();
  const candidates = items.filter(
    (i) =>
      i.armRegionName.toLowerCase() === region &&
      isHourlyItemOf(i, query.size, query.os) &&
      priorityOf(i) === query.priority &&
      i.effectiveStartDate.getTime() <= now.getTime(),
  );
  if (candidates.length === 0) return null;
  const latest = Math.max(...candidates.map((i) => i.effectiveStartDate.getTime()));
  let current = candidates.filter((i) => i.effectiveStartDate.getTime() === latest);
  if (current.some((i) => i.isPrimaryMeterRegion !== false)) {
    current = current.filter((i) => i.isPrimaryMeterRegion !== false);
  }
  const prices = new Set(current.map((i) => i.retailPrice));
  return prices.size === 1 ? ([...prices][0] as string) : null;
}

/**
 * How a VM is billed: Windows rates for a Windows VM unless it uses Azure Hybrid Benefit
 * (`licenseType` Windows_Server / Windows_Client), which bills the base (Linux) rate;
 * Spot and Low priority from `priority`. Undefined when the OS is not known.
 */
export function azureVmBilling(vm: VirtualMachine): Pick<AzureVmPriceQuery, 'os' | 'priority'> | undefined {
  const osType = vm.storageProfile?.osDisk?.osType;
  const hybridBenefit = vm.licenseType === 'Windows_Server' || vm.licenseType === 'Windows_Client';
  const os: AzureOs | undefined =
    osType === 'Windows' ? (hybridBenefit ? 'linux' : 'windows') : osType === 'Linux' ? 'linux' : undefined;
  if (!os) return undefined;
  const priority: AzurePriority = vm.priority === 'Spot' ? 'spot' : vm.priority === 'Low' ? 'low' : 'regular';
  return { os, priority };
}

interface CacheEntry {
  /** The hourly consumption items of one region × size × OS (all priorities, all dates). */
  readonly items: readonly RetailPriceItem[];
  readonly fetchedAtMs: number;
}

/**
 * Price items this process already has, keyed by origin, currency, region, size and OS.
 * A warm Lambda collecting every 15 minutes asks the API about a size at most once a
 * day. Failed lookups are not stored, so the next collection asks again.
 */
const PRICE_CACHE = new Map<string, CacheEntry>();

/** Forgets every cached price (tests; a process that must see new prices at once). */
export function clearAzurePriceCache(): void {
  PRICE_CACHE.clear();
}

const cacheKey = (origin: string, region: string, size: string, os: AzureOs) =>
  [origin, AZURE_PRICE_CURRENCY, region.toLowerCase(), size.toLowerCase(), os].join('|');

function freshEntry(key: string, nowMs: number): CacheEntry | undefined {
  const entry = PRICE_CACHE.get(key);
  return entry && nowMs - entry.fetchedAtMs < AZURE_PRICE_TTL_MS ? entry : undefined;
}

function remember(key: string, entry: CacheEntry, nowMs: number): void {
  PRICE_CACHE.delete(key);
  PRICE_CACHE.set(key, entry);
  if (PRICE_CACHE.size <= MAX_CACHE_ENTRIES) return;
  for (const [k, e] of PRICE_CACHE) {
    if (nowMs - e.fetchedAtMs >= AZURE_PRICE_TTL_MS) PRICE_CACHE.delete(k);
  }
  // Still too many: the oldest insertions go first (Map keeps insertion order).
  for (const k of PRICE_CACHE.keys()) {
    if (PRICE_CACHE.size <= MAX_CACHE_ENTRIES) break;
    PRICE_CACHE.delete(k);
  }
}

export interface AzurePriceLookup {
  /**
   * The hourly list price in USD of each query, in order; null where it is not known (no
   * query, a size the API has no item for, or a region whose lookup failed).
   */
  hourlyPrices(queries: readonly (AzureVmPriceQuery | undefined)[]): Promise<(string | null)[]>;
}

/**
 * Looks up VM prices for one collection: one query per region for the sizes in use (in
 * chunks of ten `armSkuName` terms), every page retried on its own through `ctx.retry`,
 * NextPageLink followed. A region whose lookup still fails is warned about once
 * (`ctx.warn`: the run reads partial) and not asked again in this collection; its VMs
 * get a null price. Nothing here throws except an abort.
 *
 * @example
 * const prices = createAzurePriceLookup(ctx);
 * const [p] = await prices.hourlyPrices([{ region: 'eastus', size: 'Standard_D4s_v5', os: 'linux', priority: 'regular' }]);
 */
export function createAzurePriceLookup(
  ctx: Pick<CollectContext<AzureSettings>, 'connection' | 'retry' | 'signal' | 'now' | 'warn'>,
): AzurePriceLookup {
  const origin = retailPricesOrigin(ctx.connection.settings.endpoint);
  const failedRegions = new Set<string>();

  async function readPages(region: string, sizes: readonly string[]): Promise<RetailPriceItem[]> {
    const items: RetailPriceItem[] = [];
    const seen = new Set<string>();
    let url: string | null = retailPricesUrl(origin, region, sizes);
    for (let page = 1; url; page++) {
      const call = `azure:retail-prices ${region}${page > 1 ? ` page ${page}` : ''}`;
      if (page > MAX_PAGES) throw new ProviderParseError('azure', `${call}: more than ${MAX_PAGES} pages`);
      seen.add(url);
      const pageUrl: string = url;
      const answer = await ctx.retry(call, async () => {
        const { data } = await fetchJson('azure', pageUrl, {
          signal: ctx.signal,
          timeoutMs: REQUEST_TIMEOUT_MS,
          parse: parseJsonLossless,
        });
        return parseRetailPricesPage(data, call);
      });
      items.push(...answer.Items);
      url = answer.NextPageLink ? rebaseNextPageLink(answer.NextPageLink, origin) : null;
      if (url && seen.has(url)) throw new ProviderParseError('azure', `${call}: NextPageLink repeats`);
    }
    return items;
  }

  /** Asks the API about `sizes` of `region` and caches what it says about each, including nothing. */
  async function fetchRegion(region: string, sizes: readonly string[]): Promise<void> {
    for (let i = 0; i < sizes.length; i += SIZES_PER_QUERY) {
      const chunk = sizes.slice(i, i + SIZES_PER_QUERY);
      const items = (await readPages(region, chunk)).filter(
        (item) => item.armRegionName.toLowerCase() === region,
      );
      const nowMs = ctx.now().getTime();
      for (const size of chunk) {
        for (const os of ['linux', 'windows'] as const) {
          const own = items.filter((item) => isHourlyItemOf(item, size, os));
          remember(cacheKey(origin, region, size, os), { items: own, fetchedAtMs: nowMs }, nowMs);
        }
      }
    }
  }

  return {
    async hourlyPrices(queries) {
      const nowMs = ctx.now().getTime();
      // region → lower-cased size → the spelling sent to the API
      const missing = new Map<string, Map<string, string>>();
      for (const q of queries) {
        if (!q) continue;
        const region = q.region.toLowerCase();
        if (!region || !q.size || failedRegions.has(region)) continue;
        if (freshEntry(cacheKey(origin, region, q.size, q.os), nowMs)) continue;
        const sizes = missing.get(region) ?? new Map<string, string>();
        if (!sizes.has(q.size.toLowerCase())) sizes.set(q.size.toLowerCase(), q.size);
        missing.set(region, sizes);
      }
      for (const region of [...missing.keys()].sort()) {
        const sizes = [...(missing.get(region)?.values() ?? [])].sort();
        try {
          await fetchRegion(region, sizes);
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          failedRegions.add(region);
          // Errors of our own calls already start with the call; say it once.
          const detail = errorMessage(err).replace(/^azure:retail-prices \S+( page \d+)?: /, '');
          ctx.warn?.(
            `azure:retail-prices ${region}: VM price lookup failed, its VMs are written without hourly_price: ${detail}`,
          );
        }
      }
      const now = ctx.now();
      return queries.map((q) => {
        if (!q) return null;
        const entry = freshEntry(cacheKey(origin, q.region, q.size, q.os), now.getTime());
        return entry ? currentRetailPrice(entry.items, q, now) : null;
      });
    },
  };
}

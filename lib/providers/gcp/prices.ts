/**
 * Compute Engine VM list prices from the Cloud Billing Catalog.
 *
 * Google publishes no price per machine type through an API: the catalog has SKUs per
 * component and geography ("N2 Instance Core running in Americas" per vCPU-hour, "N2
 * Instance Ram running in Americas" per GiB-hour, "Nvidia L4 GPU running in Americas" per
 * GPU-hour). A machine's on-demand hourly list price is vCPUs × core price + memory GiB ×
 * RAM price + GPUs × GPU price in its region, which is how Google's own price pages
 * compute it. Spot and preemptible VMs use the `Preemptible` SKUs; commitments
 * (`Commit1Yr`, …) and sustained-use discounts are not list prices and are ignored.
 *
 * Nothing is guessed: a family or accelerator without exactly one matching SKU in the
 * region, a tiered SKU, a unit or currency other than expected, f1-micro/g1-small (billed
 * per instance, not per vCPU) and custom types with extended memory (partly billed at
 * another RAM SKU) get no price.
 */
import { CloudCatalogClient, type protos } from '@google-cloud/billing';
import type { CollectContext } from '../../collector/types';
import { addDecimals, isZeroDecimal, multiplyDecimals } from '../../costs/decimal';
import { errorMessage } from '../../errors';
import { classifyGcpError } from './api-errors';
import { gaxClientOptions, gcpCredentials } from './clients';
import type { GcpSettings } from './config';
import { moneyText } from './cost-catalog';

type Sku = protos.google.cloud.billing.v1.ISku;

/** The catalog's id of Compute Engine. */
export const COMPUTE_ENGINE_SERVICE = 'services/6F81-5844-456A';
/** How long a process reuses a price table (list prices change rarely; the catalog is a few pages). */
export const PRICE_CACHE_TTL_MS = 24 * 60 * 60 * 1000;

type Usage = 'OnDemand' | 'Preemptible';
type Component = 'core' | 'ram' | 'gpu';

/** The `usageUnit` each component's price must be per. */
const UNIT: Record<Component, string> = { core: 'h', ram: 'GiBy.h', gpu: 'h' };

/** A Compute Engine SKU reduced to what a machine's price needs. */
export interface ComputeSkuPrice {
  skuId: string;
  usage: Usage;
  component: Component;
  /**
   * Lower case. Core and RAM: the description's stem before "Core"/"Ram" (`n2 instance`,
   * `n1 predefined instance`, `n2 custom instance`). GPUs: the accelerator type name it
   * describes (`Nvidia Tesla A100` → `nvidia-tesla-a100`).
   */
  subject: string;
  regions: readonly string[];
  /** Per hour (per GiB-hour for RAM); undefined when it is not one flat rate in the expected unit and currency. */
  unitPrice: string | undefined;
}

const PREEMPTIBLE_PREFIX = /^(?:Spot )?Preemptible /i;
const GPU = /^(.+) GPU( attached to (?:Spot )?Preemptible VMs)? running in .+$/i;
const CORE_RAM = /^(.+) (Core|Ram) running in .+$/i;

/**
 * Reads one catalog SKU as a core, RAM or GPU price of on-demand or preemptible VMs, or
 * undefined for anything else (commitments, disks, licences, network).
 *
 * @example
 * parseComputeSku(sku, 'USD') // { usage: 'OnDemand', component: 'core', subject: 'n2 instance', unitPrice: '0.031611', … }
 */
export function parseComputeSku(sku: Sku, currency: string): ComputeSkuPrice | undefined {
  const usage = sku.category?.usageType;
  if ((usage !== 'OnDemand' && usage !== 'Preemptible') || sku.category?.resourceFamily !== 'Compute')
    return undefined;
  if (!sku.skuId) return undefined;
  let description = (sku.description ?? '').trim();
  const prefixed = PREEMPTIBLE_PREFIX.test(description);
  description = description.replace(PREEMPTIBLE_PREFIX, '');
  let component: Component;
  let subject: string;
  const gpu = GPU.exec(description);
  const coreRam = CORE_RAM.exec(description);
  if (gpu?.[1]) {
    if (usage === 'OnDemand' && (prefixed || gpu[2])) return undefined;
    component = 'gpu';
    subject = gpu[1].toLowerCase().replace(/\s+/g, '-');
  } else if (coreRam?.[1] && coreRam[2]) {
    if (usage === 'OnDemand' && prefixed) return undefined;
    component = coreRam[2].toLowerCase() === 'core' ? 'core' : 'ram';
    subject = coreRam[1].toLowerCase();
  } else {
    return undefined;
  }
  return {
    skuId: sku.skuId,
    usage,
    component,
    subject,
    regions: sku.serviceRegions ?? [],
    unitPrice: flatPrice(sku, UNIT[component], currency),
  };
}

/** The SKU's current price when it is one flat rate (zero tiers aside) in `unit` and `currency`. */
function flatPrice(sku: Sku, unit: string, currency: string): string | undefined {
  // pricingInfo is a timeline in chronological order; without a time range it has one entry.
  const expr = sku.pricingInfo?.[sku.pricingInfo.length - 1]?.pricingExpression;
  if (!expr || expr.usageUnit !== unit) return undefined;
  const rates = expr.tieredRates ?? [];
  if (rates.length === 0 || rates.some((r) => r.unitPrice?.currencyCode !== currency)) return undefined;
  const prices = rates.map((r) => moneyText(r.unitPrice));
  if (prices.some((p) => p === undefined)) return undefined;
  const nonZero = new Set((prices as string[]).filter((p) => !isZeroDecimal(p)));
  if (nonZero.size > 1) return undefined;
  return nonZero.size === 1 ? [...nonZero][0] : '0';
}

/** The Compute Engine SKUs of one currency, looked up by usage, component, subject and region. */
export interface ComputePriceTable {
  readonly currency: string;
  /** How many SKUs the table holds. */
  readonly size: number;
  /** The price of the one SKU that matches, or undefined when none, several, or it has no flat price. */
  unitPrice(usage: Usage, component: Component, subject: string, region: string): string | undefined;
}

export function createComputePriceTable(
  skus: Iterable<ComputeSkuPrice>,
  currency: string,
): ComputePriceTable {
  const bySubject = new Map<string, ComputeSkuPrice[]>();
  let size = 0;
  for (const s of skus) {
    const key = `${s.usage}|${s.component}|${s.subject}`;
    const same = bySubject.get(key);
    if (same) same.push(s);
    else bySubject.set(key, [s]);
    size++;
  }
  return {
    currency,
    size,
    unitPrice(usage, component, subject, region) {
      const hits = (bySubject.get(`${usage}|${component}|${subject}`) ?? []).filter((s) =>
        s.regions.includes(region),
      );
      return hits.length === 1 ? hits[0]?.unitPrice : undefined;
    },
  };
}

/** What a VM's list price depends on. */
export interface MachineToPrice {
  /** e.g. `n2-standard-8`, `n2-custom-4-16384`, `custom-2-7680` (N1). */
  machineType: string;
  region: string;
  vcpus: number | null;
  memoryMb: number | null;
  /** The machine type's `isSharedCpu`. */
  sharedCpu: boolean;
  gpus: readonly { model: string; count: number }[];
  /** Spot or preemptible scheduling: priced with the Preemptible SKUs. */
  spot: boolean;
}

/**
 * Description stems of predefined types where the catalog does not say "<FAMILY> Instance"
 * (spelled as the catalog spells them). Every other family is looked up as "<FAMILY>
 * Instance"; a family the catalog has no such SKU for stays unpriced.
 */
const PREDEFINED_STEMS: Readonly<Record<string, string>> = {
  n1: 'n1 predefined instance',
  n2d: 'n2d amd instance',
  c2d: 'c2d amd instance',
  t2d: 't2d amd instance',
  c2: 'compute optimized',
  m1: 'memory-optimized instance',
};
/** Custom types: N1's are named `custom-…` and billed as "Custom Instance"; the others "<FAMILY> Custom Instance". */
const CUSTOM_STEMS: Readonly<Record<string, string>> = {
  custom: 'custom instance',
  n1: 'custom instance',
  n2d: 'n2d amd custom instance',
};
/** Shared-core E2 types are billed for a fraction of one vCPU (plus their whole memory). */
const SHARED_CORE_VCPUS: Readonly<Record<string, string>> = {
  'e2-micro': '0.25',
  'e2-small': '0.5',
  'e2-medium': '1',
};
const CUSTOM = /(?:^|-)custom-(\d+)-(\d+)(-ext)?$/;
/** 1 MiB in GiB, exactly (2^-10 has 10 decimals). */
const GIB_PER_MIB = '0.0009765625';

/**
 * A VM's hourly list price: vCPUs × core price + GiB × RAM price + Σ GPUs × GPU price, in
 * the table's currency; undefined when any component has no exact price.
 *
 * @example
 * machineHourlyPrice(table, { machineType: 'n2-standard-8', region: 'us-central1', vcpus: 8,
 *   memoryMb: 32768, sharedCpu: false, gpus: [], spot: false }) // '0.388472'
 */
export function machineHourlyPrice(table: ComputePriceTable, m: MachineToPrice): string | undefined {
  const type = m.machineType.toLowerCase();
  const family = type.split('-')[0] ?? '';
  if (!family || !m.region || m.vcpus === null || m.memoryMb === null) return undefined;
  let stem: string;
  let vcpus: string;
  if (type.includes('custom')) {
    const custom = CUSTOM.exec(type);
    // Extended memory is billed partly at another SKU; other custom shapes are not parsed.
    if (!custom || custom[3]) return undefined;
    stem = CUSTOM_STEMS[family] ?? `${family} custom instance`;
    vcpus = String(m.vcpus);
  } else {
    stem = PREDEFINED_STEMS[family] ?? `${family} instance`;
    const shared = SHARED_CORE_VCPUS[type];
    if (shared) vcpus = shared;
    else if (m.sharedCpu) return undefined;
    else vcpus = String(m.vcpus);
  }
  const usage: Usage = m.spot ? 'Preemptible' : 'OnDemand';
  const core = table.unitPrice(usage, 'core', stem, m.region);
  const ram = table.unitPrice(usage, 'ram', stem, m.region);
  if (core === undefined || ram === undefined) return undefined;
  const gib = multiplyDecimals(String(m.memoryMb), GIB_PER_MIB);
  const parts = [multiplyDecimals(vcpus, core), multiplyDecimals(gib, ram)];
  for (const g of m.gpus) {
    if (g.count <= 0) continue;
    const gpu = table.unitPrice(usage, 'gpu', g.model.toLowerCase(), m.region);
    if (gpu === undefined) return undefined;
    parts.push(multiplyDecimals(String(g.count), gpu));
  }
  return addDecimals(...parts);
}

interface CachedTable {
  table: ComputePriceTable;
  loadedAt: number;
}

/**
 * Parsed tables per catalog identity and currency, for this process: a warm Lambda
 * collecting every 15 minutes reads the catalog once a day. Failed loads are not kept.
 */
const cache = new Map<string, CachedTable>();

/** Forgets every cached price table (tests; a process that must see new prices at once). */
export function clearComputePriceCache(): void {
  cache.clear();
}

/** Which catalog answers: the endpoint (tests, proxies) or the credentials' identity; never the key itself. */
function catalogIdentity(ctx: CollectContext<GcpSettings>, currency: string): string {
  const endpoint = ctx.connection.settings.endpoint;
  const who = endpoint
    ? `endpoint:${endpoint}`
    : `sa:${gcpCredentials(ctx.connection)?.client_email ?? 'adc'}`;
  return `${who}|${currency}`;
}

export interface ComputePrices {
  /**
   * The price table: the process's cached one while younger than PRICE_CACHE_TTL_MS,
   * else read from the catalog (once per run, retried). Undefined when the catalog could
   * not be read: the run is warned once and its VMs go unpriced, the inventory itself is
   * unaffected.
   */
  table(): Promise<ComputePriceTable | undefined>;
  close(): Promise<void>;
}

/**
 * Compute Engine list prices for one collection run.
 *
 * @example
 * const prices = createComputePrices(ctx);
 * const table = await prices.table();
 * const hourly = table && machineHourlyPrice(table, machine);
 * await prices.close();
 */
export function createComputePrices(ctx: CollectContext<GcpSettings>, currency = 'USD'): ComputePrices {
  let client: CloudCatalogClient | undefined;
  let loading: Promise<ComputePriceTable | undefined> | undefined;

  async function load(): Promise<ComputePriceTable | undefined> {
    const key = catalogIdentity(ctx, currency);
    const now = ctx.now().getTime();
    const hit = cache.get(key);
    if (hit && now - hit.loadedAt >= 0 && now - hit.loadedAt < PRICE_CACHE_TTL_MS) return hit.table;
    const call = `billing:listSkus ${COMPUTE_ENGINE_SERVICE}`;
    try {
      const skus = await ctx.retry(call, async () => {
        client ??= new CloudCatalogClient(
          gaxClientOptions(ctx.connection) as ConstructorParameters<typeof CloudCatalogClient>[0],
        );
        const parsed: ComputeSkuPrice[] = [];
        try {
          // The async iterator follows nextPageToken itself (autoPaginate only silences a warning).
          for await (const sku of client.listSkusAsync(
            { parent: COMPUTE_ENGINE_SERVICE, currencyCode: currency, pageSize: 5000 },
            { autoPaginate: false },
          )) {
            const p = parseComputeSku(sku, currency);
            if (p) parsed.push(p);
          }
        } catch (err) {
          throw classifyGcpError(err, call);
        }
        return parsed;
      });
      const table = createComputePriceTable(skus, currency);
      for (const [k, v] of cache) if (now - v.loadedAt >= PRICE_CACHE_TTL_MS) cache.delete(k);
      cache.set(key, { table, loadedAt: now });
      return table;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      ctx.warn?.(
        `Compute Engine list prices unavailable from the Cloud Billing Catalog, VMs have no hourly_price: ${errorMessage(err)}`,
      );
      return undefined;
    }
  }

  return {
    table() {
      loading ??= load();
      return loading;
    },
    async close() {
      await client?.close();
    },
  };
}

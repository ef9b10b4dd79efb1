import { multiplyDecimals } from '../costs/decimal';
import { DAY_MS } from '../time';
import { monthly } from './common';
import type { InventoryItem, RuleInput } from './types';
import { resourceKey } from './types';

export const isDisk = (r: InventoryItem) => r.resource_type === 'disk' || r.resource_type === 'volume';

export function diskSizeGib(r: InventoryItem): number | null {
  const size = r.attributes.size_gib ?? r.attributes.size_gb;
  return typeof size === 'number' && Number.isFinite(size) ? size : null;
}

export function attachedTo(r: InventoryItem): string[] {
  const a = r.attributes.attached_to;
  return Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * A disk's monthly price: its hourly price × 730 when the inventory has one, else its
 * size × the per-GB-month list price of its provider/type from the thresholds.
 */
export function diskMonthly(
  input: RuleInput,
  r: InventoryItem,
): { savings: string | null; currency: string; basis: string } {
  if (r.hourly_price !== null)
    return { savings: monthly(r.hourly_price), currency: r.currency, basis: 'hourly price × 730' };
  const perGb = input.thresholds.storage_gb_month_prices[`${r.provider}/${r.sku}`];
  const size = diskSizeGib(r);
  if (perGb === undefined || size === null) {
    return {
      savings: null,
      currency: r.currency || input.thresholds.storage_currency,
      basis:
        size === null
          ? 'the disk size is unknown'
          : `no per-GB-month price for ${r.provider}/${r.sku || '(no type)'}`,
    };
  }
  return {
    savings: multiplyDecimals(String(size), perGb),
    currency: input.thresholds.storage_currency,
    basis: `${size} GiB × ${perGb} per GB-month`,
  };
}

/** Days since the resource was last seen active (attached / running), or since first seen when never. */
export function inactiveDays(input: RuleInput, r: InventoryItem): { days: number; since: Date } | null {
  const h = input.history.get(resourceKey(r.provider, r.resource_id));
  if (!h) return null;
  const since = h.last_active ?? h.first_seen;
  return { days: (input.now.getTime() - since.getTime()) / DAY_MS, since };
}

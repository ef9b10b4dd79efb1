import type { Writer } from '../../../lib/clickhouse/writer';
import type { CostRowInput } from '../../../lib/schemas/rows';

/**
 * A small, hand-checkable cost history (January–February 2026) written through the real
 * writer, with every case the readers must get right: several providers and currencies,
 * a credit, a tax line without a resource, a fact at 10^-10, a restated fact (counted
 * once, latest figures), a tombstoned fact (gone), and another customer's data on the
 * same days (never counted). Expected sums in the tests are worked out from this list.
 */

export interface Fact {
  provider: string;
  day: string;
  service: string;
  resource?: string;
  account?: string;
  subAccount?: string;
  category?: CostRowInput['charge_category'];
  serviceCategory?: string;
  billed: string;
  effective: string;
  currency: string;
  lineKey?: string;
  tags?: Record<string, string>;
}

export function costRow(customerId: string, f: Fact, extra: Partial<CostRowInput> = {}): CostRowInput {
  const start = new Date(`${f.day}T00:00:00Z`);
  const end = new Date(start.getTime() + 86_400_000);
  const month = `${f.day.slice(0, 7)}-01T00:00:00Z`;
  const nextMonth = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  return {
    x_customer_id: customerId,
    x_provider: f.provider,
    x_connection_id: 'main',
    billing_account_id: f.account ?? `${f.provider}-billing`,
    sub_account_id: f.subAccount ?? '',
    provider_name: f.provider.toUpperCase(),
    invoice_issuer_name: f.provider.toUpperCase(),
    service_name: f.service,
    service_category: f.serviceCategory ?? 'Compute',
    charge_category: f.category ?? 'Usage',
    charge_description: `${f.service} on ${f.day}`,
    resource_id: f.resource ?? '',
    resource_name: f.resource ? `name-of-${f.resource}` : '',
    resource_type: f.resource ? 'instance' : '',
    region_id: 'eu-west-1',
    pricing_quantity: '24',
    pricing_unit: 'Hours',
    billed_cost: f.billed,
    effective_cost: f.effective,
    list_cost: f.billed,
    billing_currency: f.currency,
    charge_period_start: start,
    charge_period_end: end,
    billing_period_start: month,
    billing_period_end: nextMonth,
    tags: f.tags ?? {},
    x_line_key: f.lineKey ?? '',
    x_collected_at: new Date('2026-03-01T00:00:00Z'),
    ...extra,
  };
}

/** The facts as first collected. */
export const FIRST_COLLECTION: readonly Fact[] = [
  {
    provider: 'aws',
    day: '2026-01-05',
    service: 'Amazon EC2',
    resource: 'i-1',
    account: '111',
    billed: '10.10',
    effective: '9.00',
    currency: 'USD',
    tags: { team: 'ml' },
  },
  {
    provider: 'aws',
    day: '2026-01-06',
    service: 'Amazon EC2',
    resource: 'i-1',
    account: '111',
    billed: '10.10',
    effective: '9.00',
    currency: 'USD',
  },
  {
    provider: 'aws',
    day: '2026-01-06',
    service: 'Amazon S3',
    resource: 'bucket-a',
    account: '111',
    serviceCategory: 'Storage',
    billed: '0.0000000001',
    effective: '0.0000000001',
    currency: 'USD',
  },
  {
    provider: 'aws',
    day: '2026-01-07',
    service: 'Amazon EC2',
    resource: 'i-1',
    account: '111',
    billed: '100',
    effective: '100',
    currency: 'USD',
  },
  {
    provider: 'aws',
    day: '2026-01-15',
    service: 'Amazon EC2',
    account: '111',
    category: 'Credit',
    billed: '-1.50',
    effective: '-1.50',
    currency: 'USD',
  },
  {
    provider: 'aws',
    day: '2026-01-31',
    service: 'Tax',
    account: '111',
    category: 'Tax',
    serviceCategory: 'Other',
    billed: '2.00',
    effective: '2.00',
    currency: 'USD',
  },
  {
    provider: 'aws',
    day: '2026-02-02',
    service: 'Amazon EC2',
    resource: 'i-2',
    account: '111',
    subAccount: '222',
    billed: '5.55',
    effective: '5.55',
    currency: 'USD',
  },
  {
    provider: 'gcp',
    day: '2026-01-05',
    service: 'Compute Engine',
    resource: 'vm-g1',
    billed: '7.25',
    effective: '7.00',
    currency: 'EUR',
  },
  {
    provider: 'gcp',
    day: '2026-01-20',
    service: 'BigQuery',
    serviceCategory: 'Analytics',
    billed: '3.333',
    effective: '3.333',
    currency: 'EUR',
  },
  {
    provider: 'azure',
    day: '2026-01-12',
    service: 'Virtual Machines',
    resource: 'vm-a1',
    billed: '1.00',
    effective: '1.00',
    currency: 'USD',
  },
];

/** A later collection restates the 5 January EC2 fact (same natural key, new figures). */
export const RESTATED: Fact = { ...(FIRST_COLLECTION[0] as Fact), billed: '12.12', effective: '11.00' };
/** …and the 7 January EC2 fact disappeared from the provider's answer: a tombstone. */
export const TOMBSTONED: Fact = FIRST_COLLECTION[3] as Fact;

/** Writes the history for `customerId` (and noise for `otherCustomerId`) in three collections. */
export async function writeKnownCosts(
  writer: Writer,
  customerId: string,
  otherCustomerId: string,
): Promise<void> {
  await writer.write(
    'costs',
    FIRST_COLLECTION.map((f) => costRow(customerId, f)),
  );
  // A stale copy of the first collection arriving late (a lower version): superseded, not added.
  await writer.write(
    'costs',
    FIRST_COLLECTION.map((f) => costRow(customerId, f, { x_version: 1 })),
  );
  await writer.write('costs', [
    costRow(customerId, RESTATED),
    costRow(customerId, TOMBSTONED, { x_is_deleted: 1 }),
  ]);
  await writer.write(
    'costs',
    FIRST_COLLECTION.map((f) => costRow(otherCustomerId, { ...f, billed: '1000', effective: '1000' })),
  );
}

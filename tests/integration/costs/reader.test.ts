import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter } from '../../../lib/clickhouse/writer';
import type { CostScope } from '../../../lib/costs/reader';
import { costsByResource, costsByType } from '../../../lib/costs/reader-breakdown';
import { costRows, latestCosts } from '../../../lib/costs/reader-rows';
import { costTotals } from '../../../lib/costs/reader-totals';
import { bucketsOf, costTrends } from '../../../lib/costs/reader-trends';
import { testStore } from '../../helpers/store';
import { writeKnownCosts } from './known-costs';

const CUSTOMER = 'reader-acme';
const OTHER = 'reader-other';

const period = (start: string, end: string) => ({ start: new Date(start), end: new Date(end) });
const JANUARY = period('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z');
const JAN_FEB = period('2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z');
const scope = (provider: string, p = JANUARY, filters: CostScope['filters'] = {}): CostScope => ({
  customerId: CUSTOMER,
  provider,
  period: p,
  filters,
});

let store: Store;
beforeAll(async () => {
  store = await testStore();
  await writeKnownCosts(createWriter(store), CUSTOMER, OTHER);
});

describe('costTotals', () => {
  it('sums each currency on its own across all providers, counting a restated fact once and dropping a tombstoned one', async () => {
    const result = await costTotals(store, scope('all'));
    expect(result.totals).toEqual([
      { currency: 'EUR', billed_cost: '10.583', effective_cost: '10.333', line_items: 2 },
      { currency: 'USD', billed_cost: '23.7200000001', effective_cost: '21.5000000001', line_items: 6 },
    ]);
    expect(result.by_provider).toEqual([
      {
        provider: 'aws',
        currency: 'USD',
        billed_cost: '22.7200000001',
        effective_cost: '20.5000000001',
        line_items: 5,
      },
      { provider: 'azure', currency: 'USD', billed_cost: '1', effective_cost: '1', line_items: 1 },
      { provider: 'gcp', currency: 'EUR', billed_cost: '10.583', effective_cost: '10.333', line_items: 2 },
    ]);
  });

  it('restricts to one provider and to the period, start inclusive and end exclusive', async () => {
    expect((await costTotals(store, scope('aws', JAN_FEB))).totals).toEqual([
      { currency: 'USD', billed_cost: '28.2700000001', effective_cost: '26.0500000001', line_items: 6 },
    ]);
    // 2026-02-02 starts exactly at the end of this period: excluded; 2026-01-31 starts at its start: included.
    expect(
      (await costTotals(store, scope('aws', period('2026-01-31T00:00:00Z', '2026-02-02T00:00:00Z')))).totals,
    ).toEqual([{ currency: 'USD', billed_cost: '2', effective_cost: '2', line_items: 1 }]);
  });

  it('applies the service, account (billing or sub account) and resource filters exactly', async () => {
    expect((await costTotals(store, scope('all', JANUARY, { service: 'Amazon EC2' }))).totals).toEqual([
      { currency: 'USD', billed_cost: '20.72', effective_cost: '18.5', line_items: 3 },
    ]);
    expect((await costTotals(store, scope('all', JAN_FEB, { account: '222' }))).totals).toEqual([
      { currency: 'USD', billed_cost: '5.55', effective_cost: '5.55', line_items: 1 },
    ]);
    expect((await costTotals(store, scope('all', JANUARY, { account: '111' }))).totals).toEqual([
      { currency: 'USD', billed_cost: '22.7200000001', effective_cost: '20.5000000001', line_items: 5 },
    ]);
    expect(
      (await costTotals(store, scope('aws', JANUARY, { resource: 'i-1', service: 'Amazon EC2' }))).totals,
    ).toEqual([{ currency: 'USD', billed_cost: '22.22', effective_cost: '20', line_items: 2 }]);
    expect((await costTotals(store, scope('all', JANUARY, { service: 'amazon ec2' }))).totals).toEqual([]);
  });

  it('answers empty for a provider or period without data, and never shows another customer', async () => {
    expect(await costTotals(store, scope('vultr'))).toEqual({ totals: [], by_provider: [] });
    expect(
      await costTotals(store, scope('all', period('2025-01-01T00:00:00Z', '2025-12-01T00:00:00Z'))),
    ).toEqual({
      totals: [],
      by_provider: [],
    });
    expect(await costTotals(store, { ...scope('all'), customerId: 'reader-nobody' })).toEqual({
      totals: [],
      by_provider: [],
    });
  });
});

describe('costTrends', () => {
  const usd = (billed: string, effective = billed) => ({
    currency: 'USD',
    billed_cost: billed,
    effective_cost: effective,
  });
  const eur = (billed: string, effective = billed) => ({
    currency: 'EUR',
    billed_cost: billed,
    effective_cost: effective,
  });

  it('groups by ISO week (Monday) with every week listed, zero-filled per currency, edges marked partial', async () => {
    const t = await costTrends(store, scope('all'), 'week');
    expect(t.group_by).toBe('week');
    expect(t.currencies).toEqual(['EUR', 'USD']);
    expect(t.buckets).toEqual([
      {
        start: '2025-12-29T00:00:00.000Z',
        end: '2026-01-05T00:00:00.000Z',
        partial: true,
        costs: [eur('0'), usd('0')],
      },
      {
        start: '2026-01-05T00:00:00.000Z',
        end: '2026-01-12T00:00:00.000Z',
        partial: false,
        costs: [eur('7.25', '7'), usd('22.2200000001', '20.0000000001')],
      },
      {
        start: '2026-01-12T00:00:00.000Z',
        end: '2026-01-19T00:00:00.000Z',
        partial: false,
        costs: [eur('0'), usd('-0.5')],
      },
      {
        start: '2026-01-19T00:00:00.000Z',
        end: '2026-01-26T00:00:00.000Z',
        partial: false,
        costs: [eur('3.333'), usd('0')],
      },
      {
        start: '2026-01-26T00:00:00.000Z',
        end: '2026-02-02T00:00:00.000Z',
        partial: true,
        costs: [eur('0'), usd('2')],
      },
    ]);
  });

  it('groups by calendar month; a month without cost in one currency reads zero', async () => {
    const t = await costTrends(store, scope('all', JAN_FEB), 'month');
    expect(t.buckets).toEqual([
      {
        start: '2026-01-01T00:00:00.000Z',
        end: '2026-02-01T00:00:00.000Z',
        partial: false,
        costs: [eur('10.583', '10.333'), usd('23.7200000001', '21.5000000001')],
      },
      {
        start: '2026-02-01T00:00:00.000Z',
        end: '2026-03-01T00:00:00.000Z',
        partial: false,
        costs: [eur('0'), usd('5.55')],
      },
    ]);
  });

  it('counts only the part of a month inside the period and says so', async () => {
    const t = await costTrends(
      store,
      scope('all', period('2026-01-10T00:00:00Z', '2026-02-10T00:00:00Z')),
      'month',
    );
    expect(t.buckets).toEqual([
      {
        start: '2026-01-01T00:00:00.000Z',
        end: '2026-02-01T00:00:00.000Z',
        partial: true,
        costs: [eur('3.333'), usd('1.5')],
      },
      {
        start: '2026-02-01T00:00:00.000Z',
        end: '2026-03-01T00:00:00.000Z',
        partial: true,
        costs: [eur('0'), usd('5.55')],
      },
    ]);
  });

  it('groups by day for one provider, one entry per day of the period', async () => {
    const t = await costTrends(store, scope('gcp'), 'day');
    expect(t.currencies).toEqual(['EUR']);
    expect(t.buckets).toHaveLength(31);
    expect(t.buckets.every((b) => !b.partial)).toBe(true);
    const nonZero = t.buckets.filter((b) => b.costs[0]?.billed_cost !== '0');
    expect(nonZero.map((b) => [b.start.slice(0, 10), b.costs])).toEqual([
      ['2026-01-05', [eur('7.25', '7')]],
      ['2026-01-20', [eur('3.333')]],
    ]);
  });

  it('lists the buckets of an empty period with no currencies, rather than inventing one', async () => {
    const t = await costTrends(
      store,
      scope('all', period('2025-06-01T00:00:00Z', '2025-06-04T00:00:00Z')),
      'day',
    );
    expect(t.currencies).toEqual([]);
    expect(t.buckets).toEqual([
      { start: '2025-06-01T00:00:00.000Z', end: '2025-06-02T00:00:00.000Z', partial: false, costs: [] },
      { start: '2025-06-02T00:00:00.000Z', end: '2025-06-03T00:00:00.000Z', partial: false, costs: [] },
      { start: '2025-06-03T00:00:00.000Z', end: '2025-06-04T00:00:00.000Z', partial: false, costs: [] },
    ]);
  });

  it('computes calendar buckets across year ends, leap days and ISO week 1', () => {
    const weeks = bucketsOf(period('2026-12-30T12:00:00Z', '2027-01-05T00:00:00Z'), 'week');
    expect(weeks.map((b) => b.start.toISOString().slice(0, 10))).toEqual(['2026-12-28', '2027-01-04']);
    const days = bucketsOf(period('2028-02-28T00:00:00Z', '2028-03-01T00:00:00Z'), 'day');
    expect(days.map((b) => b.start.toISOString().slice(0, 10))).toEqual(['2028-02-28', '2028-02-29']);
    const months = bucketsOf(period('2026-11-15T00:00:00Z', '2027-01-01T00:00:01Z'), 'month');
    expect(months.map((b) => b.start.toISOString().slice(0, 10))).toEqual([
      '2026-11-01',
      '2026-12-01',
      '2027-01-01',
    ]);
  });
});

describe('costsByResource', () => {
  it('ranks resources per currency by effective cost, with charges without a resource grouped as null', async () => {
    const r = await costsByResource(store, scope('all'), 50);
    expect(
      r.items.map((i) => [i.currency, i.provider, i.resource_id, i.billed_cost, i.effective_cost]),
    ).toEqual([
      ['EUR', 'gcp', 'vm-g1', '7.25', '7'],
      ['EUR', 'gcp', null, '3.333', '3.333'],
      ['USD', 'aws', 'i-1', '22.22', '20'],
      ['USD', 'azure', 'vm-a1', '1', '1'],
      ['USD', 'aws', null, '0.5', '0.5'],
      ['USD', 'aws', 'bucket-a', '0.0000000001', '0.0000000001'],
    ]);
    expect(r.items[2]).toMatchObject({
      resource_name: 'name-of-i-1',
      resource_type: 'instance',
      service_name: 'Amazon EC2',
      region_id: 'eu-west-1',
    });
    expect(r.items[4]).toMatchObject({ service_name: 'Tax', resource_name: '' });
    expect(r.totals).toEqual([
      { currency: 'EUR', billed_cost: '10.583', effective_cost: '10.333', groups: 2, truncated: false },
      {
        currency: 'USD',
        billed_cost: '23.7200000001',
        effective_cost: '21.5000000001',
        groups: 4,
        truncated: false,
      },
    ]);
  });

  it('keeps the top `limit` per currency and reports what was cut', async () => {
    const r = await costsByResource(store, scope('all'), 1);
    expect(r.items.map((i) => i.resource_id)).toEqual(['vm-g1', 'i-1']);
    expect(r.totals.map((t) => [t.currency, t.groups, t.truncated, t.billed_cost])).toEqual([
      ['EUR', 2, true, '10.583'],
      ['USD', 4, true, '23.7200000001'],
    ]);
  });

  it('is empty for a provider without data', async () => {
    expect(
      await costsByResource(
        store,
        scope('azure', period('2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z')),
        10,
      ),
    ).toEqual({
      items: [],
      totals: [],
    });
  });
});

describe('costsByType', () => {
  it('splits by service per currency, naming the providers behind each', async () => {
    const r = await costsByType(store, scope('all'), 'service', 50);
    expect(r.items.map((i) => [i.currency, i.name, i.billed_cost, i.effective_cost, i.providers])).toEqual([
      ['EUR', 'Compute Engine', '7.25', '7', ['gcp']],
      ['EUR', 'BigQuery', '3.333', '3.333', ['gcp']],
      ['USD', 'Amazon EC2', '20.72', '18.5', ['aws']],
      ['USD', 'Tax', '2', '2', ['aws']],
      ['USD', 'Virtual Machines', '1', '1', ['azure']],
      ['USD', 'Amazon S3', '0.0000000001', '0.0000000001', ['aws']],
    ]);
  });

  it('splits by charge category, credits negative', async () => {
    const r = await costsByType(store, scope('all'), 'charge_category', 50);
    expect(r.items.map((i) => [i.currency, i.name, i.billed_cost, i.effective_cost, i.providers])).toEqual([
      ['EUR', 'Usage', '10.583', '10.333', ['gcp']],
      ['USD', 'Usage', '23.2200000001', '21.0000000001', ['aws', 'azure']],
      ['USD', 'Tax', '2', '2', ['aws']],
      ['USD', 'Credit', '-1.5', '-1.5', ['aws']],
    ]);
    expect(r.totals.map((t) => [t.currency, t.billed_cost, t.groups])).toEqual([
      ['EUR', '10.583', 1],
      ['USD', '23.7200000001', 3],
    ]);
  });

  it('splits by FOCUS service category', async () => {
    const r = await costsByType(store, scope('all'), 'service_category', 2);
    expect(r.items.map((i) => [i.currency, i.name, i.billed_cost])).toEqual([
      ['EUR', 'Compute', '7.25'],
      ['EUR', 'Analytics', '3.333'],
      ['USD', 'Compute', '21.72'],
      ['USD', 'Other', '2'],
    ]);
    expect(r.totals.map((t) => [t.currency, t.groups, t.truncated])).toEqual([
      ['EUR', 2, false],
      ['USD', 3, true],
    ]);
  });
});

describe('costRows', () => {
  it('returns the facts newest first with exact decimals, the restated figures, and says when it cut the list', async () => {
    const page = await costRows(store, scope('aws'), 2);
    expect(page.truncated).toBe(true);
    expect(
      page.rows.map((r) => [r.charge_period_start, r.service_name, r.charge_category, r.billed_cost]),
    ).toEqual([
      ['2026-01-31T00:00:00.000Z', 'Tax', 'Tax', '2'],
      ['2026-01-15T00:00:00.000Z', 'Amazon EC2', 'Credit', '-1.5'],
    ]);
    const all = await costRows(store, scope('aws'), 10);
    expect(all.truncated).toBe(false);
    expect(all.rows.map((r) => [r.charge_period_start.slice(0, 10), r.service_name, r.billed_cost])).toEqual([
      ['2026-01-31', 'Tax', '2'],
      ['2026-01-15', 'Amazon EC2', '-1.5'],
      ['2026-01-06', 'Amazon EC2', '10.1'],
      ['2026-01-06', 'Amazon S3', '0.0000000001'],
      ['2026-01-05', 'Amazon EC2', '12.12'],
    ]);
    expect(all.rows[4]).toEqual({
      provider: 'aws',
      charge_period_start: '2026-01-05T00:00:00.000Z',
      charge_period_end: '2026-01-06T00:00:00.000Z',
      billing_account_id: '111',
      sub_account_id: '',
      service_name: 'Amazon EC2',
      service_category: 'Compute',
      charge_category: 'Usage',
      charge_class: '',
      charge_description: 'Amazon EC2 on 2026-01-05',
      resource_id: 'i-1',
      resource_name: 'name-of-i-1',
      resource_type: 'instance',
      region_id: 'eu-west-1',
      sku_id: '',
      pricing_quantity: '24',
      pricing_unit: 'Hours',
      billed_cost: '12.12',
      effective_cost: '11',
      list_cost: '12.12',
      currency: 'USD',
      tags: { team: 'ml' },
    });
  });
});

describe('latestCosts', () => {
  it('reports the most recent day with cost in the period, per currency, provider and service', async () => {
    expect(await latestCosts(store, scope('all', JAN_FEB))).toEqual({
      day: { start: '2026-02-02T00:00:00.000Z', end: '2026-02-03T00:00:00.000Z' },
      totals: [{ currency: 'USD', billed_cost: '5.55', effective_cost: '5.55' }],
      by_provider: [{ provider: 'aws', currency: 'USD', billed_cost: '5.55', effective_cost: '5.55' }],
      by_service: [
        {
          provider: 'aws',
          service_name: 'Amazon EC2',
          currency: 'USD',
          billed_cost: '5.55',
          effective_cost: '5.55',
        },
      ],
    });
    expect((await latestCosts(store, scope('gcp'))).day?.start).toBe('2026-01-20T00:00:00.000Z');
  });

  it('skips a day whose only fact was tombstoned', async () => {
    const latest = await latestCosts(
      store,
      scope('aws', period('2026-01-06T00:00:00Z', '2026-01-08T00:00:00Z')),
    );
    expect(latest).toEqual({
      day: { start: '2026-01-06T00:00:00.000Z', end: '2026-01-07T00:00:00.000Z' },
      totals: [{ currency: 'USD', billed_cost: '10.1000000001', effective_cost: '9.0000000001' }],
      by_provider: [
        { provider: 'aws', currency: 'USD', billed_cost: '10.1000000001', effective_cost: '9.0000000001' },
      ],
      by_service: [
        {
          provider: 'aws',
          service_name: 'Amazon EC2',
          currency: 'USD',
          billed_cost: '10.1',
          effective_cost: '9',
        },
        {
          provider: 'aws',
          service_name: 'Amazon S3',
          currency: 'USD',
          billed_cost: '0.0000000001',
          effective_cost: '0.0000000001',
        },
      ],
    });
  });

  it('answers null when the period has no cost', async () => {
    expect(
      await latestCosts(store, scope('all', period('2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z'))),
    ).toEqual({
      day: null,
      totals: [],
      by_provider: [],
      by_service: [],
    });
  });
});

import { describe, expect, it } from 'vitest';
import {
  centsToDecimal,
  formatDecimal,
  hourlySlices,
  numberToDecimal,
  parseDecimal,
} from '../../../lib/providers/hourly-cost';
import { localCostRows } from '../../../lib/providers/local/cost';

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;

describe('hourly-cost: exact decimals', () => {
  it.each([
    ['3.29', '3.29'],
    ['0.0080000000000000', '0.008'],
    ['12', '12'],
    ['-0.5', '-0.5'],
    ['0.00000000005', '0.0000000001'],
    ['0.00000000004', '0'],
  ])('parses and prints %s as %s', (text, printed) => {
    expect(formatDecimal(parseDecimal(text))).toBe(printed);
  });

  it('rejects text that is not a decimal', () => {
    expect(() => parseDecimal('1,5')).toThrow(RangeError);
    expect(() => parseDecimal('')).toThrow(/not a decimal/);
  });

  it('turns JSON numbers and cents into decimal text without float arithmetic', () => {
    expect(numberToDecimal(0.00744)).toBe('0.00744');
    expect(numberToDecimal(0.1 + 0.2)).toBe('0.3');
    expect(numberToDecimal(1e-7)).toBe('0.0000001');
    expect(centsToDecimal(329)).toBe('3.29');
    expect(centsToDecimal(1)).toBe('0.01');
  });
});

describe('hourlySlices', () => {
  it('with a known start, bills whole clock hours from their own start, prorating the first and the current hour', () => {
    const slices = hourlySlices({
      window: { start: at('2026-11-20T11:30:00Z'), end: at('2026-11-20T12:30:00Z') },
      rate: '3.29',
      runningSince: at('2026-11-20T10:30:00Z'),
    });
    expect(slices.map((s) => [s.periodStart.toISOString(), s.quantity, s.amount])).toEqual([
      ['2026-11-20T11:00:00.000Z', '1', '3.29'],
      ['2026-11-20T12:00:00.000Z', '0.5', '1.645'],
    ]);
  });

  it('with a known start, gives an overlapping re-collection the same figure for finished hours', () => {
    const since = at('2026-11-20T09:10:00Z');
    const first = hourlySlices({
      window: { start: at('2026-11-20T09:00:00Z'), end: at('2026-11-20T10:40:00Z') },
      rate: '0.5',
      runningSince: since,
    });
    const again = hourlySlices({
      window: { start: at('2026-11-20T10:20:00Z'), end: at('2026-11-20T11:05:00Z') },
      rate: '0.5',
      runningSince: since,
    });
    const byHour = (list: typeof first) =>
      Object.fromEntries(list.map((s) => [s.periodStart.toISOString(), s.amount]));
    expect(byHour(first)).toEqual({
      '2026-11-20T09:00:00.000Z': '0.4166666667', // 50 minutes, rounded half-up at 10 digits
      '2026-11-20T10:00:00.000Z': '0.3333333333',
    });
    expect(byHour(again)).toEqual({
      '2026-11-20T10:00:00.000Z': '0.5',
      '2026-11-20T11:00:00.000Z': '0.0416666667',
    });
  });

  it('caps a calendar month at the monthly price, from the start of the month or the machine', () => {
    // 0.01/hour capped at 5.00: the cap is reached after 500 hours of November.
    const since = at('2026-11-01T00:00:00Z');
    const around = (iso: string) =>
      hourlySlices({
        window: { start: at(iso), end: new Date(at(iso).getTime() + HOUR) },
        rate: '0.01',
        runningSince: since,
        monthlyCap: '5',
      });
    expect(around('2026-11-21T19:00:00Z')[0]?.amount).toBe('0.01'); // hour 499
    expect(around('2026-11-21T20:00:00Z')[0]?.amount).toBe('0'); // hour 500: cap reached
    expect(around('2026-11-21T20:00:00Z')[0]?.listAmount).toBe('0.01');
    expect(around('2026-12-01T00:00:00Z')[0]?.amount).toBe('0.01'); // a new month starts again
  });

  it('with an unknown start, bills only the observed part of the window, so consecutive windows add up', () => {
    const a = hourlySlices({
      window: { start: at('2026-11-20T11:50:00Z'), end: at('2026-11-20T12:10:00Z') },
      rate: '6',
      runningSince: null,
    });
    const b = hourlySlices({
      window: { start: at('2026-11-20T12:10:00Z'), end: at('2026-11-20T12:25:00Z') },
      rate: '6',
      runningSince: null,
    });
    expect(
      [...a, ...b].map((s) => [s.periodStart.toISOString(), s.periodEnd.toISOString(), s.amount]),
    ).toEqual([
      ['2026-11-20T11:50:00.000Z', '2026-11-20T12:00:00.000Z', '1'],
      ['2026-11-20T12:00:00.000Z', '2026-11-20T12:10:00.000Z', '1'],
      ['2026-11-20T12:10:00.000Z', '2026-11-20T12:25:00.000Z', '1.5'],
    ]);
  });

  it('with an unknown start, assumes at most an hour however long the window', () => {
    const slices = hourlySlices({
      window: { start: at('2026-11-19T00:00:00Z'), end: at('2026-11-20T12:30:00Z') },
      rate: '2',
      runningSince: null,
    });
    expect(slices.map((s) => [s.periodStart.toISOString(), s.amount])).toEqual([
      ['2026-11-20T11:30:00.000Z', '1'],
      ['2026-11-20T12:00:00.000Z', '1'],
    ]);
  });

  it('stops at the time the machine stopped', () => {
    const slices = hourlySlices({
      window: { start: at('2026-11-20T10:00:00Z'), end: at('2026-11-20T12:30:00Z') },
      rate: '1',
      runningSince: at('2026-11-20T09:00:00Z'),
      runningUntil: at('2026-11-20T11:15:00Z'),
    });
    expect(slices.map((s) => s.amount)).toEqual(['1', '0.25']);
  });
});

describe('localCostRows (the local provider, on the shared price × time)', () => {
  it('still bills the machine per clock hour from boot, prorated, in exact decimals', () => {
    const rows = localCostRows({
      window: { start: at('2026-11-20T10:00:00Z'), end: at('2026-11-20T11:20:00Z') },
      upSince: at('2026-11-20T09:45:00Z'),
      rate: '0.42',
      currency: 'EUR',
      customerId: 'acme',
      resourceId: 'local:box',
      taskId: 't',
      collectedAt: at('2026-11-20T11:20:00Z'),
    });
    expect(
      rows.map((r) => [r.charge_period_start, r.pricing_quantity, r.billed_cost, r.billing_currency]),
    ).toEqual([
      [at('2026-11-20T10:00:00Z'), '1', '0.42', 'EUR'],
      [at('2026-11-20T11:00:00Z'), '0.3333333333', '0.14', 'EUR'],
    ]);
    expect(rows[0]).toMatchObject({
      x_provider: 'local',
      resource_name: 'box',
      billing_period_start: at('2026-11-01T00:00:00Z'),
    });
  });
});

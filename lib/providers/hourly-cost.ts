import type { TimeWindow } from '../collector/types';
import { floorTo, HOUR_MS } from '../time';

/**
 * Price × running time, for every provider that knows what a machine costs per hour but
 * has no billing API (the local machine, Hetzner, Lambda, Kubernetes price tables, …).
 *
 * Money is exact: decimal text is parsed into integer units of 10^-10 (the scale of the
 * Decimal(38, 10) cost columns) and all arithmetic is BigInt, rounded half-up once.
 */

const FRACTION_DIGITS = 10;
const SCALE = 10n ** BigInt(FRACTION_DIGITS);
const HOUR = BigInt(HOUR_MS);
const DECIMAL = /^(-?)(\d{1,28})(?:\.(\d{1,28}))?$/;

/** Decimal text ("0.0056000000000000", "3.29", "12") as integer units of 10^-10. */
export function parseDecimal(text: string): bigint {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new RangeError(`not a decimal number: "${text}"`);
  const [, sign, int, frac = ''] = m;
  const fraction = frac.padEnd(FRACTION_DIGITS + 1, '0');
  let units = BigInt(int as string) * SCALE + BigInt(fraction.slice(0, FRACTION_DIGITS));
  if (Number(fraction[FRACTION_DIGITS]) >= 5) units += 1n;
  return sign === '-' ? -units : units;
}

/** Integer units of 10^-10 as the shortest exact decimal text ("3.29", "0", "-0.5"). */
export function formatDecimal(units: bigint): string {
  const sign = units < 0n ? '-' : '';
  const abs = units < 0n ? -units : units;
  const int = abs / SCALE;
  const frac = (abs % SCALE).toString().padStart(FRACTION_DIGITS, '0').replace(/0+$/, '');
  return `${sign}${int}${frac ? `.${frac}` : ''}`;
}

/**
 * A number from a JSON API (e.g. `costPerHr: 0.44`) as exact decimal text: its shortest
 * round-trip form (what the provider wrote), rounded to the 10 fraction digits we store.
 */
export function numberToDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const text = String(value);
  return formatDecimal(parseDecimal(/e/i.test(text) ? value.toFixed(FRACTION_DIGITS + 1) : text));
}

/** `cents` (an integer count of 1/100) as decimal text: 329 → "3.29". */
export function centsToDecimal(cents: number): string {
  if (!Number.isInteger(cents)) return formatDecimal(parseDecimal(numberToDecimal(cents)) / 100n);
  return formatDecimal((BigInt(cents) * SCALE) / 100n);
}

function divRound(n: bigint, d: bigint): bigint {
  const q = n / d;
  return (n % d) * 2n >= d ? q + 1n : q;
}

/** `rate` per hour for `ms` milliseconds, in units. */
function perHour(rateUnits: bigint, ms: number): bigint {
  return divRound(rateUnits * BigInt(ms), HOUR);
}

export interface HourSlice {
  /** The charge period: the whole clock hour (UTC) when the start is known, else the observed part of it. */
  periodStart: Date;
  periodEnd: Date;
  usedMs: number;
  /** Hours used, exact decimal text. */
  quantity: string;
  /** rate × quantity, after the monthly cap; exact decimal text. */
  amount: string;
  /** The uncapped amount (list cost). */
  listAmount: string;
}

export interface HourlyCostInput {
  window: TimeWindow;
  /** Hourly price, decimal text. */
  rate: string;
  /**
   * Since when the machine has been running (billed). Null when the provider does not
   * say: the machine was seen running at the window's end and is assumed to have run for
   * the whole window, but never longer than `assumeAtMostMs` before its end.
   */
  runningSince: Date | null;
  /** When it stopped, if it has; defaults to the window's end. */
  runningUntil?: Date | null;
  /**
   * Most one calendar month (UTC) can cost, for providers that cap hourly billing at the
   * monthly price (DigitalOcean, Linode, Hetzner). Applied from `runningSince`; ignored
   * when the start is unknown.
   */
  monthlyCap?: string | null;
  /** How far back an unknown start may be assumed (default one hour). */
  assumeAtMostMs?: number;
}

/**
 * Price × running time, one slice per clock hour.
 *
 * With a known start, each slice covers the whole clock hour and is computed from the
 * hour's own start (not the window's): re-collecting a window, or an overlapping one,
 * gives every finished hour the same figure and the current hour a larger one, so rows
 * keyed on the hour replace each other and nothing is counted twice.
 *
 * With an unknown start, a slice is the part of the hour inside the window. Consecutive
 * windows (no restatement) then give disjoint slices that add up, and a re-collected
 * window gives the same slices again. Such providers must not use a restatement window.
 *
 * @example
 * hourlySlices({ window, rate: '3.29', runningSince: new Date('2026-11-20T10:30:00Z') })
 * // → [{ periodStart: 10:00, usedMs: 1_800_000, quantity: '0.5', amount: '1.645', … }, …]
 */
export function hourlySlices(input: HourlyCostInput): HourSlice[] {
  const rateUnits = parseDecimal(input.rate);
  const known = input.runningSince !== null;
  const capUnits = known && input.monthlyCap ? parseDecimal(input.monthlyCap) : null;
  const windowEnd = input.window.end.getTime();
  const end = Math.min(windowEnd, input.runningUntil?.getTime() ?? Number.POSITIVE_INFINITY);
  const since = known
    ? (input.runningSince as Date).getTime()
    : Math.max(input.window.start.getTime(), windowEnd - (input.assumeAtMostMs ?? HOUR_MS));
  const first = floorTo(new Date(Math.max(input.window.start.getTime(), since)), HOUR_MS).getTime();
  const slices: HourSlice[] = [];
  for (let h = first; h < end; h += HOUR_MS) {
    const upStart = Math.max(h, since);
    const upEnd = Math.min(h + HOUR_MS, end);
    if (upEnd <= upStart) continue;
    const usedMs = upEnd - upStart;
    const list = perHour(rateUnits, usedMs);
    let amount = list;
    if (capUnits !== null) {
      const hour = new Date(h);
      const monthStart = Date.UTC(hour.getUTCFullYear(), hour.getUTCMonth(), 1);
      const before = perHour(rateUnits, upStart - Math.max(monthStart, since));
      const left = capUnits - before;
      if (left <= 0n) amount = 0n;
      else if (left < list) amount = left;
    }
    slices.push({
      periodStart: new Date(known ? h : upStart),
      periodEnd: new Date(known ? h + HOUR_MS : upEnd),
      usedMs,
      quantity: formatDecimal(divRound(BigInt(usedMs) * SCALE, HOUR)),
      amount: formatDecimal(amount),
      listAmount: formatDecimal(list),
    });
  }
  return slices;
}

/** The calendar month (UTC) containing `at`: FOCUS billing period. */
export function billingMonth(at: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  return { start, end: new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1)) };
}

import type { TimeWindow } from '../collector/types';
import { DAY_MS } from '../time';

/** Cost data is daily: every provider's figures are per UTC calendar day (or coarser). */
export function startOfUtcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

export function startOfUtcMonth(d: Date, offsetMonths = 0): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offsetMonths, 1));
}

/**
 * The whole UTC days a window touches: from the start of its first day to the end of the
 * day its end falls in (a window ending at 09:20 includes that day so far). Collectors ask
 * providers for exactly these days and declare them complete, so a re-collection replaces
 * every fact of those days.
 *
 * @example
 * utcDays({ start: new Date('2026-11-01T05:00Z'), end: new Date('2026-11-20T09:20Z') })
 * // { start: 2026-11-01T00:00Z, end: 2026-11-21T00:00Z }
 */
export function utcDays(window: TimeWindow): TimeWindow {
  const start = startOfUtcDay(window.start);
  const lastDay = startOfUtcDay(new Date(window.end.getTime() - 1));
  const end = new Date(Math.max(lastDay.getTime() + DAY_MS, start.getTime() + DAY_MS));
  return { start, end };
}

/** 'YYYY-MM-DD' of a UTC date. */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** A 'YYYY-MM-DD' (or 'YYYYMMDD') day as a UTC midnight Date, or undefined if it is not one. */
export function parseDay(text: string): Date | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCDate() === Number(m[3]) && d.getUTCMonth() === Number(m[2]) - 1 ? d : undefined;
}

/** The billing month a day belongs to (FOCUS BillingPeriodStart/End). */
export function billingMonth(day: Date): { start: Date; end: Date } {
  return { start: startOfUtcMonth(day), end: startOfUtcMonth(day, 1) };
}

/**
 * Where a cost collection must start re-reading: the start of the previous month until that
 * month is final (through day `finalDay` of the current month), then the start of the
 * current month. Clouds keep revising the open month and the days right after a month
 * closes; before `finalDay` the previous month may still change.
 *
 * @example
 * openMonthsStart(new Date('2026-12-03T10:00Z'), 5) // 2026-11-01 (November not final yet)
 * openMonthsStart(new Date('2026-12-06T10:00Z'), 5) // 2026-12-01
 */
export function openMonthsStart(now: Date, finalDay: number): Date {
  return now.getUTCDate() <= finalDay ? startOfUtcMonth(now, -1) : startOfUtcMonth(now);
}

/** Intersection of two windows, or undefined if they do not overlap. */
export function intersect(a: TimeWindow, b: TimeWindow): TimeWindow | undefined {
  const start = new Date(Math.max(a.start.getTime(), b.start.getTime()));
  const end = new Date(Math.min(a.end.getTime(), b.end.getTime()));
  return start < end ? { start, end } : undefined;
}

import { z } from 'zod';
import { ValidationError } from '../errors';
import { DAY_MS } from '../time';

/** Start-inclusive, end-exclusive, UTC. */
export interface Period {
  readonly start: Date;
  readonly end: Date;
}

/** Longest period a read may cover: a bit over a year, the retention the product plans for. */
export const MAX_PERIOD_DAYS = 400;

/**
 * The query parameters that choose a period, shared by the performance and resource read
 * APIs: `days` (the last N days), or `start` and optionally `end` (ISO 8601). `end` may
 * also close a `days` window (`days=7&end=2026-03-01`). Spread into a route's strict
 * query schema, then call {@link resolvePeriod}.
 */
export const PeriodQueryShape = {
  days: z.string().optional(),
  start: z.string().optional(),
  end: z.string().optional(),
};

// A calendar date, or a date-time with an explicit zone: `Date` alone would read
// "2026-03-01T10:00" as local time and "7" as a year.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

function parseTime(name: string, value: string): Date {
  const text = value.trim();
  const d = ISO_TIME.test(text)
    ? new Date(text.length === 10 ? `${text}T00:00:00Z` : text.replace(' ', 'T'))
    : null;
  if (!d || Number.isNaN(d.getTime())) {
    throw new ValidationError(
      `query parameter ${name}: must be an ISO 8601 date (2026-03-01) or date-time with zone (2026-03-01T10:00:00Z), got "${value}"`,
    );
  }
  return d;
}

function parseDays(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_PERIOD_DAYS) {
    throw new ValidationError(
      `query parameter days: must be a whole number from 1 to ${MAX_PERIOD_DAYS}, got "${value}"`,
    );
  }
  return n;
}

/**
 * Turns `days` / `start` / `end` into a period; every failure is a 400 naming the
 * parameter. Without any of them the period is the last `defaultDays` days up to `now`.
 *
 * @example
 * resolvePeriod({ days: '7' }, { defaultDays: 1, now: new Date() }) // the last 7 days
 */
export function resolvePeriod(
  q: { days?: string | undefined; start?: string | undefined; end?: string | undefined },
  opts: { defaultDays: number; now?: Date },
): Period {
  if (q.days !== undefined && q.start !== undefined) {
    throw new ValidationError(
      'query parameter days: give either days or start (with an optional end), not both',
    );
  }
  const end = q.end !== undefined ? parseTime('end', q.end) : (opts.now ?? new Date());
  let start: Date;
  if (q.start !== undefined) {
    start = parseTime('start', q.start);
    if (start.getTime() >= end.getTime()) {
      throw new ValidationError(`query parameter start: must be before end (${end.toISOString()})`);
    }
  } else {
    const days = q.days !== undefined ? parseDays(q.days) : opts.defaultDays;
    start = new Date(end.getTime() - days * DAY_MS);
  }
  if (end.getTime() - start.getTime() > MAX_PERIOD_DAYS * DAY_MS) {
    throw new ValidationError(`query parameter start: the period may cover at most ${MAX_PERIOD_DAYS} days`);
  }
  return { start, end };
}

// ---------------------------------------------------------------------------------------
// Other query and path parameters shared by the performance and resource read APIs.

/** True when `v` holds a C0 control character or DEL (no legitimate id or filter has one). */
const hasControlChars = (v: string) => {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
};

/**
 * A resource id: any text a provider uses (ARNs, Azure ids with slashes — send those
 * percent-encoded twice in a path, as API Gateway decodes once for routing and once
 * for the parameter), bounded and free of control characters.
 */
export const ResourceIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters')
  .refine((v) => !hasControlChars(v), 'must not contain control characters');

/** A free-text filter value such as a resource type, region or status. */
export const textFilter = (max = 128) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !hasControlChars(v), 'must not contain control characters')
    .optional();

export const METRIC_NAME = /^[a-z0-9_.]{1,64}$/;
export const MAX_METRICS_PER_QUERY = 50;

/** `metric=a,b` (or repeated `metric`, which API Gateway joins with commas): metric names. */
export const metricListParam = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return undefined;
    const names = [...new Set(v.split(',').map((s) => s.trim()))];
    const bad = names.find((n) => !METRIC_NAME.test(n));
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `"${bad}" is not a metric name (^[a-z0-9_.]{1,64}$)` });
      return z.NEVER;
    }
    if (names.length > MAX_METRICS_PER_QUERY) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_METRICS_PER_QUERY} metrics per request` });
      return z.NEVER;
    }
    return names;
  });

/** A comma-separated list of values from `allowed`. */
export const enumListParam = <T extends string>(allowed: readonly T[]) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const items = [...new Set(v.split(',').map((s) => s.trim()))];
      const bad = items.find((i) => !(allowed as readonly string[]).includes(i));
      if (bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `"${bad}" is not one of ${allowed.join(', ')}` });
        return z.NEVER;
      }
      return items as T[];
    });

/** A bounded whole number from the query string, with a default. */
export const intParam = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

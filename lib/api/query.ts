import { z } from 'zod';
import { ValidationError } from '../errors';
import { DAY_MS } from '../time';

/**
 * The one query vocabulary of every read that covers time (issue #11):
 *
 * - `days=N` (the last N whole days) **or** `start` (+ optional `end`); `end` alone closes
 *   a `days` (or default) window. The period is `[start, end)` in UTC.
 * - Times are ISO 8601 dates (`2026-03-01`, midnight UTC) or date-times with a zone
 *   (`2026-03-01T10:00:00Z`, `…+02:00`, fractions of a second allowed).
 * - One maximum span, {@link MAX_PERIOD_DAYS}, for every agent; one default per agent
 *   ({@link PERIOD_DEFAULTS}).
 * - Bucketed reads take `granularity` (hour|day|week|month, what applies to the data);
 *   the older names `group_by` (costs) and `step` (performance) are aliases. Weeks start
 *   on Monday (ClickHouse `toMonday`).
 * - Every failure is a 400 `{"error":{"code":"bad_request","message":"query parameter <name>: …"}}`.
 * - Every response of such a read echoes `period: {start, end}` ({@link periodView}).
 */

/** Longest period any read may cover: two years of daily facts. */
export const MAX_PERIOD_DAYS = 731;

/** How an agent fills in what a request leaves out. */
export interface PeriodDefaults {
  /** The period's length when neither `days` nor `start` is given. */
  readonly defaultDays: number;
  /**
   * Where an open period ends: `now`, or `day` = the end of today UTC (midnight
   * tomorrow), for data kept per day such as cost, whose `days` are whole UTC days.
   */
  readonly anchor: 'now' | 'day';
}

/** The documented default of each agent (README "API conventions"). */
export const PERIOD_DEFAULTS = {
  costs: { defaultDays: 30, anchor: 'day' },
  performance: { defaultDays: 7, anchor: 'now' },
  resources: { defaultDays: 7, anchor: 'now' },
  applications: { defaultDays: 7, anchor: 'now' },
} as const satisfies Record<string, PeriodDefaults>;

/** Start-inclusive, end-exclusive, UTC. */
export interface Period {
  readonly start: Date;
  readonly end: Date;
}

/** Outside this range a time is certainly a typo (and outside what DateTime stores). */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const TIME_HINT = 'an ISO 8601 date (2026-03-01) or date-time with a zone (2026-03-01T10:00:00Z)';

/** `start` / `end`: a date (midnight UTC) or a date-time with a zone, as a Date. */
export const timeParam = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    const m = DATE_ONLY.exec(v) ?? DATE_TIME.exec(v);
    const ms = m ? Date.parse(m[0].length === 10 ? `${v}T00:00:00Z` : v) : Number.NaN;
    const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
    const calendar = new Date(Date.UTC(y, mo - 1, d));
    const realDate = calendar.getUTCMonth() === mo - 1 && calendar.getUTCDate() === d;
    if (!m || Number.isNaN(ms) || !realDate) {
      ctx.addIssue({ code: 'custom', message: `must be ${TIME_HINT}, got "${v.slice(0, 40)}"` });
      return z.NEVER;
    }
    if (ms < EARLIEST || ms > LATEST) {
      ctx.addIssue({ code: 'custom', message: 'must be between 2000-01-01 and 2100-01-01' });
      return z.NEVER;
    }
    return new Date(ms);
  })
  .meta({ description: `Period bound, ${TIME_HINT}; [start, end) in UTC.`, example: '2026-03-01' });

/** `days`: a whole number of days, 1 to {@link MAX_PERIOD_DAYS}. */
export const daysParam = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < 1 || n > MAX_PERIOD_DAYS) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${MAX_PERIOD_DAYS}` });
      return z.NEVER;
    }
    return n;
  })
  .meta({
    description: `The last N days (1-${MAX_PERIOD_DAYS}); not together with start.`,
    example: '7',
  });

/** Spread into a route's strict query schema; then {@link resolvePeriod}. */
export const PeriodShape = { days: daysParam, start: timeParam, end: timeParam };

export interface PeriodInput {
  days?: number | undefined;
  start?: Date | undefined;
  end?: Date | undefined;
}

const bad = (param: string, message: string) => new ValidationError(`query parameter ${param}: ${message}`);

/**
 * Turns parsed `days` / `start` / `end` into the period, with the agent's defaults; a
 * wrong combination is a 400 naming the parameter to change.
 *
 * @example
 * resolvePeriod({ days: 7 }, PERIOD_DEFAULTS.performance) // the last 7 × 24 h up to now
 */
export function resolvePeriod(q: PeriodInput, defaults: PeriodDefaults, now: Date = new Date()): Period {
  if (q.days !== undefined && q.start !== undefined) {
    throw bad('days', 'give either days or start (with an optional end), not both');
  }
  const open =
    defaults.anchor === 'day'
      ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)
      : now.getTime();
  const end = q.end?.getTime() ?? open;
  const start = q.start?.getTime() ?? end - (q.days ?? defaults.defaultDays) * DAY_MS;
  if (start >= end) throw bad('end', `must be after start (${new Date(start).toISOString()})`);
  if (end - start > MAX_PERIOD_DAYS * DAY_MS) {
    throw bad('start', `the period may cover at most ${MAX_PERIOD_DAYS} days`);
  }
  return { start: new Date(start), end: new Date(end) };
}

/** The `period` every time-taking response carries. */
export const periodView = (p: Period) => ({ start: p.start.toISOString(), end: p.end.toISOString() });

/** The documented shape of {@link periodView}. */
export const PeriodViewSchema = z
  .object({
    start: z.iso.datetime().meta({ description: 'Inclusive, UTC.' }),
    end: z.iso.datetime().meta({ description: 'Exclusive, UTC.' }),
  })
  .meta({ id: 'Period', description: 'The period read, [start, end) in UTC.' });

/**
 * `granularity` and its older alias names for a bucketed read. Spread the shape into the
 * query schema, then {@link resolveGranularity}.
 *
 * @example
 * const G = granularity(['day', 'week', 'month'], 'day', ['group_by']);
 * z.strictObject({ ...PeriodShape, ...G.shape }); G.resolve(q) // 'day' | 'week' | 'month'
 */
export function granularity<const T extends string>(
  allowed: readonly [T, ...T[]],
  fallback: T,
  aliases: readonly string[] = [],
) {
  const value = z.enum(allowed).optional();
  const shape: Record<string, typeof value> = {
    granularity: value.meta({
      description: `Bucket size (default ${fallback}); weeks start on Monday.`,
      example: fallback,
    }),
  };
  for (const a of aliases) {
    shape[a] = value.meta({ description: `Older name of granularity.`, deprecated: true });
  }
  return {
    shape,
    allowed,
    /** The chosen bucket: `granularity`, else an alias, else the default; two different names is a 400. */
    resolve(query: object, dynamicFallback?: T): T {
      const q = query as Record<string, unknown>;
      const given = ['granularity', ...aliases].filter((k) => q[k] !== undefined);
      const values = new Set(given.map((k) => q[k] as T));
      if (values.size > 1) {
        throw bad(given[1] as string, `is another name of granularity; give one of ${given.join(', ')}`);
      }
      return (given.length ? (q[given[0] as string] as T) : undefined) ?? dynamicFallback ?? fallback;
    },
  };
}

/** True when `v` holds a C0 control character or DEL (no legitimate id or filter has one). */
const hasControlChars = (v: string) => {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
};

/** An exact-match filter value (`resource`, `service`, `region`, `application`, `model`…). */
export const filterParam = (max = 256) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !hasControlChars(v), 'must not contain control characters')
    .optional();

/** A bounded whole number from the query string: `fallback` when absent, else `min`..`max`. */
export const wholeNumberParam = (fallback: number, min: number, max: number) =>
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

/** `limit` as a query string value: a whole number from `min` to `max`, `fallback` when absent. */
export const limitParam = (fallback: number, max: number, min = 1) =>
  wholeNumberParam(fallback, min, max).meta({
    description: `At most this many items (${min}-${max}, default ${fallback}).`,
  });

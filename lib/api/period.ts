import { z } from 'zod';
import { DAY_MS } from '../time';

/**
 * The read APIs' period rules (`days` | `start`/`end`, `[start, end)`, UTC), shared by the
 * cost reads and every trigger's optional collection window. (lib/api/query.ts of issue
 * #11 unifies this vocabulary; this module is what it replaces.)
 */

/** `days` bound, and the longest `start`/`end` span: two years of daily facts. */
export const MAX_PERIOD_DAYS = 731;
/** The period when a request names none: the last 30 UTC days, today included. */
export const DEFAULT_PERIOD_DAYS = 30;
/** Times outside this range are certainly typos (and outside what DateTime stores). */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 date (midnight UTC) or date-time with a zone, to whole seconds. */
export const timeParam = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    const m = DATE_ONLY.exec(v) ?? DATE_TIME.exec(v);
    const ms = m ? (DATE_ONLY.test(v) ? Date.parse(`${v}T00:00:00Z`) : Date.parse(v)) : Number.NaN;
    const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
    const calendar = new Date(Date.UTC(y, mo - 1, d));
    const realDate = calendar.getUTCMonth() === mo - 1 && calendar.getUTCDate() === d;
    if (!m || Number.isNaN(ms) || !realDate) {
      ctx.addIssue({
        code: 'custom',
        message: `must be an ISO 8601 date (2026-01-31) or date-time with a zone (2026-01-31T12:00:00Z), got "${v.slice(0, 40)}"`,
      });
      return z.NEVER;
    }
    if (ms < EARLIEST || ms > LATEST) {
      ctx.addIssue({ code: 'custom', message: 'must be between 2000-01-01 and 2100-01-01' });
      return z.NEVER;
    }
    return new Date(ms);
  });

/** The period's cross-field rules; the issue names the parameter to fix. */
export function periodIssue(q: {
  days?: number | undefined;
  start?: Date | undefined;
  end?: Date | undefined;
}): { path: string; message: string } | null {
  if (q.days !== undefined && (q.start || q.end))
    return { path: 'days', message: 'use either days or start/end, not both' };
  if (q.start && !q.end)
    return { path: 'end', message: 'is required with start (the period is [start, end))' };
  if (q.end && !q.start)
    return { path: 'start', message: 'is required with end (the period is [start, end))' };
  if (q.start && q.end) {
    if (q.end <= q.start) return { path: 'end', message: 'must be after start' };
    if (q.end.getTime() - q.start.getTime() > MAX_PERIOD_DAYS * DAY_MS) {
      return { path: 'end', message: `must be at most ${MAX_PERIOD_DAYS} days after start` };
    }
  }
  return null;
}

/**
 * A trigger's optional collection window (`start`/`end`, both or neither), checked by the
 * same rules as a read's period, and not reaching into the future (a watermark must never
 * pass the present).
 */
export const TriggerWindowShape = { start: timeParam, end: timeParam };

export function checkTriggerWindow(
  q: { start?: Date | undefined; end?: Date | undefined },
  ctx: z.RefinementCtx,
  now: Date = new Date(),
): void {
  const issue =
    periodIssue(q) ??
    (q.end && q.end.getTime() > now.getTime() + 60_000
      ? { path: 'end', message: 'must not be in the future' }
      : null);
  if (issue) ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
}

/** The validated window of a trigger body, as the job carries it (ISO). */
export function triggerWindowOf(q: {
  start?: Date | undefined;
  end?: Date | undefined;
}): { start: string; end: string } | undefined {
  return q.start && q.end ? { start: q.start.toISOString(), end: q.end.toISOString() } : undefined;
}

import { z } from 'zod';
import { ValidationError } from '../errors';
import { ApplicationNameSchema } from './names';

const DAY_MS = 86_400_000;
/** Longest window one read may cover. */
export const MAX_RANGE_DAYS = 92;
export const DEFAULT_RANGE_DAYS = 7;

const isoTime = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 time such as 2026-11-20T00:00:00Z')
  .transform((v) => new Date(v));

/** The query string every application read takes. */
export const ReadQuerySchema = z.strictObject({
  start: isoTime.optional(),
  end: isoTime.optional(),
  application: ApplicationNameSchema.optional(),
  model: z.string().min(1).max(256).optional(),
  granularity: z.enum(['hour', 'day']).optional(),
  limit: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return 50;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 500) {
        ctx.addIssue({ code: 'custom', message: 'must be a whole number from 1 to 500' });
        return z.NEVER;
      }
      return n;
    }),
});
export type ReadQuery = z.output<typeof ReadQuerySchema>;

export interface ReadWindow {
  start: Date;
  end: Date;
  granularity: 'hour' | 'day';
}

/**
 * `[start, end)`, defaulting to the last 7 days; at most 92 days; granularity defaults to
 * hours for windows up to two days and days beyond.
 */
export function resolveWindow(q: Pick<ReadQuery, 'start' | 'end' | 'granularity'>, now: Date): ReadWindow {
  const end = q.end ?? now;
  const start = q.start ?? new Date(end.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
  if (start >= end) throw new ValidationError('query parameter start: must be before end');
  if (end.getTime() - start.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw new ValidationError(`query parameter start: the window may cover at most ${MAX_RANGE_DAYS} days`);
  }
  const granularity = q.granularity ?? (end.getTime() - start.getTime() <= 2 * DAY_MS ? 'hour' : 'day');
  return { start, end, granularity };
}

import { z } from 'zod';
import {
  filterParam,
  granularity,
  limitParam,
  PERIOD_DEFAULTS,
  PeriodShape,
  resolvePeriod,
} from '../api/query';
import { DAY_MS } from '../time';
import { ApplicationNameSchema } from './names';

/**
 * `granularity=hour|day` of the quality series. Without it: hours for periods up to two
 * days, days beyond.
 */
export const APPLICATION_GRANULARITY = granularity(['hour', 'day'], 'day');

/** The query string every application read takes: the period of lib/api/query.ts and the filters. */
export const ReadQuerySchema = z.strictObject({
  ...PeriodShape,
  application: ApplicationNameSchema.optional(),
  model: filterParam(),
  ...APPLICATION_GRANULARITY.shape,
  limit: limitParam(50, 500),
});
export type ReadQuery = z.output<typeof ReadQuerySchema>;

export interface ReadWindow {
  start: Date;
  end: Date;
  granularity: 'hour' | 'day';
}

/** The period (default the last 7 days up to now) and the series' granularity. */
export function resolveWindow(q: ReadQuery, now: Date): ReadWindow {
  const { start, end } = resolvePeriod(q, PERIOD_DEFAULTS.applications, now);
  const short = end.getTime() - start.getTime() <= 2 * DAY_MS;
  return { start, end, granularity: APPLICATION_GRANULARITY.resolve(q, short ? 'hour' : 'day') };
}

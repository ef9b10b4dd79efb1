import { z } from 'zod';
import { wholeNumberParam } from '../api/query';

/** The period type of every read lives with the one query vocabulary (lib/api/query.ts). */
export type { Period } from '../api/query';

// ---------------------------------------------------------------------------------------
// Query and path parameters shared by the performance and resource read APIs (the period
// and granularity are lib/api/query.ts).

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

/** A bounded whole number from the query string, with a default (the shared vocabulary's). */
export const intParam = wholeNumberParam;

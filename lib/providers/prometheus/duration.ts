import { z } from 'zod';

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * A duration as Prometheus writes them ("30s", "1m", "500ms", "1h") or a number of
 * seconds; out: milliseconds. One format for every duration in settings and catalog.
 */
export const durationMs = (opts: { min: number; max: number }) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    let ms: number;
    if (typeof v === 'number') {
      ms = v * 1000;
    } else {
      const m = DURATION_RE.exec(v.trim());
      if (!m) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a duration such as "30s", "1m" or "500ms", got "${v}"`,
        });
        return z.NEVER;
      }
      ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    }
    if (!Number.isFinite(ms) || ms < opts.min || ms > opts.max) {
      ctx.addIssue({
        code: 'custom',
        message: `must be between ${formatDuration(opts.min)} and ${formatDuration(opts.max)}, got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return Math.round(ms);
  });

/** Milliseconds as a Prometheus duration ("60s", "1500ms"). */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms >= 3_600_000) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

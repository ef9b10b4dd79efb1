const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO date (midnight UTC) or date-time with a zone; undefined otherwise. */
export function parseWhen(text: string): Date | undefined {
  const v = text.trim();
  if (!DATE_ONLY.test(v) && !DATE_TIME.test(v)) return undefined;
  const d = new Date(DATE_ONLY.test(v) ? `${v}T00:00:00Z` : v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** `--since`: an ISO time, or a span back from `now` (`90m`, `6h`, `7d`). */
export function parseSince(text: string, now: Date): Date | undefined {
  const m = /^(\d+)([mhd])$/.exec(text.trim());
  if (!m) return parseWhen(text);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  return new Date(now.getTime() - Number(m[1]) * unit);
}

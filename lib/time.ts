/** Time helpers. ClickHouse columns are UTC; we exchange times as 'YYYY-MM-DD hh:mm:ss.mmm'. */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A Date, ISO string or epoch-ms number as ClickHouse DateTime64(3) text, in UTC. */
export function toClickHouseTime(value: Date | string | number): string {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a valid time: ${String(value)}`);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** ClickHouse DateTime/DateTime64 text (UTC, no zone) to a Date. */
export function fromClickHouseTime(value: string): Date {
  return new Date(`${value.replace(' ', 'T')}${/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? '' : 'Z'}`);
}

/** ClickHouse time text to ISO 8601 (for API responses). */
export function clickHouseTimeToIso(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  return fromClickHouseTime(value).toISOString();
}

export function floorTo(date: Date, stepMs: number): Date {
  return new Date(Math.floor(date.getTime() / stepMs) * stepMs);
}

/** A strictly increasing version number for ReplacingMergeTree rows written by this process. */
let lastVersion = 0;
export function nextVersion(now: number = Date.now()): number {
  const candidate = now * 1000;
  lastVersion = candidate > lastVersion ? candidate : lastVersion + 1;
  return lastVersion;
}

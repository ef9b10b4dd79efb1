import { describe, expect, it } from 'vitest';
import { computeWindow } from '../../../lib/collector/run';
import { openMonthsStart, parseDay, utcDays } from '../../../lib/costs/periods';

const d = (s: string) => new Date(s);
const DAY = 86_400_000;

describe('lib/costs/periods', () => {
  it('turns a window into the whole UTC days it touches', () => {
    expect(utcDays({ start: d('2026-11-01T05:00:00Z'), end: d('2026-11-20T09:20:00Z') })).toEqual({
      start: d('2026-11-01T00:00:00Z'),
      end: d('2026-11-21T00:00:00Z'),
    });
    expect(utcDays({ start: d('2026-11-01T00:00:00Z'), end: d('2026-11-03T00:00:00Z') })).toEqual({
      start: d('2026-11-01T00:00:00Z'),
      end: d('2026-11-03T00:00:00Z'),
    });
    expect(utcDays({ start: d('2026-11-03T00:00:00Z'), end: d('2026-11-03T00:00:00Z') }).end).toEqual(
      d('2026-11-04T00:00:00Z'),
    );
  });

  it.each([
    ['2026-12-01T00:20:00Z', 5, '2026-11-01T00:00:00Z'],
    ['2026-12-05T23:59:00Z', 5, '2026-11-01T00:00:00Z'],
    ['2026-12-06T00:00:00Z', 5, '2026-12-01T00:00:00Z'],
    ['2026-01-02T00:00:00Z', 3, '2025-12-01T00:00:00Z'],
    ['2026-11-30T12:00:00Z', 31, '2026-10-01T00:00:00Z'],
  ])('at %s with final day %i re-reads from %s', (now, finalDay, expected) => {
    expect(openMonthsStart(d(now), finalDay)).toEqual(d(expected));
  });

  it('parses yyyy-mm-dd and yyyymmdd days and refuses impossible ones', () => {
    expect(parseDay('2026-11-22')).toEqual(d('2026-11-22T00:00:00Z'));
    expect(parseDay('20261122')).toEqual(d('2026-11-22T00:00:00Z'));
    expect(parseDay('2026-02-30')).toBeUndefined();
    expect(parseDay('22/11/2026')).toBeUndefined();
  });
});

describe('computeWindow with a restatement horizon', () => {
  const now = d('2026-11-12T09:20:00Z');

  it('re-reads from the horizon even when the watermark is recent and the backfill limit is short', () => {
    const w = computeWindow({
      now,
      watermark: d('2026-11-12T01:20:00Z'),
      restateFrom: d('2026-11-01T00:00:00Z'),
      maxBackfillMs: 7 * DAY,
    });
    expect(w).toEqual({ start: d('2026-11-01T00:00:00Z'), end: now });
  });

  it('backfills a gap older than the horizon only as far as the backfill limit', () => {
    const w = computeWindow({
      now,
      watermark: d('2026-08-01T00:00:00Z'),
      restateFrom: d('2026-11-01T00:00:00Z'),
      maxBackfillMs: 70 * DAY,
    });
    expect(w.start).toEqual(new Date(now.getTime() - 70 * DAY));
  });

  it('keeps the older restatementMs behaviour (bounded by the backfill limit)', () => {
    const w = computeWindow({ now, watermark: now, restatementMs: 30 * DAY, maxBackfillMs: 7 * DAY });
    expect(w.start).toEqual(new Date(now.getTime() - 7 * DAY));
  });
});

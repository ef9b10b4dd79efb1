import { describe, expect, it } from 'vitest';
import { decimal, time } from '../../lib/schemas/rows';

describe('time', () => {
  it.each([
    ['2026-11-23 10:00:00.123', '2026-11-23 10:00:00.123'],
    ['2026-11-23 10:00:00', '2026-11-23 10:00:00'],
    ['2026-11-23T10:00:00Z', '2026-11-23 10:00:00.000'],
    ['2026-11-23T12:00:00+02:00', '2026-11-23 10:00:00.000'],
    [Date.UTC(2026, 10, 23, 10), '2026-11-23 10:00:00.000'],
    [new Date(Date.UTC(2026, 10, 23, 10)), '2026-11-23 10:00:00.000'],
  ])('accepts %j as %s', (input, expected) => {
    expect(time.parse(input)).toBe(expected);
  });

  it.each(['2026-02-30 00:00:00', '2026-11-23 24:00:00', 'yesterday', '', null, {}])(
    'rejects %j',
    (input) => {
      expect(time.safeParse(input).success).toBe(false);
    },
  );
});

describe('decimal', () => {
  it.each([
    ['12.34', '12.34'],
    [' 0.1 ', '0.1'],
    [0.1, '0.1'],
    [1e-7, '0.0000001'],
    [-3, '-3'],
  ])('keeps %j exact as %s', (input, expected) => {
    expect(decimal.parse(input)).toBe(expected);
  });

  it.each(['1e3', '12,34', 'NaN', Number.NaN, Number.POSITIVE_INFINITY, '0.12345678901', undefined])(
    'rejects %j',
    (input) => {
      expect(decimal.safeParse(input).success).toBe(false);
    },
  );
});

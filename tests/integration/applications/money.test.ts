import { describe, expect, it } from 'vitest';
import { formatDecimal, mulDiv, parseDecimal } from '../../../lib/applications/money';

describe('exact money arithmetic for cost per 1,000 requests', () => {
  it.each([
    ['12.75', 127_500_000_000n],
    ['-0.0000000001', -1n],
    ['3', 30_000_000_000n],
    ['0.1234567891', 1_234_567_891n],
  ])('parses %s at 10 fraction digits', (text, scaled) => {
    expect(parseDecimal(text)).toBe(scaled);
  });

  it('refuses text that is not a plain decimal, or finer than the columns', () => {
    expect(() => parseDecimal('1e3')).toThrow('not a decimal: 1e3');
    expect(() => parseDecimal('0.00000000001')).toThrow('more than 10 fraction digits: 0.00000000001');
  });

  it.each([
    // value x num / den, then formatted to `digits`
    ['12.75', 800n, 1400n, 10, '7.2857142857'],
    ['12.75', 600n, 1400n, 10, '5.4642857143'],
    ['12.75', 600_000n, 1400n, 6, '5464.285714'],
    ['1', 1n, 3n, 6, '0.333333'],
    ['2', 1n, 3n, 6, '0.666667'],
    ['-2', 1n, 3n, 6, '-0.666667'],
    ['0.000001', 1n, 2n, 6, '0.000001'],
    ['-0.000001', 1n, 2n, 6, '-0.000001'],
    ['10', 1n, 4n, 10, '2.5'],
    ['0', 5n, 7n, 6, '0'],
  ])('%s x %d / %d to %d digits is %s (half away from zero)', (value, num, den, digits, expected) => {
    expect(formatDecimal(mulDiv(parseDecimal(value), num, den), digits)).toBe(expected);
  });
});

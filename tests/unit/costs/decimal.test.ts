import { describe, expect, it } from 'vitest';
import {
  addDecimals,
  multiplyDecimals,
  normalizeDecimal,
  subtractDecimal,
  toScaled,
} from '../../../lib/costs/decimal';

describe('lib/costs/decimal', () => {
  it.each([
    ['12.34', '12.34'],
    ['0012.3400', '12.34'],
    ['-0.50', '-0.5'],
    ['1.234E-7', '0.0000001234'],
    ['-1.2e-8', '-0.000000012'],
    ['4.2E+3', '4200'],
    ['.5', '0.5'],
    ['7.', '7'],
    ['-0', '0'],
    ['0.12345678905', '0.1234567891'],
    ['0.12345678904', '0.123456789'],
    ['-0.12345678905', '-0.1234567891'],
    ['12.3456789012345678901', '12.3456789012'],
    ['123456789012345678.0123456789', '123456789012345678.0123456789'],
  ])('normalises %s to %s (10 fraction digits, half away from zero)', (input, expected) => {
    expect(normalizeDecimal(input)).toBe(expected);
  });

  it.each(['', '-', '12,34', 'abc', '1.2.3', 'NaN', 'Infinity', '1e', '0x10'])('rejects %j', (input) => {
    expect(() => toScaled(input)).toThrow(`not a decimal number: ${JSON.stringify(input)}`);
  });

  it('adds, subtracts and multiplies without floating point error', () => {
    expect(addDecimals('0.1', '0.2')).toBe('0.3');
    expect(addDecimals(...Array.from({ length: 1000 }, () => '0.01'))).toBe('10');
    expect(subtractDecimal('418.4449989688', '334.7559991750')).toBe('83.6889997938');
    expect(multiplyDecimals('23.456', '0.026')).toBe('0.609856');
    expect(multiplyDecimals('0.00000000005', '1')).toBe('0.0000000001');
    expect(multiplyDecimals('-3', '0.3333333333')).toBe('-0.9999999999');
  });
});

/**
 * Exact decimal arithmetic for money, on BigInt scaled by 10^10 (the costs table's
 * Decimal(38, 10)). Providers send amounts as text ("12.34", "1.2E-7") or as JSON numbers
 * kept as text by the lossless parser; nothing here goes through a float.
 */

export const SCALE = 10;
const FACTOR = 10n ** BigInt(SCALE);
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/;

/** The text is not a decimal number. */
export class DecimalFormatError extends Error {
  constructor(value: unknown) {
    super(`not a decimal number: ${JSON.stringify(value)}`);
    this.name = 'DecimalFormatError';
  }
}

/**
 * Parses decimal text (optionally with an exponent) to an integer count of 10^-10 units.
 * Digits beyond the 10th decimal are rounded half away from zero, as ClickHouse would
 * when it casts to Decimal(38, 10).
 *
 * @example
 * toScaled('12.34') // 123400000000n
 */
export function toScaled(value: string): bigint {
  const m = DECIMAL.exec(value.trim());
  if (!m || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) throw new DecimalFormatError(value);
  const sign = m[1] === '-' ? -1n : 1n;
  let digits = `${m[2] ?? ''}${m[3] ?? ''}`.replace(/^0+(?=\d)/, '');
  // Position of the decimal point counted from the right end of `digits`.
  let fraction = (m[3] ?? '').length - Number(m[4] ?? '0');
  if (fraction < 0) {
    digits += '0'.repeat(-fraction);
    fraction = 0;
  }
  let magnitude = BigInt(digits === '' ? '0' : digits);
  if (fraction <= SCALE) {
    magnitude *= 10n ** BigInt(SCALE - fraction);
  } else {
    const divisor = 10n ** BigInt(fraction - SCALE);
    const rest = magnitude % divisor;
    magnitude /= divisor;
    if (rest * 2n >= divisor) magnitude += 1n;
  }
  return sign * magnitude;
}

/** Scaled integer back to plain decimal text, without trailing zeros ("12.34", "0", "-0.5"). */
export function fromScaled(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const int = abs / FACTOR;
  const frac = (abs % FACTOR).toString().padStart(SCALE, '0').replace(/0+$/, '');
  const text = frac ? `${int}.${frac}` : `${int}`;
  return negative && abs !== 0n ? `-${text}` : text;
}

/** Normalises decimal text to at most 10 fraction digits. Throws DecimalFormatError. */
export function normalizeDecimal(value: string): string {
  return fromScaled(toScaled(value));
}

/** Exact sum of decimal texts. */
export function addDecimals(...values: string[]): string {
  return fromScaled(values.reduce((acc, v) => acc + toScaled(v), 0n));
}

/** Exact a − b. */
export function subtractDecimal(a: string, b: string): string {
  return fromScaled(toScaled(a) - toScaled(b));
}

export function isZeroDecimal(value: string): boolean {
  return toScaled(value) === 0n;
}

/** Exact a × b, rounded half away from zero to 10 fraction digits. */
export function multiplyDecimals(a: string, b: string): string {
  const product = toScaled(a) * toScaled(b);
  const negative = product < 0n;
  const abs = negative ? -product : product;
  let q = abs / FACTOR;
  if ((abs % FACTOR) * 2n >= FACTOR) q += 1n;
  return fromScaled(negative ? -q : q);
}

/**
 * Exact decimal arithmetic for money on BigInt, so that a cost per 1,000 requests is
 * never float arithmetic: values are integers scaled by 10^10 (the scale of the cost
 * columns, Decimal(38, 10)).
 */
export const SCALE_DIGITS = 10;
const SCALE = 10n ** BigInt(SCALE_DIGITS);

/** "12.345" → 123450000000n (at 10^10). Throws on anything but plain decimal text. */
export function parseDecimal(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new RangeError(`not a decimal: ${text}`);
  const frac = (m[3] ?? '').padEnd(SCALE_DIGITS, '0');
  if (frac.length > SCALE_DIGITS) throw new RangeError(`more than ${SCALE_DIGITS} fraction digits: ${text}`);
  const v = BigInt(m[2] as string) * SCALE + BigInt(frac);
  return m[1] ? -v : v;
}

/** A scaled value as decimal text with at most `digits` fraction digits (rounded half away from zero), trailing zeros trimmed. */
export function formatDecimal(value: bigint, digits: number = SCALE_DIGITS): string {
  const drop = 10n ** BigInt(SCALE_DIGITS - digits);
  const rounded = divRound(value, drop);
  const neg = rounded < 0n;
  const abs = neg ? -rounded : rounded;
  const unit = 10n ** BigInt(digits);
  const whole = abs / unit;
  const frac = (abs % unit).toString().padStart(digits, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

/** value x num / den, rounded half away from zero (den > 0). */
export function mulDiv(value: bigint, num: bigint, den: bigint): bigint {
  if (den <= 0n) throw new RangeError('denominator must be positive');
  return divRound(value * num, den);
}

function divRound(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice >= d) return n < 0n ? q - 1n : q + 1n;
  return q;
}

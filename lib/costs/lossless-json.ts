/**
 * JSON.parse that keeps numbers as their source text. Azure's Cost Management rows and
 * Vultr's billing amounts are JSON numbers; `JSON.parse` would turn "0.1234567890123456789"
 * into the nearest double. Node 22 can read a number's source in a reviver, Node 20 (the
 * development runtime here) cannot; the `lossless-json` package parses on both and keeps
 * every number as a `LosslessNumber` holding its wire text. This module only names the
 * package's types the way the providers use them and turns its SyntaxError into ours.
 */
import { isLosslessNumber, LosslessNumber, parse } from 'lossless-json';

/** A JSON number as it appeared on the wire (`.value` is its text). */
export { LosslessNumber as JsonNumber };

export type LosslessValue =
  | null
  | boolean
  | string
  | LosslessNumber
  | LosslessValue[]
  | { [key: string]: LosslessValue };

/** The text is not valid JSON (the message carries the package's position). */
export class JsonSyntaxError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JsonSyntaxError';
  }
}

/**
 * @example
 * const v = parseJsonLossless('{"rows":[[12.3456789012345678,20261122]]}');
 * // v.rows[0][0] instanceof JsonNumber, .value === '12.3456789012345678'
 */
export function parseJsonLossless(text: string): LosslessValue {
  try {
    return parse(text) as LosslessValue;
  } catch (err) {
    if (err instanceof SyntaxError) throw new JsonSyntaxError(err.message, { cause: err });
    throw err;
  }
}

/** Decimal text of a JSON number, or of a string that holds one; undefined otherwise. */
export function numberText(v: LosslessValue | undefined): string | undefined {
  if (isLosslessNumber(v)) return (v as LosslessNumber).value;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v.trim())) return v.trim();
  return undefined;
}

export function isObject(v: LosslessValue | undefined): v is { [key: string]: LosslessValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isLosslessNumber(v);
}

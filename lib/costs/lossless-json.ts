/**
 * JSON.parse that keeps numbers as their source text. Azure's Cost Management rows and
 * Vultr's billing amounts are JSON numbers; `JSON.parse` would turn "0.1234567890123456789"
 * into the nearest double. Node 22 can read a number's source in a reviver, Node 20 (the
 * development runtime here) cannot, so this small parser does it on both.
 */

/** A JSON number as it appeared on the wire. */
export class JsonNumber {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  toJSON(): number {
    return Number(this.text);
  }
}

export type LosslessValue =
  | null
  | boolean
  | string
  | JsonNumber
  | LosslessValue[]
  | { [key: string]: LosslessValue };

/** The text is not valid JSON; `position` is the offending character index. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * @example
 * const v = parseJsonLossless('{"rows":[[12.3456789012345678,20261122]]}');
 * // v.rows[0][0] instanceof JsonNumber, .text === '12.3456789012345678'
 */
export function parseJsonLossless(text: string): LosslessValue {
  let i = 0;
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, i);
  };
  const value = (depth: number): LosslessValue => {
    if (depth > 512) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, LosslessValue> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a property name');
        const key = string();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        obj[key] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr: LosslessValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      i += m[0].length;
      return new JsonNumber(m[0]);
    }
    return fail('unexpected character');
  };
  const string = (): string => {
    const start = i;
    i++;
    let simple = true;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') break;
      if (c === '\\') {
        simple = false;
        i += 2;
        continue;
      }
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    const raw = text.slice(start, i);
    if (simple) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      return fail('invalid string escape');
    }
  };
  const result = value(0);
  ws();
  if (i !== text.length) fail('unexpected text after the JSON value');
  return result;
}

/** Decimal text of a JSON number, or of a string that holds one; undefined otherwise. */
export function numberText(v: LosslessValue | undefined): string | undefined {
  if (v instanceof JsonNumber) return v.text;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v.trim())) return v.trim();
  return undefined;
}

export function isObject(v: LosslessValue | undefined): v is { [key: string]: LosslessValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

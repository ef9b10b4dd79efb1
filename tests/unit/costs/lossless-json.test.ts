import { stringify } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { JsonNumber, JsonSyntaxError, numberText, parseJsonLossless } from '../../../lib/costs/lossless-json';

describe('lib/costs/lossless-json', () => {
  it('keeps numbers as their wire text, where JSON.parse would round them to a double', () => {
    const text = '{"rows":[[7654321.0987654321, 20261122, "USD", -1.5e-7, true, null]],"next":"a\\"b"}';
    const doc = parseJsonLossless(text) as { rows: unknown[][]; next: string };
    const row = doc.rows[0] as unknown[];
    expect(String(JSON.parse(text).rows[0][0])).toBe('7654321.098765432');
    expect(row[0]).toBeInstanceOf(JsonNumber);
    expect(numberText(row[0] as JsonNumber)).toBe('7654321.0987654321');
    expect(numberText(row[1] as JsonNumber)).toBe('20261122');
    expect(row.slice(2)).toEqual(['USD', new JsonNumber('-1.5e-7'), true, null]);
    expect(doc.next).toBe('a"b');
  });

  it('parses what JSON.parse parses, to the same structure once numbers are read back', () => {
    const text = JSON.stringify({ a: [1, 2.5, { b: 'x\u00e9\\n', c: [] }], d: {}, e: -0.001, f: 'ünï' });
    expect(JSON.parse(stringify(parseJsonLossless(text)) as string)).toEqual(JSON.parse(text));
  });

  it.each(['{', '{"a":}', '[1,]', '{"a":1} x', '"open', '01', '{a:1}', 'nul'])(
    'rejects %j with the position',
    (text) => {
      expect(() => parseJsonLossless(text)).toThrow(JsonSyntaxError);
    },
  );

  it('reads numbers given as strings only when they are decimal text', () => {
    expect(numberText('12.50')).toBe('12.50');
    expect(numberText('12,50')).toBeUndefined();
    expect(numberText(undefined)).toBeUndefined();
  });
});

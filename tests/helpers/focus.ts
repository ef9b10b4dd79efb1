import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import type { Store } from '../../lib/clickhouse/client';
import { exportFocus } from '../../lib/costs/export';

/**
 * FOCUS 1.2 column checks, from the spec itself: tests/fixtures/focus/focus-1.2-columns.json
 * holds every column's Content Constraints (feature level, nulls, data type, allowed values)
 * as written in FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec at tag v1.2. The attribute rules
 * come from the same tag: attributes/null_handling.md (no '' for "no value"),
 * datetime_format.md (UTC, `YYYY-MM-DDTHH:mm:ssZ`), numeric_format.md, currency_format.md
 * (ISO 4217 codes), key_value_format.md (a JSON object of scalars), column_handling.md (`x_`).
 */
interface ColumnRule {
  featureLevel: string;
  allowsNulls: boolean;
  dataType: string;
  allowedValues?: string[];
}
const SPEC = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'focus', 'focus-1.2-columns.json'), 'utf8'),
) as { columns: Record<string, ColumnRule> };

const NUMERIC = /^-?(0|[1-9]\d*)(\.\d+)?(E-?\d+)?$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ISO_4217 = new Set(Intl.supportedValuesOf('currency'));

export type FocusRow = Record<string, unknown>;

export function readFocusCsv(bytes: Buffer): { header: string[]; rows: FocusRow[] } {
  const records = parse(bytes, { relax_column_count: false }) as string[][];
  const header = records[0] ?? [];
  // An empty unquoted field is NULL in the export (format_csv_null_representation = '').
  const rows = records
    .slice(1)
    .map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] === '' ? null : r[i]])));
  return { header, rows };
}

export async function readFocusParquet(bytes: Buffer): Promise<FocusRow[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  return (await parquetReadObjects({ file })) as FocusRow[];
}

/** Every violation of the FOCUS 1.2 column rules, as readable lines (empty when the export conforms). */
export function focusViolations(
  header: readonly string[],
  rows: readonly FocusRow[],
  format: 'csv' | 'parquet',
): string[] {
  const out: string[] = [];
  for (const [name, rule] of Object.entries(SPEC.columns)) {
    if (rule.featureLevel === 'Mandatory' && !header.includes(name))
      out.push(`${name}: mandatory column missing`);
  }
  for (const name of header) {
    if (!SPEC.columns[name] && !name.startsWith('x_'))
      out.push(`${name}: neither a FOCUS 1.2 column nor x_-prefixed`);
  }
  rows.forEach((row, i) => {
    for (const name of header) {
      const rule = SPEC.columns[name];
      const v = row[name];
      if (v === '') out.push(`row ${i} ${name}: empty string instead of NULL`);
      if (!rule) continue;
      if (v === null || v === undefined) {
        if (!rule.allowsNulls) out.push(`row ${i} ${name}: NULL in a column that allows none`);
        continue;
      }
      if (rule.allowedValues && !rule.allowedValues.includes(String(v)))
        out.push(`row ${i} ${name}: "${String(v)}" is not an allowed value`);
      if (rule.dataType === 'Decimal') {
        const ok = format === 'csv' ? NUMERIC.test(String(v)) : typeof v === 'number' && Number.isFinite(v);
        if (!ok) out.push(`row ${i} ${name}: "${String(v)}" is not a decimal`);
      }
      if (rule.dataType === 'Date/Time') {
        const ok =
          format === 'csv' ? DATETIME.test(String(v)) : v instanceof Date && !Number.isNaN(v.getTime());
        if (!ok) out.push(`row ${i} ${name}: "${String(v)}" is not a UTC date/time`);
      }
      if (rule.dataType === 'String' && typeof v !== 'string') out.push(`row ${i} ${name}: not a string`);
      if (rule.dataType === 'JSON') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(String(v));
        } catch {
          parsed = undefined;
        }
        const scalars =
          typeof parsed === 'object' &&
          parsed !== null &&
          !Array.isArray(parsed) &&
          Object.values(parsed).every(
            (x) => x === null || ['string', 'number', 'boolean'].includes(typeof x),
          );
        if (!scalars) out.push(`row ${i} ${name}: not a JSON object of scalar values`);
      }
    }
    if (!ISO_4217.has(String(row.BillingCurrency)))
      out.push(`row ${i} BillingCurrency: not an ISO 4217 code`);
    const t = (k: string) => new Date(row[k] as string | Date).getTime();
    if (!(t('ChargePeriodStart') < t('ChargePeriodEnd')))
      out.push(`row ${i}: ChargePeriodStart is not before ChargePeriodEnd`);
    if (!(t('BillingPeriodStart') < t('BillingPeriodEnd')))
      out.push(`row ${i}: BillingPeriodStart is not before BillingPeriodEnd`);
  });
  return out;
}

/** Exact sum (10 decimal places, the column scale) of decimal texts or Parquet decimals, per currency. */
export function sumByCurrency(rows: readonly FocusRow[], column: string): Record<string, string> {
  const sums: Record<string, bigint> = {};
  for (const r of rows) {
    const v = r[column];
    const text = typeof v === 'number' ? v.toFixed(10) : String(v);
    const [int, frac = ''] = text.replace('-', '').split('.');
    const scaled = BigInt(int as string) * 10n ** 10n + BigInt(frac.padEnd(10, '0').slice(0, 10));
    const c = String(r.BillingCurrency);
    sums[c] = (sums[c] ?? 0n) + (text.startsWith('-') ? -scaled : scaled);
  }
  return Object.fromEntries(
    Object.entries(sums).map(([c, s]) => {
      const neg = s < 0n;
      const abs = neg ? -s : s;
      const frac = (abs % 10n ** 10n).toString().padStart(10, '0').replace(/0+$/, '');
      return [c, `${neg ? '-' : ''}${abs / 10n ** 10n}${frac ? `.${frac}` : ''}`];
    }),
  );
}

/**
 * The FOCUS export (CSV and Parquet, lib/costs/export.ts) of everything a customer's
 * collections stored: the violations of both, and the BilledCost sums per currency of each.
 */
export async function exportAndCheck(
  store: Store,
  customerId: string,
): Promise<{
  violations: string[];
  billed: { csv: Record<string, string>; parquet: Record<string, string> };
}> {
  const scope = {
    customerId,
    provider: 'all',
    period: { start: new Date('2000-01-01T00:00:00Z'), end: new Date('2100-01-01T00:00:00Z') },
  };
  const bytes = async (format: 'csv' | 'parquet') => {
    const { stream } = await exportFocus(store, scope, format);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const csv = readFocusCsv(await bytes('csv'));
  const parquet = await readFocusParquet(await bytes('parquet'));
  const header = parquet[0] ? Object.keys(parquet[0]) : csv.header;
  return {
    violations: [
      ...focusViolations(csv.header, csv.rows, 'csv').map((v) => `csv ${v}`),
      ...focusViolations(header, parquet, 'parquet').map((v) => `parquet ${v}`),
      ...(csv.rows.length === 0 ? ['csv: no rows'] : []),
      ...(csv.rows.length !== parquet.length ? ['csv and parquet row counts differ'] : []),
    ],
    billed: { csv: sumByCurrency(csv.rows, 'BilledCost'), parquet: sumByCurrency(parquet, 'BilledCost') },
  };
}

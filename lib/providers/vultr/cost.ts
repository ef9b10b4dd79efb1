import { createHash } from 'node:crypto';
import type { CollectContext, TimeWindow } from '../../collector/types';
import { addDecimals, DecimalFormatError, normalizeDecimal } from '../../costs/decimal';
import {
  isObject,
  JsonSyntaxError,
  type LosslessValue,
  numberText,
  parseJsonLossless,
} from '../../costs/lossless-json';
import { billingMonth, startOfUtcMonth } from '../../costs/periods';
import { ProviderConfigError, ProviderParseError, ProviderUnavailableError } from '../../errors';
import type { CostRowInput } from '../../schemas/rows';
import { httpError } from '../http';
import type { VultrSettings } from './config';

/** Call names in logs and errors (the Vultr API has no per-call price). */
const PENDING = 'vultr:billing/pending-charges';
const INVOICES = 'vultr:billing/invoices';
const ITEMS = 'vultr:billing/invoices/items';
const INSTANCES = 'vultr:instances';
const PER_PAGE = 500;
const MAX_PAGES = 200;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

type Obj = { [key: string]: LosslessValue };

/** GET a Vultr API path; numbers keep their wire text (amounts are JSON numbers). */
async function vultrGet(
  ctx: CollectContext<VultrSettings>,
  call: string,
  path: string,
  query: Record<string, string> = {},
): Promise<Obj> {
  const key = ctx.connection.secrets.api_key;
  if (!key) throw new ProviderConfigError('vultr', `connection "${ctx.connection.id}" has no secret api_key`);
  const url = new URL(`${ctx.connection.settings.base_url.replace(/\/+$/, '')}/v2${path}`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return ctx.retry(call, async () => {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(30_000)]),
      });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const e = err as { cause?: { code?: string }; message?: string };
      throw new ProviderUnavailableError(
        'vultr',
        `${call}: ${e.cause?.code ?? e.message ?? 'network error'}`,
        { cause: err },
      );
    }
    const text = await res.text();
    if (!res.ok) throw httpError('vultr', call, res, text);
    try {
      const doc = parseJsonLossless(text);
      if (!isObject(doc)) throw new ProviderParseError('vultr', `${call}: response is not a JSON object`);
      return doc;
    } catch (err) {
      if (err instanceof JsonSyntaxError)
        throw new ProviderParseError('vultr', `${call}: response is not valid JSON (${err.message})`);
      throw err;
    }
  });
}

/** Every item of a cursor-paged list (`meta.links.next`; an empty cursor ends it). */
async function* vultrList(
  ctx: CollectContext<VultrSettings>,
  call: string,
  path: string,
  field: string,
): AsyncGenerator<LosslessValue[]> {
  let cursor = '';
  const seen = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const doc = await vultrGet(ctx, call, path, {
      per_page: String(PER_PAGE),
      ...(cursor ? { cursor } : {}),
    });
    const items = doc[field];
    if (!Array.isArray(items))
      throw new ProviderParseError('vultr', `${call}: malformed response: ${field} is not a list`);
    yield items;
    const meta = doc.meta;
    const next =
      isObject(meta) && isObject(meta.links) && typeof meta.links.next === 'string' ? meta.links.next : '';
    if (!next) return;
    if (seen.has(next)) throw new ProviderParseError('vultr', `${call}: pagination cursor repeats`);
    seen.add(next);
    cursor = next;
  }
  throw new ProviderParseError('vultr', `${call}: more than ${MAX_PAGES} pages`);
}

/** A billing line (pending charge or invoice item) as Vultr documents it. */
export interface VultrLine {
  description: string;
  product: string;
  start: Date;
  end: Date;
  units: string;
  unitType: string;
  unitPrice: string;
  total: string;
}

/** Validates one line of `pending_charges` / `invoice_items`; errors name the field. Pure. */
export function parseVultrLine(item: LosslessValue, where: string): VultrLine {
  const fail = (field: string, problem: string): never => {
    throw new ProviderParseError('vultr', `${where}: malformed response: ${field} ${problem}`);
  };
  if (!isObject(item)) return fail('', 'is not an object');
  const decimal = (field: string, required: boolean) => {
    const text = numberText(item[field]);
    if (text === undefined) {
      if (!required && (item[field] === undefined || item[field] === null)) return '0';
      return fail(`.${field}`, `is not a number: ${JSON.stringify(item[field])}`);
    }
    try {
      return normalizeDecimal(text);
    } catch (err) {
      if (err instanceof DecimalFormatError) return fail(`.${field}`, `is not a decimal: ${text}`);
      throw err;
    }
  };
  const date = (field: string) => {
    const raw = item[field];
    const d =
      typeof raw === 'string'
        ? new Date(raw.includes('T') || raw.length > 10 ? raw.replace(' ', 'T') : `${raw}T00:00:00Z`)
        : undefined;
    if (!d || Number.isNaN(d.getTime())) return fail(`.${field}`, `is not a date: ${JSON.stringify(raw)}`);
    return d;
  };
  return {
    description: typeof item.description === 'string' ? item.description : '',
    product: typeof item.product === 'string' ? item.product : '',
    start: date('start_date'),
    end: date('end_date'),
    units: decimal('units', false),
    unitType: typeof item.unit_type === 'string' ? item.unit_type : '',
    unitPrice: decimal('unit_price', false),
    total: decimal('total', true),
  };
}

/** The instance a line is for: an instance id in its text, or an instance label in parentheses or after ": ". */
export function lineInstance(
  description: string,
  instances: ReadonlyMap<string, string>,
): { id: string; label: string } | undefined {
  const uuid = UUID.exec(description)?.[0]?.toLowerCase();
  if (uuid) {
    for (const [label, id] of instances) if (id.toLowerCase() === uuid) return { id, label };
    return { id: uuid, label: '' };
  }
  const candidates = [...description.matchAll(/\(([^()]+)\)/g)].map((m) => m[1]?.trim());
  const afterColon = /:\s*([^()]+?)\s*(?:\(|$)/.exec(description)?.[1]?.trim();
  for (const c of [...candidates, afterColon]) {
    const id = c ? instances.get(c) : undefined;
    if (c && id) return { id, label: c };
  }
  return undefined;
}

function lineRows(
  ctx: CollectContext<VultrSettings>,
  lines: VultrLine[],
  instances: ReadonlyMap<string, string>,
  clampFrom: Date | undefined,
  source: 'pending' | 'invoice',
): CostRowInput[] {
  // Lines that would be the same fact (same start, product, instance, text and price) are summed.
  const merged = new Map<
    string,
    { line: VultrLine; start: Date; instance?: { id: string; label: string } }
  >();
  for (const line of lines) {
    const start = clampFrom && line.start < clampFrom ? clampFrom : line.start;
    const instance = lineInstance(line.description, instances);
    const key = JSON.stringify([
      start.getTime(),
      line.product,
      instance?.id ?? '',
      line.description,
      line.unitType,
      line.unitPrice,
    ]);
    const prev = merged.get(key);
    if (prev) {
      prev.line = {
        ...prev.line,
        units: addDecimals(prev.line.units, line.units),
        total: addDecimals(prev.line.total, line.total),
      };
    } else merged.set(key, { line, start, ...(instance ? { instance } : {}) });
  }
  return [...merged.values()].map(({ line, start, instance }) => {
    const month = billingMonth(start);
    return {
      x_customer_id: ctx.customerId,
      x_provider: 'vultr',
      x_connection_id: ctx.connection.id,
      provider_name: 'Vultr',
      invoice_issuer_name: 'Vultr',
      service_name: line.product,
      charge_category: 'Usage',
      charge_description: line.description,
      charge_frequency: 'Usage-Based',
      resource_id: instance?.id ?? '',
      resource_name: instance?.label ?? '',
      resource_type: instance ? line.product : '',
      pricing_quantity: line.units,
      pricing_unit: line.unitType,
      consumed_quantity: line.units,
      consumed_unit: line.unitType,
      billed_cost: line.total,
      effective_cost: line.total,
      billing_currency: 'USD',
      charge_period_start: start,
      charge_period_end: new Date(Math.max(line.end.getTime(), start.getTime())),
      billing_period_start: month.start,
      billing_period_end: month.end,
      x_line_key: createHash('sha256')
        .update(JSON.stringify([line.description, line.unitType, line.unitPrice]))
        .digest('hex')
        .slice(0, 16),
      x_task_id: ctx.taskId,
      x_collected_at: ctx.now(),
      tags: { x_source: source },
    };
  });
}

/**
 * Vultr cost. The current month comes from pending charges (accrued so far, per product
 * line, per instance where the line names one); a closed month comes from its invoice's
 * line items once Vultr has issued it (dated in the following month), replacing that
 * month's pending figures. Amounts are in USD. Only months whose answer is whole are
 * declared complete: a closed month without an invoice yet keeps what was collected.
 */
export async function* collectVultrCost(ctx: CollectContext<VultrSettings>): AsyncGenerator<CostRowInput[]> {
  const now = ctx.now();
  const current = startOfUtcMonth(now);
  const windowStartMonth = startOfUtcMonth(ctx.window.start);

  const instances = new Map<string, string>();
  for await (const page of vultrList(ctx, INSTANCES, '/instances', 'instances')) {
    for (const i of page)
      if (isObject(i) && typeof i.id === 'string' && typeof i.label === 'string' && i.label)
        instances.set(i.label, i.id);
  }

  // Closed months inside the window: their invoices, issued in the month after.
  const invoiced: TimeWindow[] = [];
  if (windowStartMonth < current) {
    const wanted: { id: string; month: Date }[] = [];
    outer: for await (const page of vultrList(ctx, INVOICES, '/billing/invoices', 'billing_invoices')) {
      for (const inv of page) {
        if (!isObject(inv))
          throw new ProviderParseError(
            'vultr',
            `${INVOICES}: malformed response: an invoice is not an object`,
          );
        const date = typeof inv.date === 'string' ? new Date(inv.date) : new Date(Number.NaN);
        const id = numberText(inv.id) ?? (typeof inv.id === 'string' ? inv.id : '');
        if (Number.isNaN(date.getTime()) || !id) {
          throw new ProviderParseError(
            'vultr',
            `${INVOICES}: malformed response: invoice ${JSON.stringify(inv.id)} has no id or date`,
          );
        }
        const month = startOfUtcMonth(date, -1);
        if (month < windowStartMonth) break outer; // newest first: the rest are older
        if (month < current) wanted.push({ id, month });
      }
    }
    for (const { id, month } of wanted) {
      const lines: VultrLine[] = [];
      let n = 0;
      for await (const page of vultrList(
        ctx,
        ITEMS,
        `/billing/invoices/${encodeURIComponent(id)}/items`,
        'invoice_items',
      )) {
        for (const item of page)
          lines.push(parseVultrLine(item, `${ITEMS} (invoice ${id}) invoice_items[${n++}]`));
      }
      yield lineRows(ctx, lines, instances, undefined, 'invoice');
      invoiced.push({ start: month, end: startOfUtcMonth(month, 1) });
    }
  }

  const pending = await vultrGet(ctx, PENDING, '/billing/pending-charges');
  const list = pending.pending_charges;
  if (!Array.isArray(list))
    throw new ProviderParseError('vultr', `${PENDING}: malformed response: pending_charges is not a list`);
  yield lineRows(
    ctx,
    list.map((item, i) => parseVultrLine(item, `${PENDING} pending_charges[${i}]`)),
    instances,
    current,
    'pending',
  );

  ctx.complete?.({ start: current, end: startOfUtcMonth(current, 1) });
  for (const range of invoiced) ctx.complete?.(range);
}

/** The account behind the API key (`GET /v2/account`): proves the key works. */
export async function vultrAccount(
  ctx: Pick<CollectContext<VultrSettings>, 'connection' | 'signal'>,
): Promise<{ name: string; email: string }> {
  const noRetry = {
    ...ctx,
    retry: <T>(_label: string, fn: (attempt: number) => Promise<T>) => fn(0),
  } as unknown as CollectContext<VultrSettings>;
  const doc = await vultrGet(noRetry, 'vultr:account', '/account');
  const account = isObject(doc.account) ? doc.account : {};
  return {
    name: typeof account.name === 'string' ? account.name : '',
    email: typeof account.email === 'string' ? account.email : '',
  };
}

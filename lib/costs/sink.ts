import type { Store } from '../clickhouse/client';
import type { Writer } from '../clickhouse/writer';
import type { DataSink, SinkContext, SinkOutcome, TimeWindow } from '../collector/types';
import { AppError, RowValidationError } from '../errors';
import { type CostRow, type CostRowInput, CostRowSchema } from '../schemas/rows';
import { fromClickHouseTime, toClickHouseTime } from '../time';

/** The costs table's sorting key (migrations/0001): one fact per distinct value. */
const KEY_COLUMNS = [
  'billing_account_id',
  'sub_account_id',
  'service_name',
  'resource_id',
  'sku_id',
  'region_id',
  'charge_category',
  'charge_class',
  'billing_currency',
  'x_line_key',
] as const;

/** A collection produced more rows than the sink holds for one run. */
export class CostBufferLimitError extends AppError {
  constructor(limit: number) {
    super(
      'cost_buffer_limit',
      `a cost collection produced more than ${limit} rows; narrow the window (explicit window on a manual trigger) or raise the sink's maxRows`,
    );
    this.name = 'CostBufferLimitError';
  }
}

/** Two rows of one answer share a natural key: a collector bug, never written. */
export class DuplicateCostFactError extends AppError {
  constructor(key: string) {
    super('duplicate_cost_fact', `two cost rows of one collection share the natural key ${key}`);
    this.name = 'DuplicateCostFactError';
  }
}

export interface CostSinkOptions {
  /** Most rows held for one run (default 500,000, about 0.5 GB of memory). */
  maxRows?: number;
}

function factKey(periodStartSeconds: number, row: Record<string, unknown>): string {
  return JSON.stringify([periodStartSeconds, ...KEY_COLUMNS.map((c) => String(row[c] ?? ''))]);
}

/**
 * The sink for cost rows. Clouds restate recent days, so a cost collection is all or
 * nothing: rows are validated as they arrive (a malformed row stops the run before more
 * billable pages are fetched) and held; only when the collector finished do they go to
 * `costs`, with a higher version than anything stored, so the provider's latest figures
 * replace the old ones. Then, for each range the collector declared complete, stored facts
 * of this connection that the new answer no longer has get a tombstone (`x_is_deleted = 1`,
 * higher version), so FINAL drops them. A failed run writes nothing.
 *
 * @example
 * const runDeps = { ...deps, sinks: { cost: createCostSink(store, writer) } };
 */
export function createCostSink(store: Store, writer: Writer, opts: CostSinkOptions = {}): DataSink {
  const maxRows = opts.maxRows ?? 500_000;
  // Rows are kept as handed in (the writer validates again and converts times itself).
  const pending = new Map<string, { rows: CostRowInput[]; keys: Set<string> }>();

  return {
    async write(rows, ctx) {
      let state = pending.get(ctx.taskId);
      if (!state) {
        state = { rows: [], keys: new Set() };
        pending.set(ctx.taskId, state);
      }
      if (state.rows.length + rows.length > maxRows) throw new CostBufferLimitError(maxRows);
      const issues: { index: number; message: string }[] = [];
      const valid: { raw: CostRowInput; row: CostRow }[] = [];
      rows.forEach((raw, i) => {
        const parsed = CostRowSchema.safeParse(raw);
        if (!parsed.success) {
          const first = parsed.error.issues[0];
          if (issues.length < 20) {
            issues.push({
              index: state.rows.length + i,
              message: `${first?.path.join('.') || '(row)'}: ${first?.message}`,
            });
          }
          return;
        }
        valid.push({ raw: raw as CostRowInput, row: parsed.data });
      });
      if (issues.length > 0) throw new RowValidationError('costs', issues);
      for (const { raw, row } of valid) {
        const key = factKey(Math.floor(fromClickHouseTime(row.charge_period_start).getTime() / 1000), row);
        if (state.keys.has(key)) throw new DuplicateCostFactError(key);
        state.keys.add(key);
        state.rows.push(raw);
      }
      return 0;
    },

    async finish(ctx, outcome) {
      const state = pending.get(ctx.taskId) ?? { rows: [], keys: new Set<string>() };
      pending.delete(ctx.taskId);
      if (!outcome.ok) return 0;
      const written = await writer.write('costs', state.rows);
      const tombstones = await staleFacts(store, ctx, outcome, state.keys);
      if (tombstones.length > 0) {
        await writer.write('costs', tombstones);
        ctx.logger.info('restated cost facts removed', { facts: tombstones.length });
      }
      return written;
    },
  };
}

interface StoredKey {
  period_start: number;
  billing_account_id: string;
  sub_account_id: string;
  service_name: string;
  resource_id: string;
  sku_id: string;
  region_id: string;
  charge_category: CostRowInput['charge_category'];
  charge_class: '' | 'Correction';
  billing_currency: string;
  x_line_key: string;
}

/** Stored live facts of this connection inside the complete ranges that the new answer lacks. */
async function staleFacts(
  store: Store,
  ctx: SinkContext,
  outcome: SinkOutcome,
  fresh: ReadonlySet<string>,
): Promise<CostRowInput[]> {
  const out: CostRowInput[] = [];
  for (const range of mergeRanges(outcome.complete ?? [])) {
    const rs = await store.client.query({
      query: `SELECT toUnixTimestamp(charge_period_start) AS period_start, ${KEY_COLUMNS.join(', ')}
        FROM costs FINAL
        WHERE x_customer_id = {c:String} AND x_provider = {p:String} AND x_connection_id = {conn:String}
          AND charge_period_start >= {s:DateTime} AND charge_period_start < {e:DateTime}`,
      query_params: {
        c: ctx.customerId,
        p: ctx.provider,
        conn: ctx.connectionId ?? '',
        s: toClickHouseTime(range.start).slice(0, 19),
        e: toClickHouseTime(range.end).slice(0, 19),
      },
      format: 'JSONEachRow',
    });
    for (const k of await rs.json<StoredKey>()) {
      const periodStart = Number(k.period_start);
      if (fresh.has(factKey(periodStart, k as unknown as Record<string, unknown>))) continue;
      const start = new Date(periodStart * 1000);
      out.push({
        x_customer_id: ctx.customerId,
        x_provider: ctx.provider,
        x_connection_id: ctx.connectionId ?? '',
        billing_account_id: k.billing_account_id,
        sub_account_id: k.sub_account_id,
        service_name: k.service_name,
        resource_id: k.resource_id,
        sku_id: k.sku_id,
        region_id: k.region_id,
        charge_category: k.charge_category,
        charge_class: k.charge_class,
        billing_currency: k.billing_currency,
        x_line_key: k.x_line_key,
        billed_cost: '0',
        effective_cost: '0',
        charge_period_start: start,
        charge_period_end: start,
        billing_period_start: start,
        billing_period_end: start,
        x_task_id: ctx.taskId,
        x_collected_at: ctx.startedAt,
        x_is_deleted: 1,
      });
    }
  }
  return out;
}

function mergeRanges(ranges: readonly TimeWindow[]): TimeWindow[] {
  const sorted = [...ranges].sort((a, b) => a.start.getTime() - b.start.getTime());
  const out: TimeWindow[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.start <= last.end) {
      if (r.end > last.end) out[out.length - 1] = { start: last.start, end: r.end };
    } else out.push({ start: r.start, end: r.end });
  }
  return out;
}

import { selectRows } from '../clickhouse/query';
import type { Runtime } from '../runtime';
import { DAY_MS, fromClickHouseTime } from '../time';
import { evaluateCustomer } from './engine';
import { parseThresholdOverrides } from './thresholds';

/**
 * Which customers an hourly tick of the `recommendations` schedule evaluates: those not
 * evaluated for a day (the daily evaluation), and those with an inventory or performance
 * run that finished since their last evaluation (so at most once an hour after new data).
 */
export async function customersDue(rt: Pick<Runtime, 'store' | 'connections'>, now: Date): Promise<string[]> {
  const customers = [
    ...new Set((await rt.connections.list()).filter((c) => c.enabled).map((c) => c.customerId)),
  ].sort();
  if (customers.length === 0) return [];
  const lastOf = async (query: string) =>
    new Map(
      (await selectRows<{ customer_id: string; at: string }>(rt.store, query, { customers })).map((r) => [
        r.customer_id,
        r.at,
      ]),
    );
  const evals = await lastOf(
    `SELECT customer_id, toString(max(finished_at)) AS at FROM recommendation_evaluations FINAL
      WHERE customer_id IN {customers:Array(String)} GROUP BY customer_id`,
  );
  const data = await lastOf(
    `SELECT customer_id, toString(max(finished_at)) AS at FROM collection_runs FINAL
      WHERE customer_id IN {customers:Array(String)} AND status IN ('succeeded', 'partial')
        AND finished_at IS NOT NULL AND hasAny(data_types, ['resource', 'performance'])
      GROUP BY customer_id`,
  );
  const rows = customers.map((c) => ({
    customer_id: c,
    last_eval: evals.get(c) ?? null,
    last_data: data.get(c) ?? null,
  }));
  const t = (s: string | null) => (s ? fromClickHouseTime(s).getTime() : null);
  return rows
    .filter((r) => {
      const lastEval = t(r.last_eval);
      const lastData = t(r.last_data);
      if (lastEval === null || now.getTime() - lastEval >= DAY_MS) return true;
      return lastData !== null && lastData > lastEval;
    })
    .map((r) => r.customer_id);
}

/** One tick of the `recommendations` schedule entry: evaluates the customers due. */
export async function runScheduledEvaluations(rt: Runtime, now: Date = new Date()): Promise<number> {
  const due = await customersDue(rt, now);
  const overrides = parseThresholdOverrides(rt.env.RECOMMENDATION_THRESHOLDS);
  for (const customerId of due) {
    await evaluateCustomer({ store: rt.store, writer: rt.writer, logger: rt.logger, overrides }, customerId, {
      now,
    });
  }
  return due.length;
}

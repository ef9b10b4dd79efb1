import type { Store } from '../clickhouse/client';
import type { RequestBudget } from '../collector/types';
import { ProviderError } from '../errors';
import { DAY_MS, fromClickHouseTime, MINUTE_MS, toClickHouseTime } from '../time';

/** A run reached its connection's daily request budget mid-way; it stops before spending more. */
export class RequestBudgetError extends ProviderError {
  constructor(provider: string, message: string) {
    super(provider, 'budget_exhausted', message, false);
    this.name = 'RequestBudgetError';
  }
}

export type BudgetDecision =
  | { readonly run: true; readonly remaining: number; readonly used: number; readonly estimate: number }
  | { readonly run: false; readonly reason: string; readonly used: number; readonly estimate: number };

/** A run still marked running this long after it started is treated as dead, not in flight. */
const IN_FLIGHT_MS = 20 * MINUTE_MS;
/** How many recent runs the per-run estimate looks at. */
const ESTIMATE_RUNS = 3;

interface RunRow {
  task_id: string;
  status: string;
  started_at: string | null;
  billable_requests: Record<string, number | string>;
}

function spent(row: RunRow, prefix: string): number {
  let n = 0;
  for (const [api, count] of Object.entries(row.billable_requests))
    if (api.startsWith(prefix)) n += Number(count);
  return n;
}

/**
 * Decides whether a run of this connection may start within its daily budget, from what
 * `collection_runs` recorded: the requests already made today (UTC) by finished runs, plus
 * an estimate for runs still in flight, plus an estimate for this run (the most that one of
 * the last few runs needed, at least `minPerRun`). A run that could cross the budget is
 * skipped; one that may run gets the requests left as a hard cap for its meter.
 *
 * @example
 * const d = await decideRequestBudget(store, { customerId, provider: 'aws', connectionId, taskId, budget, now });
 * if (!d.run) recordSkipped(d.reason);
 */
export async function decideRequestBudget(
  store: Store,
  args: {
    customerId: string;
    provider: string;
    connectionId: string;
    taskId: string;
    budget: RequestBudget;
    now: Date;
  },
): Promise<BudgetDecision> {
  const { budget, now } = args;
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const rs = await store.client.query({
    query: `SELECT task_id, status, started_at, billable_requests
      FROM collection_runs FINAL
      WHERE customer_id = {c:String} AND provider = {p:String} AND connection_id = {conn:String}
        AND queued_at >= {since:DateTime64(3)} AND task_id != {task:String} AND started_at IS NOT NULL
      ORDER BY started_at DESC`,
    query_params: {
      c: args.customerId,
      p: args.provider,
      conn: args.connectionId,
      since: toClickHouseTime(new Date(dayStart.getTime() - 7 * DAY_MS)),
      task: args.taskId,
    },
    format: 'JSONEachRow',
  });
  const runs = await rs.json<RunRow>();

  const recent = runs
    .filter((r) => r.status !== 'running' && r.status !== 'queued')
    .map((r) => spent(r, budget.apiPrefix))
    .filter((n) => n > 0)
    .slice(0, ESTIMATE_RUNS);
  const estimate = Math.max(budget.minPerRun, ...recent);

  let used = 0;
  for (const r of runs) {
    const started = fromClickHouseTime(r.started_at as string);
    if (started < dayStart || started.getTime() >= dayStart.getTime() + DAY_MS) continue;
    const n = spent(r, budget.apiPrefix);
    if (r.status === 'running' && n === 0 && now.getTime() - started.getTime() < IN_FLIGHT_MS)
      used += estimate;
    else used += n;
  }

  const remaining = Math.max(0, budget.perDay - used);
  if (used + estimate > budget.perDay) {
    const setting = budget.setting ? ` (connection setting ${budget.setting})` : '';
    const reason =
      budget.perDay === 0
        ? `${budget.label} budget is 0 requests per day${setting}; run skipped`
        : `${budget.label} budget: ${used} of ${budget.perDay} requests used today (UTC) and a run needs about ${estimate}; skipped until the budget resets at 00:00 UTC${setting}`;
    return { run: false, reason, used, estimate };
  }
  return { run: true, remaining, used, estimate };
}

import type { CollectionJob } from '../../collector/types';
import type { CollectionRunInput, RunStatus } from '../../schemas/rows';
import { clickHouseTimeToIso } from '../../time';
import type { Store } from '../client';
import type { Writer } from '../writer';

/** A collection run as the API shows it. */
export interface RunView {
  task_id: string;
  customer_id: string;
  provider: string;
  connection_id: string;
  data_types: string[];
  trigger: string;
  status: RunStatus;
  rows_collected: Record<string, number>;
  total_rows: number;
  errors: Record<string, string>;
  billable_requests: Record<string, number>;
  skipped_reason: string | null;
  window: { start: string | null; end: string | null };
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  details: unknown;
  /** 1 for the first try; each retry of the same task id adds one. */
  attempt: number;
  /** While running: when the run's lease ends unless its worker renews it. */
  lease_until: string | null;
}

interface RunRow {
  task_id: string;
  customer_id: string;
  provider: string;
  connection_id: string;
  data_types: string[];
  trigger: string;
  status: RunStatus;
  rows: Record<string, number | string>;
  errors: Record<string, string>;
  billable_requests: Record<string, number | string>;
  skipped_reason: string;
  window_start: string | null;
  window_end: string | null;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | string | null;
  details: string;
  attempt: number | string;
  lease_until: string | null;
}

const numbers = (m: Record<string, number | string>) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number(v)]));

function toView(r: RunRow): RunView {
  const rows = numbers(r.rows);
  let details: unknown = {};
  try {
    details = JSON.parse(r.details || '{}');
  } catch {
    details = {};
  }
  return {
    task_id: r.task_id,
    customer_id: r.customer_id,
    provider: r.provider,
    connection_id: r.connection_id,
    data_types: r.data_types,
    trigger: r.trigger,
    status: r.status,
    rows_collected: rows,
    total_rows: Object.values(rows).reduce((a, b) => a + b, 0),
    errors: r.errors,
    billable_requests: numbers(r.billable_requests),
    skipped_reason: r.skipped_reason || null,
    window: { start: clickHouseTimeToIso(r.window_start), end: clickHouseTimeToIso(r.window_end) },
    queued_at: clickHouseTimeToIso(r.queued_at),
    started_at: clickHouseTimeToIso(r.started_at),
    finished_at: clickHouseTimeToIso(r.finished_at),
    duration_ms: r.duration_ms === null ? null : Number(r.duration_ms),
    details,
    attempt: Number(r.attempt),
    lease_until: clickHouseTimeToIso(r.lease_until),
  };
}

const COLUMNS = `task_id, customer_id, provider, connection_id, data_types, trigger, status, rows, errors,
  billable_requests, skipped_reason, window_start, window_end, queued_at, started_at, finished_at,
  duration_ms, details, attempt, lease_until`;

/** The columns of a run that come from its job, for every state the run records. */
export function runFieldsOf(job: CollectionJob) {
  return {
    customer_id: job.customerId,
    task_id: job.taskId,
    provider: job.provider,
    connection_id: job.connectionId ?? '',
    data_types: job.dataTypes,
    trigger: job.trigger,
    queued_at: job.queuedAt,
    attempt: job.attempt ?? 1,
  };
}

/** The job a run record describes (what a retry sends again). */
export function jobOfRun(run: RunView): CollectionJob {
  const previous = (run.details as { previous_attempts?: CollectionJob['previousAttempts'] } | null)
    ?.previous_attempts;
  return {
    taskId: run.task_id,
    customerId: run.customer_id,
    provider: run.provider,
    dataTypes: run.data_types as CollectionJob['dataTypes'],
    trigger: run.trigger === 'manual' ? 'manual' : 'scheduled',
    queuedAt: run.queued_at ?? new Date().toISOString(),
    ...(run.connection_id ? { connectionId: run.connection_id } : {}),
    attempt: run.attempt,
    ...(Array.isArray(previous) && previous.length ? { previousAttempts: previous } : {}),
  };
}

/**
 * Runs still open (`queued` or `running`), oldest first, across customers: what the reaper
 * looks at. Bounded by `limit`.
 */
export async function listOpenRuns(store: Store, limit = 500): Promise<RunView[]> {
  const rs = await store.client.query({
    query: `SELECT ${COLUMNS} FROM collection_runs FINAL
      WHERE status IN ('queued', 'running')
      ORDER BY queued_at, task_id
      LIMIT {limit:UInt32}`,
    query_params: { limit },
    format: 'JSONEachRow',
  });
  return (await rs.json<RunRow>()).map(toView);
}

/** Appends the run's current state (a new version of its row). */
export async function recordRun(writer: Writer, run: CollectionRunInput): Promise<void> {
  await writer.write('collection_runs', [run]);
}

export async function getRun(store: Store, taskId: string): Promise<RunView | null> {
  const rs = await store.client.query({
    query: `SELECT ${COLUMNS} FROM collection_runs FINAL WHERE task_id = {task_id:String} LIMIT 1`,
    query_params: { task_id: taskId },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<RunRow>();
  return rows[0] ? toView(rows[0]) : null;
}

export interface RunFilters {
  provider?: string | undefined;
  status?: RunStatus | undefined;
  dataType?: string | undefined;
  limit?: number | undefined;
}

/** A customer's runs, newest first. */
export async function listRuns(store: Store, customerId: string, f: RunFilters = {}): Promise<RunView[]> {
  const rs = await store.client.query({
    query: `SELECT ${COLUMNS} FROM collection_runs FINAL
      WHERE customer_id = {customer_id:String}
        AND ({provider:String} = '' OR provider = {provider:String})
        AND ({status:String} = '' OR status = {status:String})
        AND ({data_type:String} = '' OR has(data_types, {data_type:String}))
      ORDER BY queued_at DESC, task_id
      LIMIT {limit:UInt32}`,
    query_params: {
      customer_id: customerId,
      provider: f.provider ?? '',
      status: f.status ?? '',
      data_type: f.dataType ?? '',
      limit: f.limit ?? 50,
    },
    format: 'JSONEachRow',
  });
  return (await rs.json<RunRow>()).map(toView);
}

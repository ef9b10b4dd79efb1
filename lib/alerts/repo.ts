import type { Store } from '../clickhouse/client';
import type { Writer } from '../clickhouse/writer';
import type { AlertInput, AlertKind } from '../schemas/rows';
import { clickHouseTimeToIso } from '../time';

/** An alert as the API shows it. */
export interface AlertView {
  alert_id: string;
  customer_id: string;
  kind: AlertKind;
  provider: string;
  connection_id: string;
  status: 'open' | 'resolved';
  message: string;
  last_error: string;
  failures: number;
  task_id: string;
  opened_at: string | null;
  resolved_at: string | null;
  notified: boolean;
}

interface AlertRow extends Omit<AlertView, 'failures' | 'notified'> {
  failures: number | string;
  notified: number | string;
}

const COLUMNS = `alert_id, customer_id, kind, provider, connection_id, status, message, last_error, failures,
  task_id, opened_at, resolved_at, notified`;

const toView = (r: AlertRow): AlertView => ({
  ...r,
  failures: Number(r.failures),
  notified: Number(r.notified) === 1,
  opened_at: clickHouseTimeToIso(r.opened_at),
  resolved_at: clickHouseTimeToIso(r.resolved_at),
});

export async function recordAlert(writer: Writer, alert: AlertInput): Promise<void> {
  await writer.write('alerts', [alert]);
}

/** The open alerts of one customer × provider × connection (every kind, or one). */
export async function openAlerts(
  store: Store,
  key: { customerId: string; provider: string; connectionId: string; kind?: AlertKind },
): Promise<AlertView[]> {
  const rs = await store.client.query({
    query: `SELECT ${COLUMNS} FROM alerts FINAL
      WHERE customer_id = {customer_id:String} AND provider = {provider:String}
        AND connection_id = {connection_id:String} AND status = 'open'
        AND ({kind:String} = '' OR kind = {kind:String})
      ORDER BY opened_at`,
    query_params: {
      customer_id: key.customerId,
      provider: key.provider,
      connection_id: key.connectionId,
      kind: key.kind ?? '',
    },
    format: 'JSONEachRow',
  });
  return (await rs.json<AlertRow>()).map(toView);
}

/** A customer's alerts: every open one, then the most recent resolved ones (newest first). */
export async function listAlerts(
  store: Store,
  customerId: string,
  opts: { status?: 'open' | 'resolved' | undefined; limit?: number | undefined } = {},
): Promise<AlertView[]> {
  const rs = await store.client.query({
    query: `SELECT ${COLUMNS} FROM alerts FINAL
      WHERE customer_id = {customer_id:String}
        AND ({status:String} = '' OR status = {status:String})
      ORDER BY status = 'open' DESC, opened_at DESC, alert_id
      LIMIT {limit:UInt32}`,
    query_params: { customer_id: customerId, status: opts.status ?? '', limit: opts.limit ?? 50 },
    format: 'JSONEachRow',
  });
  return (await rs.json<AlertRow>()).map(toView);
}

/** The statuses of the last `n` finished runs of a connection, newest first. */
export async function lastRunStatuses(
  store: Store,
  key: { customerId: string; provider: string; connectionId: string },
  n: number,
): Promise<string[]> {
  const rs = await store.client.query({
    query: `SELECT status FROM collection_runs FINAL
      WHERE customer_id = {customer_id:String} AND provider = {provider:String}
        AND connection_id = {connection_id:String}
        AND status IN ('succeeded', 'partial', 'failed')
      ORDER BY finished_at DESC, queued_at DESC
      LIMIT {n:UInt32}`,
    query_params: { customer_id: key.customerId, provider: key.provider, connection_id: key.connectionId, n },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ status: string }>()).map((r) => r.status);
}

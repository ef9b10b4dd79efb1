import type { Store } from '../clickhouse/client';
import type { Writer } from '../clickhouse/writer';
import type { RunResult } from '../collector/run';
import type { CollectionJob } from '../collector/types';
import type { Logger } from '../logger';
import type { AlertKind } from '../schemas/rows';
import type { AlertNotifier } from './notify';
import { type AlertView, lastRunStatuses, openAlerts, recordAlert } from './repo';

export interface AlertKey {
  customerId: string;
  provider: string;
  connectionId: string;
}

export interface Alerts {
  /** Looks at a finished run: opens alerts (once per incident) and resolves the ones it ends. */
  afterRun(job: CollectionJob, result: RunResult): Promise<void>;
  /** Opens an alert of `kind` for `key` unless one is open; sends it once. Returns it. */
  raise(
    key: AlertKey,
    kind: AlertKind,
    what: { message: string; lastError: string; taskId?: string; failures?: number },
  ): Promise<AlertView>;
  /** Resolves the open alerts of those kinds for `key`, sending a recovery notice for each. */
  resolve(key: AlertKey, kinds: readonly AlertKind[], why: string): Promise<number>;
}

/**
 * Alerts for collection problems people must hear about: a connection failing
 * `afterFailures` runs in a row, a Cost Explorer run skipped for its request budget, a
 * judge that stops answering (application data type failed), a job moved to the
 * dead-letter queue. One alert per incident (customer × provider × connection × kind);
 * a recovery notice follows when the connection succeeds again. Errors in alerts come from
 * run records, which the runner has already scrubbed of secrets.
 */
export function createAlerts(deps: {
  store: Store;
  writer: Writer;
  notifier: AlertNotifier;
  logger: Logger;
  afterFailures: number;
  now?: () => Date;
}): Alerts {
  const now = deps.now ?? (() => new Date());
  const label = (k: AlertKey) =>
    `${k.customerId}/${k.provider}${k.connectionId ? ` (${k.connectionId})` : ''}`;

  const raise: Alerts['raise'] = async (key, kind, what) => {
    const [open] = await openAlerts(deps.store, { ...key, kind });
    if (open?.notified) return open;
    const at = now();
    const alert: AlertView = open ?? {
      alert_id: `${kind}:${key.provider}:${key.connectionId}:${at.getTime()}`,
      customer_id: key.customerId,
      kind,
      provider: key.provider,
      connection_id: key.connectionId,
      status: 'open',
      message: what.message,
      last_error: what.lastError.slice(0, 4000),
      failures: what.failures ?? 0,
      task_id: what.taskId ?? '',
      opened_at: at.toISOString(),
      resolved_at: null,
      notified: false,
    };
    // Recorded before sending, so two workers racing on one incident mostly see each other.
    await recordAlert(deps.writer, toRow(alert));
    const delivered = await deps.notifier.send({
      event: 'alert',
      text: `${label(key)}: ${alert.message}. Last error: ${alert.last_error || 'none recorded'}`,
      alert,
    });
    const sent = { ...alert, notified: delivered };
    if (delivered) await recordAlert(deps.writer, toRow(sent));
    return sent;
  };

  const resolve: Alerts['resolve'] = async (key, kinds, why) => {
    const open = (await openAlerts(deps.store, key)).filter((a) => kinds.includes(a.kind));
    for (const alert of open) {
      const resolved: AlertView = { ...alert, status: 'resolved', resolved_at: now().toISOString() };
      await recordAlert(deps.writer, toRow(resolved));
      await deps.notifier.send({
        event: 'recovery',
        text: `${label(key)}: ${why} (was: ${alert.message})`,
        alert: resolved,
      });
    }
    return open.length;
  };

  return {
    raise,
    resolve,
    async afterRun(job, result) {
      const key: AlertKey = {
        customerId: job.customerId,
        provider: job.provider,
        connectionId: job.connectionId ?? '',
      };
      const lastError = Object.entries(result.errors)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ');
      for (const o of result.outcomes) {
        if (o.skipped && o.dataType === 'cost') {
          await raise(key, 'budget_skip', {
            message: `cost collection skipped: ${o.skipped}`,
            lastError: o.skipped,
            taskId: job.taskId,
          });
        } else if (o.dataType === 'cost' && !o.skipped) {
          await resolve(key, ['budget_skip'], 'cost collection ran again');
        }
        if (o.dataType === 'application' && !o.ok) {
          await raise(key, 'judge_unavailable', {
            message: 'the judge gave no usable verdicts',
            lastError: o.error ?? '',
            taskId: job.taskId,
          });
        } else if (o.dataType === 'application' && o.ok) {
          await resolve(key, ['judge_unavailable'], 'the judge answers again');
        }
      }
      if (result.status === 'failed') {
        const statuses = await lastRunStatuses(deps.store, key, deps.afterFailures);
        if (statuses.length >= deps.afterFailures && statuses.every((s) => s === 'failed')) {
          await raise(key, 'consecutive_failures', {
            message: `${deps.afterFailures} collections in a row failed`,
            lastError,
            taskId: job.taskId,
            failures: deps.afterFailures,
          });
        }
      } else if (result.status === 'succeeded' || result.status === 'partial') {
        await resolve(key, ['consecutive_failures', 'dead_letter'], `collection ${result.status} again`);
      }
    },
  };
}

function toRow(a: AlertView) {
  return {
    customer_id: a.customer_id,
    alert_id: a.alert_id,
    kind: a.kind,
    provider: a.provider,
    connection_id: a.connection_id,
    status: a.status,
    message: a.message,
    last_error: a.last_error,
    failures: a.failures,
    task_id: a.task_id,
    opened_at: a.opened_at ?? new Date(),
    resolved_at: a.resolved_at,
    notified: a.notified ? (1 as const) : (0 as const),
  };
}

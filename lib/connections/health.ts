import { Cron } from 'croner';
import type { Store } from '../clickhouse/client';
import type { Connection, DataType } from '../collector/types';
import type { ProviderRegistry } from '../providers/registry';
import {
  connectionIntervalMinutes,
  eventBridgeCronToStandard,
  isDue,
  providerMatches,
  rateToMs,
  SCHEDULES,
} from '../schedules';
import { clickHouseTimeToIso } from '../time';
import { listConnectionEvents } from './repo';

export interface ConnectionHealth {
  last_runs: Record<
    string,
    { task_id: string; status: string; finished_at: string | null; rows: number; error: string | null }
  >;
  last_success: string | null;
  consecutive_failures: number;
  next_collection: Record<string, string | null>;
  last_test: { ok: boolean; at: string; message: string; latency_ms: number | null } | null;
}

/**
 * A connection's health: its runs (collection_runs) per data type, failures in a row, when
 * the schedule table collects it next, and its last connection test.
 */
export async function connectionHealth(
  deps: { store: Store; registry: ProviderRegistry; mode: 'lambda' | 'local'; now?: Date },
  c: Pick<Connection, 'id' | 'customerId' | 'provider' | 'enabled' | 'settings'>,
): Promise<ConnectionHealth> {
  const now = deps.now ?? new Date();
  const rs = await deps.store.client.query({
    query: `SELECT task_id, status, data_types, rows, errors, finished_at, queued_at
      FROM collection_runs FINAL
      WHERE customer_id = {c:String} AND provider = {p:String} AND connection_id = {id:String}
        AND status NOT IN ('queued', 'running')
      ORDER BY queued_at DESC, task_id DESC LIMIT 200`,
    query_params: { c: c.customerId, p: c.provider, id: c.id },
    format: 'JSONEachRow',
  });
  const runs = await rs.json<{
    task_id: string;
    status: string;
    data_types: string[];
    rows: Record<string, string | number>;
    errors: Record<string, string>;
    finished_at: string | null;
  }>();
  const last_runs: ConnectionHealth['last_runs'] = {};
  for (const r of runs) {
    for (const dt of r.data_types) {
      if (last_runs[dt]) continue;
      last_runs[dt] = {
        task_id: r.task_id,
        status: r.status,
        finished_at: clickHouseTimeToIso(r.finished_at),
        rows: Number(r.rows[dt] ?? 0),
        error: r.errors[dt] ?? (r.status === 'failed' ? (Object.values(r.errors)[0] ?? null) : null),
      };
    }
  }
  const ok = runs.find((r) => r.status === 'succeeded' || r.status === 'partial');
  let consecutive_failures = 0;
  for (const r of runs) {
    if (r.status !== 'failed') break;
    consecutive_failures++;
  }
  const test = (await listConnectionEvents(deps.store, c.customerId, c.id, { action: 'test', limit: 1 }))[0];
  return {
    last_runs,
    last_success: ok ? clickHouseTimeToIso(ok.finished_at) : null,
    consecutive_failures,
    next_collection: nextCollections(deps, c, now),
    last_test: test
      ? { ok: test.ok === true, at: test.at, message: test.message, latency_ms: test.latency_ms }
      : null,
  };
}

/** When the schedule table next queues this connection, per data type its provider collects. */
export function nextCollections(
  deps: { registry: ProviderRegistry; mode: 'lambda' | 'local' },
  c: Pick<Connection, 'id' | 'customerId' | 'provider' | 'enabled' | 'settings'>,
  now: Date,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const dt of deps.registry.dataTypes(c.provider) as DataType[]) {
    let best: Date | null = null;
    if (c.enabled) {
      for (const entry of SCHEDULES) {
        if (entry.localOnly && deps.mode !== 'local') continue;
        if (!entry.dataTypes.includes(dt) || !providerMatches(entry, c.provider)) continue;
        const at = nextFiring(entry, c, dt, now);
        if (at && (!best || at < best)) best = at;
      }
    }
    out[dt] = best ? best.toISOString() : null;
  }
  return out;
}

function nextFiring(
  entry: (typeof SCHEDULES)[number],
  c: Pick<Connection, 'id' | 'customerId' | 'provider' | 'settings'>,
  dt: DataType,
  now: Date,
): Date | null {
  const every = rateToMs(entry.expression);
  if (every !== null) return new Date(Math.floor(now.getTime() / every) * every + every);
  const cron = new Cron(eventBridgeCronToStandard(entry.expression), { timezone: 'UTC', paused: true });
  const minutes = connectionIntervalMinutes(entry, c, dt);
  const candidates = cron.nextRuns(minutes === null ? 1 : 300, now);
  return candidates.find((t) => minutes === null || isDue(entry, c, minutes, t)) ?? null;
}

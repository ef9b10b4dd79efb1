import { pendingMigrations } from '../../clickhouse/migrate';
import type { RouteHandler } from '../../http/handler';
import type { Runtime } from '../../runtime';

/** GET /health (no auth) — ClickHouse reachable and migrations current; 503 otherwise. */
export const health: RouteHandler<Runtime> = async (req) => {
  const rt = req.runtime;
  const ping = await rt.store.client
    .ping()
    .catch((err: unknown) => ({ success: false as const, error: err }));
  const reachable = ping.success;
  const pending = reachable ? await pendingMigrations(rt.store) : [];
  const ok = reachable && pending.length === 0;
  return {
    status: ok ? 200 : 503,
    body: {
      status: ok ? 'ok' : 'degraded',
      clickhouse: { reachable, transport: rt.store.kind, database: rt.store.database },
      migrations: { current: reachable && pending.length === 0, pending },
      mode: rt.mode,
      time: new Date().toISOString(),
    },
  };
};

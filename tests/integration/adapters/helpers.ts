import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter } from '../../../lib/clickhouse/writer';
import { withRetry } from '../../../lib/collector/retry';
import { createRequestMeter, type RunResult, runCollection } from '../../../lib/collector/run';
import type { CollectContext, Connection, DataType, TimeWindow } from '../../../lib/collector/types';
import { staticConnections } from '../../../lib/connections/source';
import { createAdapterContext } from '../../../lib/providers/adapters';
import { parseAdapterSettings } from '../../../lib/providers/adapters/context';
import type { AdapterContext, AdapterSettings, ProviderAdapter } from '../../../lib/providers/adapters/types';
import { createRegistry } from '../../../lib/providers/registry';
import { rows, silentLogger } from '../../helpers/store';

export const HOUR = 3_600_000;
/** Tests run at a fixed instant; windows and prices are computed from it. */
export const NOW = new Date('2026-11-20T12:30:00.000Z');
export const FAST_RETRY = { maxAttempts: 3, baseMs: 1, capMs: 5 };

const FIXTURES = fileURLToPath(new URL('../../fixtures/adapters/', import.meta.url));

/** A fixture in the provider's wire format, fresh each call (tests may mutate it). */
export function fixture<T = unknown>(provider: string, name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, provider, `${name}.json`), 'utf8')) as T;
}

export function connection(
  provider: string,
  customerId: string,
  api: AdapterSettings,
  secrets: Record<string, string>,
): Connection<{ api: AdapterSettings }> {
  return { id: 'main', customerId, provider, enabled: true, settings: { api }, secrets, source: 'config' };
}

/** A CollectContext like the one runCollection builds, for calling an adapter directly. */
export function collectContext(args: {
  provider: string;
  customerId?: string;
  secrets: Record<string, string>;
  dataType?: DataType;
  window?: TimeWindow;
  taskId?: string;
  now?: Date;
}): CollectContext<unknown> {
  const now = args.now ?? NOW;
  const customerId = args.customerId ?? 'acme';
  const signal = new AbortController().signal;
  return {
    taskId: args.taskId ?? randomUUID(),
    customerId,
    provider: args.provider,
    dataType: args.dataType ?? 'resource',
    connection: connection(args.provider, customerId, {}, args.secrets),
    window: args.window ?? { start: new Date(now.getTime() - HOUR), end: now },
    signal,
    logger: silentLogger(),
    meter: createRequestMeter(),
    now: () => now,
    retry: (_label, fn) => withRetry(fn, FAST_RETRY, { signal }),
  };
}

/** An adapter context pointed at a fake server. */
export function adapterContext(
  adapter: ProviderAdapter,
  api: AdapterSettings,
  secrets: Record<string, string>,
  opts: Omit<Parameters<typeof collectContext>[0], 'provider' | 'secrets'> = {},
): AdapterContext {
  // As the provider's settings schema does once on the way into a run: the `api:` block parsed.
  return createAdapterContext(
    collectContext({ provider: adapter.id, secrets, ...opts }),
    parseAdapterSettings(adapter, api),
    adapter,
  );
}

/**
 * Runs the adapter through the real pipeline: the shipped registry (the adapter's provider
 * as GENERIC_PROVIDERS composes it with its catalog entry), runCollection, the validated
 * writer, embedded ClickHouse. Without `window`, the provider's window policy applies
 * (a scheduled run).
 */
export async function collectThroughPipeline(args: {
  store: Store;
  adapter: ProviderAdapter;
  customerId: string;
  /** The connection's `api:` block (absent: a Prometheus-only connection). */
  api?: AdapterSettings;
  /** The connection's other settings (a Prometheus next to the adapter). */
  settings?: Record<string, unknown>;
  secrets: Record<string, string>;
  dataTypes: DataType[];
  now?: Date;
  window?: TimeWindow;
}): Promise<RunResult> {
  const now = args.now ?? NOW;
  const settings = { ...args.settings, ...(args.api ? { api: args.api } : {}) };
  return runCollection(
    {
      taskId: randomUUID(),
      customerId: args.customerId,
      provider: args.adapter.id,
      dataTypes: args.dataTypes,
      trigger: 'manual',
      queuedAt: now.toISOString(),
      ...(args.window
        ? { window: { start: args.window.start.toISOString(), end: args.window.end.toISOString() } }
        : {}),
    },
    {
      store: args.store,
      writer: createWriter(args.store),
      registry: createRegistry(),
      connections: staticConnections([
        { ...connection(args.adapter.id, args.customerId, {}, args.secrets), settings },
      ]),
      logger: silentLogger(),
      retry: FAST_RETRY,
      maxBackfillMs: 30 * 24 * HOUR,
      now: () => now,
    },
  );
}

/** Rows a customer has in each table the adapters write. */
export async function storedCounts(store: Store, customerId: string) {
  const [r] = await rows<{ resources: string; costs: string; points: string }>(
    store,
    `SELECT
       (SELECT count() FROM resource_snapshots FINAL WHERE customer_id = {c:String}) AS resources,
       (SELECT count() FROM costs FINAL WHERE x_customer_id = {c:String}) AS costs,
       (SELECT count() FROM performance_points FINAL WHERE customer_id = {c:String}) AS points`,
    { c: customerId },
  );
  return { resources: Number(r?.resources), costs: Number(r?.costs), points: Number(r?.points) };
}

/** Total billed cost of a customer, exact. */
export async function storedCostTotal(store: Store, customerId: string): Promise<string> {
  const [r] = await rows<{ total: string }>(
    store,
    'SELECT toString(sum(billed_cost)) AS total FROM costs FINAL WHERE x_customer_id = {c:String}',
    { c: customerId },
  );
  return r?.total ?? '0';
}

/** A resource's stored cost rows, oldest first: charge period and exact billed cost. */
export function storedCostSlices(store: Store, customerId: string, resourceId: string) {
  return rows<{ s: string; e: string; cost: string }>(
    store,
    `SELECT toString(charge_period_start) AS s, toString(charge_period_end) AS e, toString(billed_cost) AS cost
     FROM costs FINAL WHERE x_customer_id = {c:String} AND resource_id = {r:String} ORDER BY s`,
    { c: customerId, r: resourceId },
  );
}

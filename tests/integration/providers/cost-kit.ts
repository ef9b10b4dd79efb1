import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../../lib/clickhouse/client';
import { getRun, type RunView } from '../../../lib/clickhouse/repos/runs';
import { createWriter } from '../../../lib/clickhouse/writer';
import type { RunDeps } from '../../../lib/collector/run';
import type { CollectionJob, Connection, ProviderDefinition } from '../../../lib/collector/types';
import { staticConnections } from '../../../lib/connections/source';
import { createCostSink } from '../../../lib/costs/sink';
import { createRegistry } from '../../../lib/providers/registry';
import { rows, silentLogger } from '../../helpers/store';

/** Shared wiring for the provider cost tests: the real runner, the cost sink, real ClickHouse. */

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');

export function fixtureText(path: string): string {
  return readFileSync(join(FIXTURES, path), 'utf8');
}

/** A fresh copy of a JSON fixture (tests mutate their copy, never the file). */
// biome-ignore lint/suspicious/noExplicitAny: fixtures are wire JSON that each test walks in its own way
export function fixture<T = any>(path: string): T {
  return JSON.parse(fixtureText(path)) as T;
}

export function runDeps(
  store: Store,
  // biome-ignore lint/suspicious/noExplicitAny: each provider has its own settings type
  provider: ProviderDefinition<any>,
  connections: Connection[],
  now: () => Date,
): RunDeps {
  const writer = createWriter(store);
  return {
    store,
    writer,
    registry: createRegistry([provider]),
    connections: staticConnections(connections),
    logger: silentLogger(),
    retry: { maxAttempts: 3, baseMs: 1, capMs: 5 },
    maxBackfillMs: 7 * 24 * 3_600_000,
    sinks: { cost: createCostSink(store, writer) },
    now,
  };
}

export function costJob(customerId: string, provider: string, queuedAt: Date): CollectionJob {
  return {
    taskId: randomUUID(),
    customerId,
    provider,
    dataTypes: ['cost'],
    trigger: 'manual',
    queuedAt: queuedAt.toISOString(),
  };
}

export interface CostTotals {
  rows: number;
  billed: string;
  effective: string;
}

/** What a reader sees: live facts (FINAL drops replaced and deleted versions). */
export async function costTotals(store: Store, customerId: string, where = '1'): Promise<CostTotals> {
  const [r] = await rows<{ rows: string; billed: string; effective: string }>(
    store,
    `SELECT count() AS rows, toString(sum(billed_cost)) AS billed, toString(sum(effective_cost)) AS effective
     FROM costs FINAL WHERE x_customer_id = {c:String} AND ${where}`,
    { c: customerId },
  );
  return { rows: Number(r?.rows ?? 0), billed: r?.billed ?? '0', effective: r?.effective ?? '0' };
}

/** Every version ever stored for a customer, deleted ones included (proves "nothing written"). */
export async function storedVersions(store: Store, customerId: string): Promise<number> {
  const [r] = await rows<{ n: string }>(
    store,
    'SELECT count() AS n FROM costs WHERE x_customer_id = {c:String}',
    {
      c: customerId,
    },
  );
  return Number(r?.n ?? 0);
}

export async function run(store: Store, taskId: string): Promise<RunView> {
  const view = await getRun(store, taskId);
  if (!view) throw new Error(`run ${taskId} not recorded`);
  return view;
}

import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Store } from '../../../lib/clickhouse/client';
import { getRun } from '../../../lib/clickhouse/repos/runs';
import { getWatermark } from '../../../lib/clickhouse/repos/watermarks';
import { createWriter } from '../../../lib/clickhouse/writer';
import type { RunDeps } from '../../../lib/collector/run';
import { runCollection } from '../../../lib/collector/run';
import type { CollectionJob, Connection, ProviderDefinition } from '../../../lib/collector/types';
import { staticConnections } from '../../../lib/connections/source';
import { ProviderAuthError, ProviderRateLimitError } from '../../../lib/errors';
import { createRegistry } from '../../../lib/providers/registry';
import { rows, silentLogger, testStore } from '../../helpers/store';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-20T12:00:00.000Z');

/** A provider whose figures the test controls: cost per hour for the window, and performance points. */
function fakeProvider(state: {
  amount: string;
  failPerformance?: Error;
  badRow?: boolean;
  throttleOnce?: boolean;
}) {
  let throttled = false;
  const def: ProviderDefinition<{ account: string }> = {
    id: 'fakecloud',
    displayName: 'Fake cloud',
    category: 'general_compute',
    settingsSchema: z.object({ account: z.string() }),
    windows: { cost: { initialLookbackMs: 3 * HOUR, restatementMs: 3 * HOUR } },
    collectors: {
      async *cost(ctx) {
        const page = await ctx.retry('bill', async () => {
          ctx.meter.count('bill');
          if (state.throttleOnce && !throttled) {
            throttled = true;
            throw new ProviderRateLimitError('fakecloud', 'slow down', 1);
          }
          return [0, 1, 2].map((i) => new Date(ctx.window.start.getTime() + i * HOUR));
        });
        yield page.map((start) => ({
          x_customer_id: ctx.customerId,
          x_provider: 'fakecloud',
          billing_account_id: ctx.connection.settings.account,
          service_name: 'Compute',
          charge_category: 'Usage' as const,
          billed_cost: state.badRow ? 'twelve' : state.amount,
          effective_cost: state.amount,
          billing_currency: 'USD',
          charge_period_start: start,
          charge_period_end: new Date(start.getTime() + HOUR),
          billing_period_start: '2026-11-01T00:00:00Z',
          billing_period_end: '2026-12-01T00:00:00Z',
          x_collected_at: ctx.now(),
        }));
      },
      async *performance(ctx) {
        if (state.failPerformance) throw state.failPerformance;
        yield [
          {
            customer_id: ctx.customerId,
            provider: 'fakecloud',
            resource_id: 'vm-1',
            metric: 'cpu_utilization',
            unit: 'percent',
            value: 42,
            ts: ctx.window.start,
            collected_at: ctx.now(),
          },
        ];
      },
    },
    async testConnection() {},
  };
  return def;
}

const connection = (customerId: string): Connection => ({
  id: 'main',
  customerId,
  provider: 'fakecloud',
  enabled: true,
  settings: { account: '123' },
  secrets: { token: 'super-secret-token-value' },
  source: 'config',
});

let store: Store;
beforeAll(async () => {
  store = await testStore();
});

function deps(state: Parameters<typeof fakeProvider>[0], customerId: string): RunDeps {
  return {
    store,
    writer: createWriter(store),
    registry: createRegistry([fakeProvider(state) as ProviderDefinition<unknown>]),
    connections: staticConnections([connection(customerId)]),
    logger: silentLogger(),
    retry: { maxAttempts: 3, baseMs: 1, capMs: 5 },
    maxBackfillMs: 30 * 24 * HOUR,
    now: () => NOW,
  };
}

const job = (customerId: string, dataTypes: CollectionJob['dataTypes']): CollectionJob => ({
  taskId: randomUUID(),
  customerId,
  provider: 'fakecloud',
  dataTypes,
  trigger: 'manual',
  queuedAt: NOW.toISOString(),
});

async function costTotal(customerId: string): Promise<string> {
  const [r] = await rows<{ total: string }>(
    store,
    `SELECT toString(sum(billed_cost)) AS total FROM costs FINAL WHERE x_customer_id = {c:String}`,
    { c: customerId },
  );
  return r?.total ?? '0';
}

describe('runCollection', () => {
  it('collecting the same window three times leaves every total unchanged, and restated figures replace old ones', async () => {
    const state = { amount: '1.25' };
    for (let i = 0; i < 3; i++) {
      const result = await runCollection(job('acme', ['cost']), deps(state, 'acme'));
      expect(result.status).toBe('succeeded');
      expect(result.rows).toEqual({ cost: 3 });
    }
    expect(await costTotal('acme')).toBe('3.75');
    state.amount = '2.10';
    await runCollection(job('acme', ['cost']), deps(state, 'acme'));
    expect(await costTotal('acme')).toBe('6.3');
  });

  it('records a failing data type and still collects the others (partial)', async () => {
    const state = {
      amount: '1',
      failPerformance: new ProviderAuthError('fakecloud', 'token super-secret-token-value rejected'),
    };
    const j = job('beta', ['cost', 'performance']);
    const result = await runCollection(j, deps(state, 'beta'));
    expect(result.status).toBe('partial');
    const run = await getRun(store, j.taskId);
    expect(run?.status).toBe('partial');
    expect(run?.rows_collected).toEqual({ cost: 3, performance: 0 });
    expect(run?.errors.performance).toBe('token *** rejected');
    expect(run?.billable_requests).toEqual({ bill: 1 });
  });

  it('fails the run when the only data type fails, without moving its watermark', async () => {
    const state = { amount: '1', badRow: true };
    const j = job('gamma', ['cost']);
    const result = await runCollection(j, deps(state, 'gamma'));
    expect(result.status).toBe('failed');
    expect(result.errors.cost).toMatch(/invalid row\(s\) for costs, nothing written: row 0: billed_cost/);
    expect(
      await getWatermark(store, { customerId: 'gamma', provider: 'fakecloud', dataType: 'cost' }),
    ).toBeNull();
    expect(await costTotal('gamma')).toBe('0');
  });

  it('advances the watermark to the window end after a successful write, and retries throttling', async () => {
    const state = { amount: '1', throttleOnce: true };
    const result = await runCollection(job('delta', ['cost']), deps(state, 'delta'));
    expect(result.status).toBe('succeeded');
    const wm = await getWatermark(store, { customerId: 'delta', provider: 'fakecloud', dataType: 'cost' });
    expect(wm?.toISOString()).toBe(NOW.toISOString());
  });

  it('fails with a clear message for a customer without a connection', async () => {
    const j = job('nobody', ['cost']);
    const result = await runCollection(j, { ...deps({ amount: '1' }, 'someone-else') });
    expect(result.status).toBe('failed');
    expect(result.errors.cost).toBe('no enabled connection for provider "fakecloud" and customer "nobody"');
  });
});

describe('several providers in one trigger', () => {
  it('a provider that throws gives a failed run while the others succeed', async () => {
    const { triggerCollection } = await import('../../../lib/collector/trigger');
    const broken: ProviderDefinition<unknown> = {
      id: 'brokencloud',
      displayName: 'Broken',
      category: 'general_compute',
      settingsSchema: z.unknown(),
      collectors: {
        // biome-ignore lint/correctness/useYield: it fails before yielding anything
        async *performance() {
          throw new Error('socket hang up from brokencloud');
        },
      },
      async testConnection() {},
    };
    const good = fakeProvider({ amount: '1' }) as ProviderDefinition<unknown>;
    const registry = createRegistry([good, broken]);
    const connections = staticConnections([
      connection('multi'),
      { ...connection('multi'), id: 'b', provider: 'brokencloud', settings: {} },
    ]);
    const runDeps = { ...deps({ amount: '1' }, 'multi'), registry, connections };
    const result = await triggerCollection(
      {
        customerId: 'multi',
        providers: ['fakecloud', 'brokencloud'],
        dataTypes: ['performance'],
        asyncMode: false,
      },
      {
        store,
        writer: runDeps.writer,
        registry,
        connections,
        queue: { send: async () => undefined },
        runDeps,
      },
    );
    if (result.asyncMode || 'pending' in result) throw new Error('expected a sync result');
    const byProvider = Object.fromEntries(result.runs.map((r) => [r.provider, r]));
    expect(byProvider.brokencloud?.status).toBe('failed');
    expect(byProvider.brokencloud?.errors).toEqual({ performance: 'socket hang up from brokencloud' });
    expect(byProvider.fakecloud?.status).toBe('succeeded');
    expect(byProvider.fakecloud?.rows_collected).toEqual({ performance: 1 });
  });
});

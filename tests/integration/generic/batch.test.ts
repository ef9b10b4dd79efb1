import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter } from '../../../lib/clickhouse/writer';
import type { RunDeps } from '../../../lib/collector/run';
import { triggerCollection } from '../../../lib/collector/trigger';
import type { Connection } from '../../../lib/collector/types';
import { staticConnections } from '../../../lib/connections/source';
import { createRegistry } from '../../../lib/providers/registry';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { rows, silentLogger, testStore } from '../../helpers/store';

/**
 * One trigger naming several catalog providers: the jobs run concurrently, never more at
 * once than the bound, and each provider's points land under its own id.
 */

const PROVIDERS = ['onprem', 'prometheus', 'runpod', 'vastai', 'hetzner'] as const;
const CUSTOMER = 'batch-acme';

let store: Store;
const servers = new Map<string, FakeServer>();
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  store = await testStore();
  for (const provider of PROVIDERS) {
    const server = await startFakeServer(async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 300));
      inFlight--;
      const now = Math.floor(Date.now() / 60_000) * 60 - 60;
      return {
        body: {
          status: 'success',
          data: {
            resultType: 'matrix',
            result: [{ metric: { instance: `${provider}-node:9100` }, values: [[now, '1.5']] }],
          },
        },
      };
    });
    servers.set(provider, server);
  }
});
afterAll(async () => {
  for (const s of servers.values()) await s.close();
});

function connections(): Connection[] {
  const list: Connection[] = PROVIDERS.map((provider) => ({
    id: 'main',
    customerId: CUSTOMER,
    provider,
    enabled: true,
    settings: {
      prometheus: {
        url: servers.get(provider)!.url,
        query_sets: [],
        query_concurrency: 1,
        queries: [{ id: 'load', metric: 'load_average_1m', unit: 'count', query: 'node_load1{$__selector}' }],
      },
    },
    secrets: {},
    source: 'config' as const,
  }));
  list.push({ ...list[0]!, provider: 'linode', enabled: false });
  return list;
}

function deps(concurrency: number) {
  const registry = createRegistry();
  const source = staticConnections(connections());
  const runDeps: RunDeps = {
    store,
    writer: createWriter(store),
    registry,
    connections: source,
    logger: silentLogger(),
    retry: { maxAttempts: 1, baseMs: 1, capMs: 1 },
    maxBackfillMs: 24 * 3_600_000,
  };
  return {
    store,
    writer: runDeps.writer,
    registry,
    connections: source,
    queue: { send: async () => {} },
    runDeps,
    concurrency,
  };
}

describe('batch collection of catalog providers', () => {
  it('collects several providers in one trigger, at most `concurrency` at a time', async () => {
    maxInFlight = 0;

    const result = await triggerCollection(
      { customerId: CUSTOMER, providers: [...PROVIDERS], dataTypes: ['performance'], asyncMode: false },
      deps(2),
    );

    expect(result.asyncMode).toBe(false);
    if (result.asyncMode || 'pending' in result) throw new Error('expected finished runs');
    expect(result.runs.map((r) => [r.provider, r.status]).sort()).toEqual(
      PROVIDERS.map((p) => [p, 'succeeded']).sort(),
    );
    expect(maxInFlight).toBe(2);
    const stored = await rows<{ provider: string; resource_id: string }>(
      store,
      `SELECT DISTINCT provider, resource_id FROM performance_points FINAL WHERE customer_id = {c:String} ORDER BY provider`,
      { c: CUSTOMER },
    );
    expect(stored).toEqual([...PROVIDERS].sort().map((p) => ({ provider: p, resource_id: `${p}-node` })));
  });

  it('"all" takes every enabled connection of the customer, and a bound of 1 runs them one by one', async () => {
    maxInFlight = 0;

    const result = await triggerCollection(
      { customerId: CUSTOMER, providers: 'all', dataTypes: ['performance'], asyncMode: false },
      deps(1),
    );

    if (result.asyncMode || 'pending' in result) throw new Error('expected a synchronous trigger');
    expect(result.jobs.map((j) => j.provider).sort()).toEqual([...PROVIDERS].sort());
    expect(result.runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(maxInFlight).toBe(1);
  });
});

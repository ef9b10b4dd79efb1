import { Cron } from 'croner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { listRuns } from '../../../lib/clickhouse/repos/runs';
import { planScheduledJobs } from '../../../lib/collector/dispatch';
import { runCollection } from '../../../lib/collector/run';
import type { CollectionJob, Connection } from '../../../lib/collector/types';
import { awsProvider } from '../../../lib/providers/aws';
import type { AwsSettings } from '../../../lib/providers/aws/config';
import { eventBridgeCronToStandard, SCHEDULES } from '../../../lib/schedules';
import {
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
  startFakeServer,
} from '../../helpers/fake-server';
import { testStore } from '../../helpers/store';
import { costJob, costTotals, fixture, fixtureText, runDeps } from './cost-kit';

const DAY = new Date('2026-11-12T00:00:00.000Z');
const COST = SCHEDULES.find((s) => s.id === 'cost');

/** The cost schedule's ticks in one UTC day, as EventBridge (or the local scheduler) fires them. */
function ticksOf(day: Date): Date[] {
  if (!COST) throw new Error('no cost schedule entry');
  const cron = new Cron(eventBridgeCronToStandard(COST.expression), { timezone: 'UTC', paused: true });
  const ticks: Date[] = [];
  let at: Date | null = new Date(day.getTime() - 1);
  for (;;) {
    at = cron.nextRun(at);
    if (!at || at.getTime() >= day.getTime() + 86_400_000) return ticks;
    ticks.push(at);
  }
}

const target = (r: RecordedRequest) => String(r.headers['x-amz-target'] ?? '');
const isCe = (r: RecordedRequest) => target(r).startsWith('AWSInsightsIndexService.');

/**
 * A Cost Explorer that splits every GetCostAndUsage answer into `pages` pages (the
 * fixture's days spread over them) and answers GetCostAndUsageWithResources in one.
 */
function pagedCostExplorer(pages: number) {
  return (r: RecordedRequest): FakeReply => {
    if (!isCe(r))
      return {
        headers: { 'content-type': 'text/xml' },
        body: fixtureText('aws/sts/get-caller-identity.xml'),
      };
    const json = (body: unknown): FakeReply => ({
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify(body),
    });
    if (target(r).endsWith('WithResources'))
      return json(fixture('aws/cost-explorer/get-cost-and-usage-with-resources.json'));
    const all = [
      ...fixture('aws/cost-explorer/get-cost-and-usage-page-1.json').ResultsByTime,
      ...fixture('aws/cost-explorer/get-cost-and-usage-page-2.json').ResultsByTime,
    ];
    const token = (JSON.parse(r.body) as { NextPageToken?: string }).NextPageToken;
    const index = token ? Number(token.replace('page-', '')) : 0;
    const size = Math.ceil(all.length / pages);
    return json({
      GroupDefinitions: [
        { Type: 'DIMENSION', Key: 'SERVICE' },
        { Type: 'DIMENSION', Key: 'LINKED_ACCOUNT' },
      ],
      ResultsByTime: all.slice(index * size, (index + 1) * size),
      DimensionValueAttributes: [],
      ...(index + 1 < pages ? { NextPageToken: `page-${index + 1}` } : {}),
    });
  };
}

let store: Store;
let fake: FakeServer;
beforeAll(async () => {
  store = await testStore();
  fake = await startFakeServer();
});
afterAll(async () => {
  await fake.close();
});

function connection(customerId: string, settings: Partial<AwsSettings> = {}): Connection {
  return {
    id: 'payer',
    customerId,
    provider: 'aws',
    enabled: true,
    settings: { endpoint: fake.url, ...settings },
    secrets: { access_key_id: 'TESTACCESSKEYID00001', secret_access_key: 'local-secret-key' },
    source: 'config',
  };
}

/** Runs every tick of the default cost schedule over one day, the way dispatch + worker do. */
async function simulateDay(conn: Connection, day: Date, manualAt?: Date) {
  const results: { at: Date; status: string; job: CollectionJob }[] = [];
  const ticks = ticksOf(day).map((at) => ({ at, manual: false }));
  if (manualAt) ticks.push({ at: manualAt, manual: true });
  ticks.sort((a, b) => a.at.getTime() - b.at.getTime());
  for (const { at, manual } of ticks) {
    const deps = runDeps(store, awsProvider, [conn], () => at);
    const jobs = manual
      ? [costJob(conn.customerId, 'aws', at)]
      : await planScheduledJobs(COST as NonNullable<typeof COST>, {
          connections: deps.connections,
          registry: deps.registry,
          now: at,
        });
    for (const job of jobs) {
      const result = await runCollection(job, deps);
      results.push({ at, status: result.status, job });
    }
  }
  return results;
}

async function recordedSpend(customerId: string): Promise<number> {
  const runs = await listRuns(store, customerId, { provider: 'aws', limit: 100 });
  return runs.reduce((sum, r) => sum + Object.values(r.billable_requests).reduce((a, b) => a + b, 0), 0);
}

describe('Cost Explorer request budget over a simulated day of the default cost schedule', () => {
  it('the default schedule fires at the billing refresh cadence (three times a day), not every 15 minutes', () => {
    expect(ticksOf(DAY).map((t) => t.toISOString())).toEqual([
      '2026-11-12T01:20:00.000Z',
      '2026-11-12T09:20:00.000Z',
      '2026-11-12T17:20:00.000Z',
    ]);
  });

  it('with default settings a day of collections stays within 8 Cost Explorer requests, and every one is recorded', async () => {
    fake.handle(pagedCostExplorer(2));
    fake.requests.length = 0;
    const results = await simulateDay(connection('budget-default'), DAY);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const made = fake.requests.filter(isCe).length;
    expect(made).toBe(6);
    expect(made).toBeLessThanOrEqual(8);
    expect(await recordedSpend('budget-default')).toBe(made);
    expect((await costTotals(store, 'budget-default')).billed).toBe('8940.5182832608');
  });

  it('skips the run that could cross the budget, with the reason recorded, and never exceeds it', async () => {
    // Three pages plus the resource query: four requests a run, so only two runs fit in eight.
    fake.handle(pagedCostExplorer(3));
    fake.requests.length = 0;
    const manualAt = new Date('2026-11-12T12:00:00.000Z');
    const results = await simulateDay(
      connection('budget-skip', { resource_level_costs: true }),
      DAY,
      manualAt,
    );
    expect(results.map((r) => [r.at.toISOString(), r.status])).toEqual([
      ['2026-11-12T01:20:00.000Z', 'succeeded'],
      ['2026-11-12T09:20:00.000Z', 'succeeded'],
      ['2026-11-12T12:00:00.000Z', 'skipped'],
      ['2026-11-12T17:20:00.000Z', 'skipped'],
    ]);
    const made = fake.requests.filter(isCe).length;
    expect(made).toBe(8);
    expect(await recordedSpend('budget-skip')).toBe(8);
    const skipped = (await listRuns(store, 'budget-skip', { status: 'skipped' }))[0];
    expect(skipped?.skipped_reason).toBe(
      'cost: Cost Explorer budget: 8 of 8 requests used today (UTC) and a run needs about 4; skipped until the budget resets at 00:00 UTC (connection setting cost_explorer_daily_budget)',
    );
    expect(skipped?.billable_requests).toEqual({});

    // The next UTC day starts a fresh budget.
    fake.requests.length = 0;
    const nextDay = await simulateDay(
      connection('budget-skip', { resource_level_costs: true }),
      new Date(DAY.getTime() + 86_400_000),
    );
    expect(nextDay.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'skipped']);
    expect(fake.requests.filter(isCe).length).toBe(8);
  });

  it('stops a run mid-way at the budget before requesting a page it may not pay for, writing nothing', async () => {
    fake.handle(pagedCostExplorer(5));
    fake.requests.length = 0;
    const results = await simulateDay(connection('budget-cap', { cost_explorer_daily_budget: 3 }), DAY);
    expect(results.map((r) => r.status)).toEqual(['failed', 'skipped', 'skipped']);
    expect(fake.requests.filter(isCe).length).toBe(3);
    const [failed] = await listRuns(store, 'budget-cap', { status: 'failed' });
    expect(failed?.billable_requests).toEqual({ 'ce:GetCostAndUsage': 3 });
    expect(failed?.errors.cost).toBe(
      "ce:GetCostAndUsage: the connection's daily Cost Explorer budget (cost_explorer_daily_budget = 3) is spent after 3 request(s) in this run; stopped before the next page, nothing written",
    );
    expect((await costTotals(store, 'budget-cap')).rows).toBe(0);
  });

  it('a budget of 0 turns Cost Explorer collection off with a recorded reason', async () => {
    fake.handle(pagedCostExplorer(1));
    fake.requests.length = 0;
    const results = await simulateDay(connection('budget-zero', { cost_explorer_daily_budget: 0 }), DAY);
    expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(fake.requests.filter(isCe)).toHaveLength(0);
    const [skipped] = await listRuns(store, 'budget-zero', { status: 'skipped' });
    expect(skipped?.skipped_reason).toBe(
      'cost: Cost Explorer budget is 0 requests per day (connection setting cost_explorer_daily_budget); run skipped',
    );
  });
});

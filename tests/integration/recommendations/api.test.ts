import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RECOMMENDATIONS_HANDLERS } from '../../../lib/api/handlers/recommendations';
import { RECOMMENDATIONS_ROUTES } from '../../../lib/api/routes/recommendations';
import type { Store } from '../../../lib/clickhouse/client';
import { createWriter, type Writer } from '../../../lib/clickhouse/writer';
import { parseConfig } from '../../../lib/config/schema';
import { createRuntime, type Runtime } from '../../../lib/runtime';
import type { PerformancePointInput, ResourceSnapshotInput } from '../../../lib/schemas/rows';
import { routeCaller } from '../../helpers/route-call';
import { silentLogger, testStore } from '../../helpers/store';

const C = 'rec-acme';
const OTHER = 'rec-globex';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Evaluations run at the real clock: plant everything relative to the current hour.
const NOW = Math.floor(Date.now() / HOUR) * HOUR;

let store: Store;
let writer: Writer;
let runtime: Runtime;
const call = routeCaller(RECOMMENDATIONS_ROUTES, RECOMMENDATIONS_HANDLERS, () => runtime, C);

const snap = (customer: string, at: number, r: Partial<ResourceSnapshotInput>): ResourceSnapshotInput => ({
  customer_id: customer,
  provider: 'aws',
  snapshot_at: new Date(at),
  resource_id: 'x',
  resource_type: 'vm',
  status: 'running',
  region: 'us-east-1',
  price_currency: 'USD',
  ...r,
});

/** Hourly points of one series over the last `days` days (up to the current hour). */
function hourly(
  customer: string,
  provider: string,
  id: string,
  metric: string,
  value: number,
  days = 14,
  dimension = '',
): PerformancePointInput[] {
  return Array.from({ length: days * 24 }, (_, i) => ({
    customer_id: customer,
    provider,
    resource_id: id,
    resource_name: id,
    metric,
    dimension,
    unit: metric.startsWith('network') ? 'bytes_per_second' : 'percent',
    value,
    ts: new Date(NOW - i * HOUR - 60_000),
    collected_at: new Date(NOW),
  }));
}

const machine = (customer: string, id: string, cpu: number) => [
  ...hourly(customer, 'aws', id, 'cpu_utilization', cpu),
  ...hourly(customer, 'aws', id, 'network_in', 10),
  ...hourly(customer, 'aws', id, 'network_out', 10),
];

beforeAll(async () => {
  store = await testStore();
  writer = createWriter(store);
  const dir = mkdtempSync(join(tmpdir(), 'rec-apps-'));
  const appsFile = join(dir, 'applications.yaml');
  writeFileSync(
    appsFile,
    `applications:
  - customer_id: ${C}
    application: support-bot
    provider: aws
    runs_on:
      resources: [i-llm]
  - customer_id: ${C}
    application: faq-bot
    provider: aws
`,
  );
  const env = { LOG_LEVEL: 'SILENT', OPTIINFRA_APPLICATIONS_FILE: appsFile };
  runtime = await createRuntime(parseConfig(env), { mode: 'lambda', env, store, logger: silentLogger() });

  const now = NOW - 5 * 60_000;
  await writer.write('resource_snapshots', [
    // 40 days ago: the orphaned volume already existed, unattached.
    snap(C, NOW - 40 * DAY, {
      resource_id: 'vol-orphan',
      resource_type: 'disk',
      status: 'available',
      sku: 'gp3',
      price_currency: '',
      attributes: { size_gib: 100, attached_to: [] },
    }),
    snap(C, now, {
      resource_id: 'i-idle',
      name: 'idle-box',
      sku: 't3.medium',
      vcpus: 2,
      memory_gib: 4,
      hourly_price: '0.0416',
    }),
    snap(C, now, {
      resource_id: 'i-busy',
      sku: 't3.medium',
      vcpus: 2,
      memory_gib: 4,
      hourly_price: '0.0416',
    }),
    snap(C, now, { resource_id: 'i-gap', sku: 't3.medium', vcpus: 2, memory_gib: 4, hourly_price: '0.0416' }),
    snap(C, now, {
      resource_id: 'i-gpu',
      name: 'gpu-host-1',
      sku: 'g5.12xlarge',
      vcpus: 48,
      memory_gib: 192,
      gpu_count: 2,
      hourly_price: '3.06',
    }),
    snap(C, now, {
      resource_id: 'vol-orphan',
      resource_type: 'disk',
      status: 'available',
      sku: 'gp3',
      price_currency: '',
      attributes: { size_gib: 100, attached_to: [] },
    }),
    snap(OTHER, now, {
      resource_id: 'i-other',
      sku: 't3.large',
      vcpus: 2,
      memory_gib: 8,
      hourly_price: '0.0832',
    }),
  ]);
  await writer.write('performance_points', [
    ...machine(C, 'i-idle', 2),
    ...machine(C, 'i-busy', 60),
    // 5 days of an idle-looking machine: too little data to call it idle.
    ...hourly(C, 'aws', 'i-gap', 'cpu_utilization', 1, 5),
    ...hourly(C, 'aws', 'i-gap', 'network_in', 1, 5),
    ...hourly(C, 'aws', 'i-gap', 'network_out', 1, 5),
    // The GPU host: CPU busy in CloudWatch, both GPUs idle in DCGM (Prometheus names the host).
    ...machine(C, 'i-gpu', 90),
    ...hourly(C, 'prometheus', 'gpu-host-1', 'gpu_utilization', 0.5, 14, '0'),
    ...hourly(C, 'prometheus', 'gpu-host-1', 'gpu_utilization', 1, 14, '1'),
    ...machine(OTHER, 'i-other', 1),
  ]);
});

const ids = (body: { recommendations: Array<{ resource_id: string; kind: string }> }) =>
  body.recommendations.map((r) => `${r.kind}:${r.resource_id}`).sort();

describe('recommendations API', () => {
  it('answers an empty list with the reason before any evaluation', async () => {
    const res = await call('recommendations-list', { provider: 'all' });
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(0);
    expect(res.body.reason).toMatch(/not evaluated yet/);
  });

  it('finds exactly the planted waste, with exact savings, and says what it skipped', async () => {
    const trig = await call('recommendations-trigger', { body: { customer_id: C } });
    expect(trig.status).toBe(200);
    expect(trig.body.error).toBeUndefined();
    expect(trig.body).toMatchObject({ status: 'succeeded', open: 3, resolved: 0 });

    const list = await call('recommendations-list', { provider: 'all' });
    expect(ids(list.body)).toEqual(['idle_gpu:i-gpu', 'idle_instance:i-idle', 'orphaned_storage:vol-orphan']);
    const byKind = Object.fromEntries(list.body.recommendations.map((r: { kind: string }) => [r.kind, r]));
    expect(byKind.idle_instance.monthly_savings).toBe('30.368');
    expect(byKind.idle_gpu.monthly_savings).toBe('2233.8');
    expect(byKind.orphaned_storage.monthly_savings).toBe('8');
    expect(byKind.idle_instance.resource).toEqual({
      id: 'i-idle',
      name: 'idle-box',
      type: 'vm',
      region: 'us-east-1',
      provider: 'aws',
      sku: 't3.medium',
    });
    expect(byKind.idle_instance.evidence[0]).toMatchObject({
      metric: 'cpu_utilization',
      max: 2,
      points: 336,
      hours: 336,
    });
    expect(list.body.skipped.resources).toEqual([
      {
        provider: 'aws',
        resource_id: 'i-gap',
        kind: 'idle_instance',
        reason: 'coverage 35.7% of the 14-day lookback is below 80%',
      },
      {
        provider: 'aws',
        resource_id: 'i-gap',
        kind: 'oversized_instance',
        reason: 'coverage 35.7% of the 14-day lookback is below 80%',
      },
    ]);

    const summary = await call('recommendations-summary', { provider: 'all' });
    expect(summary.body.totals).toEqual([{ currency: 'USD', count: 3, monthly_savings: '2272.168' }]);
    expect(summary.body.counts).toEqual({ open: 3, dismissed: 0, resolved: 0 });
    expect(summary.body.open_by_kind).toEqual([
      { kind: 'idle_gpu', currency: 'USD', count: 1, monthly_savings: '2233.8' },
      { kind: 'idle_instance', currency: 'USD', count: 1, monthly_savings: '30.368' },
      { kind: 'orphaned_storage', currency: 'USD', count: 1, monthly_savings: '8' },
    ]);
  });

  it('filters by kind, state, min_savings and resource, and refuses bad values with a 400', async () => {
    expect(
      ids((await call('recommendations-list', { provider: 'aws', query: { kind: 'idle_gpu' } })).body),
    ).toEqual(['idle_gpu:i-gpu']);
    expect(
      ids((await call('recommendations-list', { provider: 'aws', query: { min_savings: '30.368' } })).body),
    ).toEqual(['idle_gpu:i-gpu', 'idle_instance:i-idle']);
    expect(
      ids((await call('recommendations-list', { provider: 'aws', query: { resource: 'vol-orphan' } })).body),
    ).toEqual(['orphaned_storage:vol-orphan']);
    expect(
      (await call('recommendations-list', { provider: 'aws', query: { state: 'dismissed' } })).body.count,
    ).toBe(0);
    for (const query of [
      { kind: 'nope' },
      { state: 'gone' },
      { min_savings: '-1' },
      { extra: '1' },
    ] as Record<string, string>[]) {
      const res = await call('recommendations-list', { provider: 'aws', query });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
    }
    expect((await call('recommendations-list', { provider: 'nosuchcloud' })).status).toBe(404);
  });

  it('keeps tenants apart', async () => {
    const list = await call('recommendations-list', { provider: 'all' });
    const id = list.body.recommendations[0].id;
    expect((await call('recommendations-list', { customer: OTHER, provider: 'all' })).status).toBe(403);
    const theirs = await call('recommendations-item', {
      customer: OTHER,
      extraPath: { id },
      auth: { customer_id: OTHER },
    });
    expect(theirs.status).toBe(404);
    expect((await call('recommendations-trigger', { body: { customer_id: OTHER } })).status).toBe(403);
    const status = await call('recommendations-status', {
      extraPath: { task_id: list.body.recommendations[0].task_id },
      auth: { customer_id: OTHER },
    });
    expect(status.status).toBe(404);
  });

  it('keeps a dismissal across re-evaluation, reopens after its date, resolves when usage rises', async () => {
    const list = await call('recommendations-list', { provider: 'all' });
    const idle = list.body.recommendations.find((r: { kind: string }) => r.kind === 'idle_instance');
    const orphan = list.body.recommendations.find((r: { kind: string }) => r.kind === 'orphaned_storage');
    const bad = await call('recommendations-dismiss', { extraPath: { id: idle.id }, body: {} });
    expect(bad.status).toBe(400);
    const d1 = await call('recommendations-dismiss', {
      extraPath: { id: idle.id },
      body: { reason: 'batch box, idle by design' },
    });
    expect(d1.body).toMatchObject({
      state: 'dismissed',
      dismiss_reason: 'batch box, idle by design',
      dismissed_until: null,
    });
    const past = new Date(NOW - DAY).toISOString().replace('.000Z', 'Z');
    await call('recommendations-dismiss', {
      extraPath: { id: orphan.id },
      body: { reason: 'later', until: past },
    });

    const again = await call('recommendations-trigger', { body: { customer_id: C } });
    expect(again.body).toMatchObject({ open: 2, dismissed: 1 });
    expect((await call('recommendations-item', { extraPath: { id: idle.id } })).body.state).toBe('dismissed');
    const reopened = (await call('recommendations-item', { extraPath: { id: orphan.id } })).body;
    expect(reopened.state).toBe('open');
    expect(reopened.first_seen).toBe(orphan.first_seen);

    // The idle box gets busy: the last day of CPU at 50 % (peak above 5 %).
    await writer.write('performance_points', hourly(C, 'aws', 'i-idle', 'cpu_utilization', 50, 1));
    const third = await call('recommendations-trigger', { body: { customer_id: C } });
    expect(third.body).toMatchObject({ open: 2, resolved: 1 });
    const resolved = (await call('recommendations-item', { extraPath: { id: idle.id } })).body;
    expect(resolved.state).toBe('resolved');
    const status = await call('recommendations-status', { extraPath: { task_id: third.body.task_id } });
    expect(status.body).toMatchObject({ task_id: third.body.task_id, status: 'succeeded', resolved: 1 });
  });
});

describe('unit economics', () => {
  it('divides the attributed cost of the resources an app runs on over its requests and passing answers', async () => {
    const start = NOW - 30 * DAY;
    // i-llm runs 10 hours at 1.5/h in the period: 15.
    await writer.write(
      'resource_snapshots',
      Array.from({ length: 10 }, (_, h) =>
        snap(C, start + h * HOUR, {
          resource_id: 'i-llm',
          sku: 'g5.xlarge',
          vcpus: 4,
          memory_gib: 16,
          hourly_price: '1.5',
        }),
      ),
    );
    const sample = (app: string, model: string, i: number) => ({
      customer_id: C,
      application: app,
      provider: 'aws',
      model,
      request_id: `${app}-${model}-${i}`,
      source: 'ingest' as const,
      sample_ts: new Date(start + DAY + i * 1000),
      sampling_bucket: 0,
      received_at: new Date(start + DAY),
    });
    await writer.write('application_samples', [
      ...Array.from({ length: 300 }, (_, i) => sample('support-bot', 'model-a', i)),
      ...Array.from({ length: 100 }, (_, i) => sample('support-bot', 'model-b', i)),
      ...Array.from({ length: 50 }, (_, i) => sample('faq-bot', 'model-a', i)),
    ]);
    const verdict = (i: number, accuracy: number, hallucination: 0 | 1, toxic: 0 | 1) => ({
      customer_id: C,
      application: 'support-bot',
      provider: 'aws',
      model: 'model-a',
      request_id: `support-bot-model-a-${i}`,
      sample_ts: new Date(start + DAY + i * 1000),
      status: 'evaluated' as const,
      accuracy,
      hallucination,
      toxic,
      evaluated_at: new Date(start + 2 * DAY),
    });
    await writer.write('application_evaluations', [
      verdict(0, 0.8, 0, 0),
      verdict(1, 0.9, 0, 0),
      verdict(2, 0.7, 0, 0),
      verdict(3, 0.5, 0, 0), // below 0.7
      verdict(4, 0.95, 1, 0), // hallucinated
      verdict(5, 0.95, 0, 1), // toxic
    ]);
    const query = {
      start: new Date(start).toISOString().replace('.000Z', 'Z'),
      end: new Date(NOW + HOUR).toISOString().replace('.000Z', 'Z'),
    };
    const res = await call('recommendations-summary', { provider: 'all', query });
    expect(res.body.error).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.body.unit_economics).toEqual({
      min_accuracy: 0.7,
      applications: [
        {
          application: 'faq-bot',
          model: 'model-a',
          requests: 50,
          judged: 0,
          passing: 0,
          cost: null,
          currency: null,
          cost_per_1000_requests: null,
          cost_per_1000_passing: null,
          cost_basis:
            'no cost mapping: name the resources or tags the application runs on (runs_on in the applications file)',
        },
        {
          application: 'support-bot',
          model: 'model-a',
          requests: 300,
          judged: 6,
          passing: 3,
          // 15 × 300 / 400
          cost: '11.25',
          currency: 'USD',
          cost_per_1000_requests: '37.5',
          cost_per_1000_passing: '3750',
          cost_basis: expect.stringMatching(
            /^hourly list price × running hours .*\(10 h over 1 resource\(s\)\).*300 of 400/,
          ),
        },
        {
          application: 'support-bot',
          model: 'model-b',
          requests: 100,
          judged: 0,
          passing: 0,
          cost: '3.75',
          currency: 'USD',
          cost_per_1000_requests: '37.5',
          cost_per_1000_passing: null,
          cost_basis: expect.stringMatching(/100 of 400/),
        },
      ],
    });
    const strict = await call('recommendations-summary', {
      provider: 'all',
      query: { ...query, min_accuracy: '0.85' },
    });
    expect(strict.body.unit_economics.applications[1]).toMatchObject({
      passing: 1,
      cost_per_1000_passing: '11250',
    });
    expect((await call('recommendations-summary', { provider: 'all', query: { days: '0' } })).status).toBe(
      400,
    );
  });
});

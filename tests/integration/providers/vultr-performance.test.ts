import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { getWatermark } from '../../../lib/clickhouse/repos/watermarks';
import type { Runtime } from '../../../lib/runtime';
import { collectionRuntime, connectionsFor, runJob } from '../../helpers/collect';
import {
  type FakeHandler,
  type FakeReply,
  type FakeServer,
  startFakeServer,
} from '../../helpers/fake-server';
import { fixture } from '../../helpers/fixtures';
import { rows, testStore } from '../../helpers/store';

const API_KEY = 'VULTR-TEST-KEY-77aa01';
const CUSTOMERS = ['vp-full', 'vp-throttle', 'vp-midway'];
const NOW = '2026-11-20T12:00:00.000Z';

let server: FakeServer;
let store: Store;
let runtime: Runtime;

function vultr(override?: (req: Parameters<FakeHandler>[0]) => FakeReply | undefined): FakeHandler {
  return (req) => {
    const o = override?.(req);
    if (o) return o;
    if (req.headers.authorization !== `Bearer ${API_KEY}`)
      return { status: 401, body: fixture('vultr', 'error-401.json') };
    if (req.path === '/v2/instances') {
      return {
        body: fixture('vultr', req.query.get('cursor') ? 'instances-page2.json' : 'instances-page1.json'),
      };
    }
    if (/^\/v2\/instances\/[0-9a-f-]+\/bandwidth$/.test(req.path))
      return { body: fixture('vultr', 'bandwidth.json') };
    return { status: 404, body: { error: 'Not found', status: 404 } };
  };
}

beforeAll(async () => {
  server = await startFakeServer();
  store = await testStore();
  const connections = connectionsFor('vultr', CUSTOMERS, { base_url: server.url }, { api_key: API_KEY });
  runtime = await collectionRuntime(store, connections);
});

afterAll(() => server.close());

interface Point {
  resource_id: string;
  resource_name: string;
  resource_type: string;
  region: string;
  metric: string;
  unit: string;
  value: number;
  ts: string;
  source_metric: string;
  labels: Record<string, string>;
}

async function points(customerId: string): Promise<Point[]> {
  return rows<Point>(
    store,
    `SELECT resource_id, resource_name, resource_type, region, metric, unit, value, toString(ts) AS ts, source_metric, labels
     FROM performance_points FINAL WHERE customer_id = {c:String}
     ORDER BY resource_name, metric, ts`,
    { c: customerId },
  );
}

describe('Vultr performance collector (real fetch against a Vultr API stand-in)', () => {
  it('turns each instance’s daily bandwidth into network_in/out bytes per second for the days in the window', async () => {
    server.handle(vultr());
    server.requests.length = 0;

    const result = await runJob(runtime, {
      customerId: 'vp-full',
      provider: 'vultr',
      dataTypes: ['performance'],
      now: NOW,
    });

    expect(result.status).toBe('succeeded');
    // 5 instances × 3 days in the 7-day first window × 2 metrics; the day in October is outside it.
    expect(result.rows).toEqual({ performance: 30 });
    expect(server.requests.filter((r) => r.path.endsWith('/bandwidth'))).toHaveLength(5);
    const api1 = (await points('vp-full')).filter((p) => p.resource_name === 'api-1');
    expect(api1).toEqual([
      {
        resource_id: 'cb676a46-66fd-4dfb-b839-443f2e6c0b60',
        resource_name: 'api-1',
        resource_type: 'vm',
        region: 'ewr',
        metric: 'network_in',
        unit: 'bytes_per_second',
        value: 100000,
        ts: '2026-11-18 00:00:00.000',
        source_metric: 'bandwidth.incoming_bytes',
        labels: { period: 'P1D' },
      },
      {
        resource_id: 'cb676a46-66fd-4dfb-b839-443f2e6c0b60',
        resource_name: 'api-1',
        resource_type: 'vm',
        region: 'ewr',
        metric: 'network_in',
        unit: 'bytes_per_second',
        value: 50000,
        ts: '2026-11-19 00:00:00.000',
        source_metric: 'bandwidth.incoming_bytes',
        labels: { period: 'P1D' },
      },
      // today: 2.16 GB in the 12 hours elapsed
      {
        resource_id: 'cb676a46-66fd-4dfb-b839-443f2e6c0b60',
        resource_name: 'api-1',
        resource_type: 'vm',
        region: 'ewr',
        metric: 'network_in',
        unit: 'bytes_per_second',
        value: 50000,
        ts: '2026-11-20 00:00:00.000',
        source_metric: 'bandwidth.incoming_bytes',
        labels: { period: 'P1D' },
      },
      {
        resource_id: 'cb676a46-66fd-4dfb-b839-443f2e6c0b60',
        resource_name: 'api-1',
        resource_type: 'vm',
        region: 'ewr',
        metric: 'network_out',
        unit: 'bytes_per_second',
        value: 200000,
        ts: '2026-11-18 00:00:00.000',
        source_metric: 'bandwidth.outgoing_bytes',
        labels: { period: 'P1D' },
      },
      {
        resource_id: 'cb676a46-66fd-4dfb-b839-443f2e6c0b60',
        resource_name: 'api-1',
        resource_type: 'vm',
        region: 'ewr',
        metric: 'network_out',
        unit: 'bytes_per_second',
        value: 10000,
        ts: '2026-11-19 00:00:00.000',
        source_metric: 'bandwidth.outgoing_bytes',
        labels: { period: 'P1D' },
      },
      {
        resource_id: 'cb676a46-66fd-4dfb-b839-443f2e6c0b60',
        resource_name: 'api-1',
        resource_type: 'vm',
        region: 'ewr',
        metric: 'network_out',
        unit: 'bytes_per_second',
        value: 10000,
        ts: '2026-11-20 00:00:00.000',
        source_metric: 'bandwidth.outgoing_bytes',
        labels: { period: 'P1D' },
      },
    ]);
    const wm = await getWatermark(store, {
      customerId: 'vp-full',
      provider: 'vultr',
      dataType: 'performance',
    });
    expect(wm?.toISOString()).toBe(NOW);

    // The next run re-reads yesterday and today only, and replaces today's growing figure.
    server.requests.length = 0;
    const later = await runJob(runtime, {
      customerId: 'vp-full',
      provider: 'vultr',
      dataTypes: ['performance'],
      now: '2026-11-20T18:00:00.000Z',
    });
    expect(later.rows).toEqual({ performance: 20 });
    const today = (await points('vp-full')).filter(
      (p) => p.resource_name === 'api-1' && p.ts === '2026-11-20 00:00:00.000',
    );
    expect(today.map((p) => `${p.metric}=${p.value}`)).toEqual([
      'network_in=33333.333333',
      'network_out=6666.666667',
    ]);
    expect(await points('vp-full')).toHaveLength(30);
  });

  it('retries a throttled bandwidth call and then succeeds', async () => {
    let throttled = false;
    server.handle(
      vultr((req) => {
        if (req.path.endsWith('/bandwidth') && !throttled) {
          throttled = true;
          return { status: 429, headers: { 'retry-after': '0' }, body: fixture('vultr', 'error-429.json') };
        }
        return undefined;
      }),
    );
    const result = await runJob(runtime, {
      customerId: 'vp-throttle',
      provider: 'vultr',
      dataTypes: ['performance'],
      now: NOW,
    });
    expect(result.status).toBe('succeeded');
    expect(result.rows).toEqual({ performance: 30 });
  });

  it('keeps the other instances’ points when one instance keeps failing, and does not move the watermark', async () => {
    server.handle(
      vultr((req) =>
        req.path === '/v2/instances/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a/bandwidth'
          ? { status: 500, body: fixture('vultr', 'error-500.json') }
          : undefined,
      ),
    );
    const result = await runJob(runtime, {
      customerId: 'vp-midway',
      provider: 'vultr',
      dataTypes: ['performance'],
      now: NOW,
    });
    expect(result.status).toBe('failed');
    expect(result.rows).toEqual({ performance: 24 });
    expect(result.errors.performance).toMatch(
      /^vultr collection incomplete, 1 failed: GET \/v2\/instances\/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a\/bandwidth: .*HTTP 500 Internal server error$/,
    );
    expect(new Set((await points('vp-midway')).map((p) => p.resource_name))).toEqual(
      new Set(['api-1', 'api-2', 'batch-old', 'infer-a16-frac']),
    );
    expect(
      await getWatermark(store, { customerId: 'vp-midway', provider: 'vultr', dataType: 'performance' }),
    ).toBeNull();
  });
});

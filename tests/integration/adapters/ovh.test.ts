import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../lib/clickhouse/client';
import { ProviderAuthError } from '../../../lib/errors';
import { ovhAdapter } from '../../../lib/providers/adapters/ovh';
import {
  type FakeHandler,
  type FakeServer,
  type RecordedRequest,
  startFakeServer,
} from '../../helpers/fake-server';
import { rows, testStore } from '../../helpers/store';
import { adapterContext, collectThroughPipeline, fixture, storedCostTotal, storedCounts } from './helpers';

const PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const secrets = {
  application_key: 'AK7kB2x9Qw3r',
  application_secret: 'AS0123456789abcdefABCDEF01234567',
  consumer_key: 'CK9876543210fedcbaFEDCBA98765432',
};
/** The fake API's clock runs two minutes ahead of ours: requests must carry its time. */
const SKEW_S = 120;

let server: FakeServer;
let store: Store;

/** Verifies an OVH signature the way the API does: SHA-1 of AS+CK+METHOD+URL+BODY+TS. */
function signatureProblem(req: RecordedRequest, appSecret = secrets.application_secret): string | null {
  if (req.headers['x-ovh-application'] !== secrets.application_key) return 'Invalid application key';
  if (req.headers['x-ovh-consumer'] !== secrets.consumer_key) return 'This credential does not exist';
  const ts = Number(req.headers['x-ovh-timestamp']);
  if (Math.abs(ts - (Math.floor(Date.now() / 1000) + SKEW_S)) > 5) return 'Invalid timestamp';
  const text = [
    appSecret,
    secrets.consumer_key,
    req.method,
    `${server.url}${req.url}`,
    req.body,
    String(ts),
  ].join('+');
  const expected = `$1$${createHash('sha1').update(text).digest('hex')}`;
  return req.headers['x-ovh-signature'] === expected ? null : 'Invalid signature';
}

/** OVHcloud API 1.0: unauthenticated /auth/time, signed application-key requests, arrays (no paging). */
function ovh(overrides: { usage?: unknown; instances?: unknown } = {}): FakeHandler {
  return (req) => {
    if (req.path === '/1.0/auth/time') {
      return {
        headers: { 'content-type': 'application/json' },
        body: String(Math.floor(Date.now() / 1000) + SKEW_S),
      };
    }
    const problem = signatureProblem(req);
    if (problem === 'Invalid signature')
      return { status: 400, body: fixture('ovh', 'error-invalid-signature') };
    if (problem) return { status: 403, body: { class: 'Client::Forbidden', message: problem } };
    const base = `/1.0/cloud/project/${PROJECT}`;
    if (req.path === `${base}/instance`) return { body: overrides.instances ?? fixture('ovh', 'instances') };
    if (req.path === `${base}/flavor`) return { body: fixture('ovh', 'flavors') };
    if (req.path === `${base}/usage/current`)
      return { body: overrides.usage ?? fixture('ovh', 'usage-current') };
    if (req.path === base) return { body: fixture('ovh', 'project') };
    return {
      status: 404,
      body: { class: 'Client::NotFound', message: 'The requested object does not exist' },
    };
  };
}
const api = () => ({ base_url: `${server.url}/1.0`, project_id: PROJECT });

beforeAll(async () => {
  [server, store] = await Promise.all([startFakeServer(), testStore()]);
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.handle(ovh());
});

describe('ovh adapter', () => {
  it('signs every request with the server’s clock and lists instances with their flavor', async () => {
    const snapshots = await ovhAdapter.resources!(adapterContext(ovhAdapter, api(), secrets));
    expect(
      snapshots.map((s) => [s.resource_id, s.name, s.status, s.region, s.sku, s.vcpus, s.memory_gib]),
    ).toEqual([
      ['8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586', 'gpu-l40s-1', 'active', 'GRA11', 'l40s-90', 15, 90],
      ['1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b', 'api-bhs', 'active', 'BHS5', 'b3-8', 2, 8],
    ]);
    const signed = server.requests.filter((r) => r.path !== '/1.0/auth/time');
    expect(signed).toHaveLength(2);
    for (const r of signed) expect(signatureProblem(r)).toBeNull();
  });

  it('stores month-to-date cost from usage/current, replaced (not added) as the month goes on', async () => {
    const run = () =>
      collectThroughPipeline({
        store,
        adapter: ovhAdapter,
        customerId: 'ovh-store',
        api: api(),
        secrets,
        dataTypes: ['cost'],
      });
    expect(await run()).toMatchObject({ status: 'succeeded', rows: { cost: 4 } });
    expect(await storedCostTotal(store, 'ovh-store')).toBe('86.43');
    const usage = fixture<{
      hourlyUsage: { instance: { totalPrice: number; details: { totalPrice: number }[] }[] };
    }>('ovh', 'usage-current');
    usage.hourlyUsage.instance[0]!.totalPrice = 49;
    usage.hourlyUsage.instance[0]!.details[0]!.totalPrice = 49;
    server.handle(ovh({ usage }));
    await run();
    expect(await storedCostTotal(store, 'ovh-store')).toBe('88.18');
    const lines = await rows<Record<string, string>>(
      store,
      `SELECT resource_id, sku_id, service_name, charge_frequency, toString(billed_cost) AS billed, billing_currency
       FROM costs FINAL WHERE x_customer_id = 'ovh-store' ORDER BY billed_cost DESC`,
    );
    expect(lines).toEqual([
      {
        resource_id: '8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586',
        sku_id: 'l40s-90.consumption',
        service_name: 'Compute',
        charge_frequency: 'Usage-Based',
        billed: '49',
        billing_currency: 'EUR',
      },
      {
        resource_id: '1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b',
        sku_id: 'b3-8.monthly.postpaid',
        service_name: 'Compute',
        charge_frequency: 'Recurring',
        billed: '24.2',
        billing_currency: 'EUR',
      },
      {
        resource_id: '',
        sku_id: 'pcs',
        service_name: 'Object Storage',
        charge_frequency: 'Usage-Based',
        billed: '14.4',
        billing_currency: 'EUR',
      },
      {
        resource_id: 'd1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6',
        sku_id: 'classic',
        service_name: 'Block Storage',
        charge_frequency: 'Usage-Based',
        billed: '0.58',
        billing_currency: 'EUR',
      },
    ]);
  });

  it('reports an unknown consumer key clearly and writes nothing', async () => {
    const result = await collectThroughPipeline({
      store,
      adapter: ovhAdapter,
      customerId: 'ovh-auth',
      api: api(),
      secrets: { ...secrets, consumer_key: 'CK-revoked-000000' },
      dataTypes: ['resource', 'cost'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.cost).toMatch(/usage\/current: HTTP 403 This credential does not exist$/);
    expect(JSON.stringify(result.errors)).not.toContain('CK-revoked-000000');
    expect(await storedCounts(store, 'ovh-auth')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('treats a wrong application secret ("Invalid signature") as an auth failure', async () => {
    await expect(
      ovhAdapter.cost!(
        adapterContext(ovhAdapter, api(), { ...secrets, application_secret: 'wrong-secret-value' }),
      ),
    ).rejects.toThrow(ProviderAuthError);
  });

  it('signs a retry afresh after a 429 with Retry-After', async () => {
    const normal = ovh();
    let throttled = false;
    server.handle((req) => {
      if (req.path.endsWith('/usage/current') && !throttled) {
        throttled = true;
        return { status: 429, headers: { 'retry-after': '0' }, body: fixture('ovh', 'error-rate-limit') };
      }
      return normal(req);
    });
    const result = await collectThroughPipeline({
      store,
      adapter: ovhAdapter,
      customerId: 'ovh-429',
      api: api(),
      secrets,
      dataTypes: ['cost'],
    });
    expect(result).toMatchObject({ status: 'succeeded', rows: { cost: 4 } });
    const attempts = server.requests.filter((r) => r.path.endsWith('/usage/current'));
    expect(attempts).toHaveLength(2);
    for (const r of attempts) expect(signatureProblem(r)).toBeNull();
  });

  it('rejects malformed usage and writes nothing', async () => {
    const usage = fixture<{ hourlyUsage: { volume: Record<string, unknown>[] } }>('ovh', 'usage-current');
    usage.hourlyUsage.volume[0]!.totalPrice = null;
    server.handle(ovh({ usage }));
    const result = await collectThroughPipeline({
      store,
      adapter: ovhAdapter,
      customerId: 'ovh-bad',
      api: api(),
      secrets,
      dataTypes: ['cost'],
    });
    expect(result.status).toBe('failed');
    expect(result.errors.cost).toBe(
      'GET /cloud/project/{id}/usage/current: unexpected response at hourlyUsage.volume.0.totalPrice: Invalid input: expected number, received null',
    );
    expect(await storedCounts(store, 'ovh-bad')).toEqual({ resources: 0, costs: 0, points: 0 });
  });

  it('asks each signed URL once per run and again in a new run', async () => {
    const signedCalls = () => server.requests.filter((r) => r.path !== '/1.0/auth/time').length;
    await collectThroughPipeline({
      store,
      adapter: ovhAdapter,
      customerId: 'ovh-cache',
      api: api(),
      secrets,
      dataTypes: ['resource', 'cost'],
    });
    await ovhAdapter.resources!(adapterContext(ovhAdapter, api(), secrets, { taskId: 'other-run' }));
    expect(signedCalls()).toBe(5);
  });

  it('requires the project id and picks the API root from the endpoint', async () => {
    const missing = await collectThroughPipeline({
      store,
      adapter: ovhAdapter,
      customerId: 'ovh-cfg',
      api: { base_url: `${server.url}/1.0` },
      secrets,
      dataTypes: ['cost'],
    });
    expect(missing.errors.cost).toMatch(/^invalid settings for connection "main": api\.project_id: /);
    expect(adapterContext(ovhAdapter, { project_id: PROJECT, endpoint: 'ca' }, secrets).baseUrl).toBe(
      'https://ca.api.ovh.com/1.0',
    );
  });
});

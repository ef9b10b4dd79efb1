import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTIONS_ROUTES } from '../../../lib/api/routes/connections';
import { startLocalScheduler } from '../../../lib/local/scheduler';
import { PROVIDERS } from '../../../lib/providers/registry';
import { SCHEDULES } from '../../../lib/schedules';
import {
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
  startFakeServer,
} from '../../helpers/fake-server';
import { fixture } from '../../helpers/fixtures';
import { type LocalApi, startLocalApi } from '../../helpers/local-api';
import { rows, TEST_DATA_DIR } from '../../helpers/store';

const VULTR_KEY = 'VULTRKEY-planted-7d1c0b9e4a3f2e18c6';
const PROM_TOKEN = 'promtoken-planted-5e8a2c4b1d9f7a60';

const json = (body: unknown, status = 200): FakeReply => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Vultr API v2: the account (the connection test) and empty lists for everything else. */
function vultrApi(r: RecordedRequest): FakeReply {
  if (r.headers.authorization !== `Bearer ${VULTR_KEY}`)
    return json({ error: 'Invalid API token.', status: 401 }, 401);
  if (r.path === '/v2/account') return json(fixture('vultr', 'account/get.json'));
  const meta = { total: 0, links: { next: '', prev: '' } };
  return json({
    instances: [],
    blocks: [],
    vke_clusters: [],
    plans: [],
    billing_history: [],
    invoice_items: [],
    pending_charges: [],
    meta,
  });
}

/** Prometheus HTTP API: instant queries (the test) and a range query answer, bearer token required. */
function prometheusApi(r: RecordedRequest): FakeReply {
  if (r.headers.authorization !== `Bearer ${PROM_TOKEN}`) return { status: 401, body: 'unauthorized' };
  if (r.path === '/api/v1/query_range') return json(fixture('prometheus', 'node-cpu-matrix.json'));
  if (r.path.startsWith('/api/v1/')) return json(fixture('prometheus', 'vector-one.json'));
  return { status: 404 };
}

let api: LocalApi;
let vultr: FakeServer;
let prom: FakeServer;
let admin: string;
let acme: string;
let beta: string;
let revoked: string;

beforeAll(async () => {
  vultr = await startFakeServer(vultrApi);
  prom = await startFakeServer(prometheusApi);
  api = await startLocalApi({ env: { DEFAULT_CUSTOMER_ID: 'acme', OPTIINFRA_DATA_DIR: TEST_DATA_DIR } });
  admin = await api.key(null);
  acme = await api.key('acme');
  beta = await api.key('beta');
  revoked = await api.key('acme');
  const keyId = revoked.split('_')[1];
  expect((await api.request('DELETE', `/api/v1/keys/${keyId}`, { key: admin })).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await api.close();
  await vultr.close();
  await prom.close();
});

const vultrBody = (extra: Record<string, unknown> = {}) => ({
  customer_id: 'acme',
  provider: 'vultr',
  name: 'main',
  settings: { base_url: vultr.url },
  secrets: { api_key: VULTR_KEY },
  ...extra,
});

describe('GET /api/v1/providers', () => {
  it('serves every registered provider with a JSON Schema that judges settings as the provider does', async () => {
    const res = await api.request('GET', '/api/v1/providers', { key: beta });
    expect(res.status).toBe(200);
    const ids = res.body.providers.map((p: { id: string }) => p.id);
    expect(ids).toEqual(PROVIDERS.map((p) => p.id));
    const vultrEntry = res.body.providers.find((p: { id: string }) => p.id === 'vultr');
    expect(vultrEntry).toMatchObject({
      display_name: 'Vultr',
      category: 'general_compute',
      secret_fields: [{ name: 'api_key', label: 'API key', required: true }],
    });
    expect(res.body.providers.find((p: { id: string }) => p.id === 'runpod').secret_fields).toEqual([
      expect.objectContaining({ name: 'api_key', required: false }),
    ]);

    // One valid and one invalid settings object per provider: the served schema (Ajv) and
    // the provider's zod schema give the same verdict.
    const samples: Record<string, [unknown, unknown]> = {
      local: [{ currency: 'EUR' }, { currency: 12 }],
      aws: [
        { regions: ['eu-west-1'], role_arn: 'arn:aws:iam::123456789012:role/R', external_id: 'ext-123456' },
        { regions: ['mars-1'] },
      ],
      gcp: [
        { billing_export_table: 'proj-123.billing.export_v1', project_ids: ['proj-123'] },
        { billing_export_table: 7 },
      ],
      azure: [
        {
          tenant_id: '11111111-1111-1111-1111-111111111111',
          client_id: '22222222-2222-2222-2222-222222222222',
          subscription_ids: ['33333333-3333-3333-3333-333333333333'],
        },
        { tenant_id: 'nope' },
      ],
      vultr: [{ base_url: 'https://api.vultr.com' }, { cost_month_final_day: 40 }],
    };
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    for (const p of res.body.providers as { id: string; settings_schema: object }[]) {
      const def = PROVIDERS.find((d) => d.id === p.id);
      if (!def) throw new Error(p.id);
      const [good, bad] = samples[p.id] ?? [
        { prometheus: { url: 'http://127.0.0.1:9090', step: '60s' } },
        { prometheus: { url: 'not a url' } },
      ];
      const validate = ajv.compile(p.settings_schema);
      for (const [sample, expected] of [
        [good, true],
        [bad, false],
      ] as const) {
        const zodOk = def.settingsSchema.safeParse(sample).success;
        expect({ provider: p.id, sample, zod: zodOk }).toEqual({ provider: p.id, sample, zod: expected });
        expect({ provider: p.id, sample, jsonSchema: validate(sample) }).toEqual({
          provider: p.id,
          sample,
          jsonSchema: zodOk,
        });
      }
    }
  });
});

describe('connections lifecycle (Vultr stand-in)', () => {
  it('refuses a failing test with 422 and the provider message without the secret, storing nothing', async () => {
    const res = await api.request('POST', '/api/v1/connections', {
      key: acme,
      body: vultrBody({ name: 'bad', secrets: { api_key: 'WRONG-planted-key-0000' }, test: true }),
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('connection_test_failed');
    expect(res.body.error.message).toMatch(/401|auth|token/i);
    expect(JSON.stringify(res.body)).not.toContain('WRONG-planted-key-0000');
    const list = await api.request('GET', '/api/v1/connections?customer_id=acme', { key: acme });
    expect(list.body.connections.filter((c: { provider: string }) => c.provider === 'vultr')).toEqual([]);
  });

  it('answers 400 naming the field, 404 for an unknown provider, 409 for a duplicate name', async () => {
    const bad = await api.request('POST', '/api/v1/connections', {
      key: acme,
      body: vultrBody({ settings: { base_url: 'nope', cost_month_final_day: 99 } }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('settings.base_url');
    expect(bad.body.error.message).toContain('settings.cost_month_final_day');
    const missing = await api.request('POST', '/api/v1/connections', {
      key: acme,
      body: vultrBody({ secrets: {} }),
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('secrets.api_key');
    const unknown = await api.request('POST', '/api/v1/connections', {
      key: acme,
      body: vultrBody({ provider: 'nimbus' }),
    });
    expect(unknown.status).toBe(404);
  });

  it('creates, tests, lists with health after a run, patches, disconnects and purges', async () => {
    const created = await api.request('POST', '/api/v1/connections', {
      key: acme,
      body: vultrBody({ test: true }),
    });
    expect({ status: created.status, body: created.status === 201 ? 'ok' : created.body }).toEqual({
      status: 201,
      body: 'ok',
    });
    const c = created.body;
    expect(Object.keys(c)[0]).toBe('id');
    expect(c).toMatchObject({
      customer_id: 'acme',
      provider: 'vultr',
      name: 'main',
      enabled: true,
      settings: { base_url: vultr.url },
      source: 'api',
      secrets: { api_key: { set: true, updated_at: expect.any(String) } },
    });
    expect(JSON.stringify(c)).not.toContain(VULTR_KEY);

    const dup = await api.request('POST', '/api/v1/connections', { key: acme, body: vultrBody() });
    expect(dup.status).toBe(409);

    const test = await api.request('POST', `/api/v1/connections/${c.id}/test`, { key: acme });
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ ok: true, message: 'ok', latency_ms: expect.any(Number) });

    const run = await api.request('POST', '/api/v1/collect/trigger', {
      key: acme,
      body: { customer_id: 'acme', provider: 'vultr', data_types: ['resource'], async_mode: false },
    });
    expect(run.status).toBe(200);
    expect(run.body.connection_id).toBe(c.id);

    const list = await api.request('GET', '/api/v1/connections?customer_id=acme', { key: acme });
    const listed = list.body.connections.find((x: { id: string }) => x.id === c.id);
    expect(listed.health.last_runs.resource).toMatchObject({
      task_id: run.body.task_id,
      status: run.body.status,
    });
    expect(listed.health.last_test).toMatchObject({ ok: true });
    expect(Date.parse(listed.health.next_collection.resource)).toBeGreaterThan(Date.now() - 1000);
    expect(list.body.connections.find((x: { id: string }) => x.id === 'local')).toMatchObject({
      source: 'builtin',
    });

    const patched = await api.request('PATCH', `/api/v1/connections/${c.id}`, {
      key: acme,
      body: { name: 'primary', enabled: false, settings: { base_url: vultr.url, cost_month_final_day: 5 } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'primary',
      enabled: false,
      settings: { cost_month_final_day: 5 },
    });
    expect(patched.body.health.next_collection.resource).toBeNull();

    const events = await api.request('GET', `/api/v1/connections/${c.id}/events`, { key: acme });
    expect(events.body.events.map((e: { action: string }) => e.action)).toEqual([
      'updated',
      'test',
      'created',
    ]);
    expect(events.body.events[0].fields.sort()).toEqual(['enabled', 'name', 'settings.cost_month_final_day']);
    expect(JSON.stringify(events.body)).not.toContain(VULTR_KEY);

    const readOnly = await api.request('DELETE', '/api/v1/connections/local', { key: acme });
    expect(readOnly.status).toBe(409);
    expect(readOnly.body.error.message).toContain('built-in');

    const purged = await api.request('DELETE', `/api/v1/connections/${c.id}?purge=true`, { key: acme });
    expect(purged.status).toBe(200);
    expect(purged.body).toMatchObject({ id: c.id, deleted: true, data_kept: false });
    expect(purged.body.rows_removed.collection_runs).toBeGreaterThanOrEqual(1);
    const left = await rows(
      api.runtime.store,
      'SELECT count() AS n FROM collection_runs WHERE connection_id = {id:String}',
      { id: c.id },
    );
    expect(Number(left[0]?.n)).toBe(0);
    expect((await api.request('GET', `/api/v1/connections/${c.id}`, { key: acme })).status).toBe(404);
    const after = await api.request('POST', '/api/v1/collect/trigger', {
      key: acme,
      body: { customer_id: 'acme', provider: 'vultr', async_mode: false },
    });
    expect(after.status).toBe(404);
  });
});

describe('a Prometheus connection made through the API', () => {
  it('keeps step "60s" as sent and a triggered collection of it succeeds, its token read from the secret store', async () => {
    const created = await api.request('POST', '/api/v1/connections', {
      key: acme,
      body: {
        customer_id: 'acme',
        provider: 'onprem',
        settings: {
          prometheus: {
            url: prom.url,
            step: '60s',
            auth: { type: 'bearer', token_secret: 'prom_token' },
            query_sets: [],
            queries: [{ id: 'cpu', metric: 'cpu_utilization', unit: 'percent', query: 'up' }],
          },
        },
        secrets: { prom_token: PROM_TOKEN },
        test: true,
      },
    });
    expect({ status: created.status, body: created.status === 201 ? 'ok' : created.body }).toEqual({
      status: 201,
      body: 'ok',
    });
    expect(created.body.settings.prometheus.step).toBe('60s');

    const run = await api.request('POST', '/api/v1/collect/trigger', {
      key: acme,
      body: { customer_id: 'acme', provider: 'onprem', data_types: ['performance'], async_mode: false },
    });
    expect(run.body).toMatchObject({ connection_id: created.body.id, status: 'succeeded' });
    // The run parsed "60s" once, on its way in: a one-minute step on the wire.
    const range = prom.requests.filter((r) => r.path === '/api/v1/query_range');
    expect(range.length).toBeGreaterThan(0);
    expect(range.every((r) => r.query.get('step') === '1m')).toBe(true);
    expect(JSON.stringify(run.body)).not.toContain(PROM_TOKEN);
    expect(prom.requests.some((r) => r.path === '/api/v1/query_range')).toBe(true);
  });
});

describe('schedules pick up API-made connections', () => {
  it('queues a connection created through the API at the next firing, without a restart', async () => {
    const created = await api.request('POST', '/api/v1/connections', {
      key: acme,
      body: vultrBody({
        name: 'scheduled',
        // Every 5 minutes: each tick of the resource entry queues it.
        settings: { base_url: vultr.url, collection_intervals: { resource: 5 } },
      }),
    });
    expect(created.status).toBe(201);
    const scheduler = startLocalScheduler(api.runtime, api.queue, SCHEDULES);
    try {
      expect(await scheduler.tick('resource')).toBeGreaterThanOrEqual(1);
      await api.queue.drain();
    } finally {
      scheduler.stop();
    }
    const got = await api.request('GET', `/api/v1/connections/${created.body.id}`, { key: acme });
    expect(got.body.health.last_runs.resource).toMatchObject({ status: 'succeeded' });
    expect(got.body.health.last_success).toEqual(expect.any(String));
    expect(got.body.health.consecutive_failures).toBe(0);
    expect(
      (await api.request('DELETE', `/api/v1/connections/${created.body.id}`, { key: acme })).body,
    ).toMatchObject({
      deleted: true,
      data_kept: true,
    });
  });
});

describe('tenancy', () => {
  it('own customer / other customer / admin / no key / revoked key on every route', async () => {
    const made = await api.request('POST', '/api/v1/connections', {
      key: acme,
      body: vultrBody({ name: 'tenancy' }),
    });
    expect(made.status).toBe(201);
    const id = made.body.id;
    const calls: Record<string, (key?: string) => Promise<{ status: number; body: unknown }>> = {
      'providers-catalog': (key) => api.request('GET', '/api/v1/providers', { ...(key ? { key } : {}) }),
      'connections-list': (key) =>
        api.request('GET', '/api/v1/connections?customer_id=acme', { ...(key ? { key } : {}) }),
      'connections-create': (key) =>
        api.request('POST', '/api/v1/connections', {
          ...(key ? { key } : {}),
          body: vultrBody({ name: `t-${Math.random().toString(36).slice(2)}` }),
        }),
      'connections-get': (key) =>
        api.request('GET', `/api/v1/connections/${id}`, { ...(key ? { key } : {}) }),
      'connections-update': (key) =>
        api.request('PATCH', `/api/v1/connections/${id}`, {
          ...(key ? { key } : {}),
          body: { enabled: true },
        }),
      'connections-test': (key) =>
        api.request('POST', `/api/v1/connections/${id}/test`, { ...(key ? { key } : {}) }),
      'connections-events': (key) =>
        api.request('GET', `/api/v1/connections/${id}/events`, { ...(key ? { key } : {}) }),
      'connections-delete': (key) =>
        api.request('DELETE', `/api/v1/connections/${id}`, { ...(key ? { key } : {}) }),
    };
    expect(Object.keys(calls).sort()).toEqual(CONNECTIONS_ROUTES.map((r) => r.name).sort());
    const otherCustomer: Record<string, number> = {
      'providers-catalog': 200,
      'connections-list': 403,
      'connections-create': 403,
      'connections-get': 404,
      'connections-update': 404,
      'connections-test': 404,
      'connections-events': 404,
      'connections-delete': 404,
    };
    const ownOk: Record<string, number> = { 'connections-create': 201 };
    for (const [name, call] of Object.entries(calls)) {
      expect({ name, none: (await call()).status }).toEqual({ name, none: 401 });
      expect({ name, revoked: (await call(revoked)).status }).toEqual({ name, revoked: 401 }); // RFC 6750: an unknown or revoked key is a 401
      expect({ name, other: (await call(beta)).status }).toEqual({ name, other: otherCustomer[name] });
    }
    // The other customer's attempts changed nothing.
    const events = await api.request('GET', `/api/v1/connections/${id}/events`, { key: admin });
    expect(events.body.events.map((e: { action: string }) => e.action)).toEqual(['created']);
    for (const [name, call] of Object.entries(calls)) {
      if (name === 'connections-delete') continue;
      expect({ name, admin: (await call(admin)).status }).toEqual({ name, admin: ownOk[name] ?? 200 });
      expect({ name, own: (await call(acme)).status }).toEqual({ name, own: ownOk[name] ?? 200 });
    }
    expect((await calls['connections-delete']?.(acme))?.status).toBe(200);
    const betaList = await api.request('GET', '/api/v1/connections', { key: beta });
    expect(betaList.body.connections.every((c: { customer_id: string }) => c.customer_id === 'beta')).toBe(
      true,
    );
  });
});

describe('secrets at rest', () => {
  it('keeps a 0600 master key and no planted secret in clear anywhere in the data folder', async () => {
    const keyFile = join(TEST_DATA_DIR, 'master-key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    await api.runtime.store.client.command({ query: 'SYSTEM FLUSH LOGS' }).catch(() => undefined);
    const hits: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else {
          const buf = readFileSync(p);
          for (const s of [VULTR_KEY, PROM_TOKEN]) if (buf.includes(s)) hits.push(`${p}: ${s.slice(0, 8)}…`);
        }
      }
    };
    walk(TEST_DATA_DIR);
    expect(hits).toEqual([]);
  });
});

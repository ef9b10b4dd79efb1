import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../../lib/api/routes';
import { type LocalApi, startLocalApi } from '../../helpers/local-api';
import { rows } from '../../helpers/store';

let api: LocalApi;
let admin: string;
let acme: string;
let beta: string;

beforeAll(async () => {
  api = await startLocalApi({
    env: { DEFAULT_CUSTOMER_ID: 'acme', LOCAL_HOURLY_RATE: '0.36' },
  });
  admin = await api.key(null);
  acme = await api.key('acme');
  beta = await api.key('beta');
});
afterAll(() => api.close());

describe('authentication', () => {
  it('answers 401 with a Bearer challenge (RFC 6750) without a key, with a malformed one and with an unknown one', async () => {
    const none = await api.request('GET', '/api/v1/collect/history/acme');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="optiinfra"');
    const bad = await api.request('GET', '/api/v1/collect/history/acme', {
      key: 'oik_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="optiinfra", error="invalid_token"');
    const basic = await fetch(`${api.url}/api/v1/collect/history/acme`, {
      headers: { authorization: 'Basic xx' },
    });
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toBe('Bearer realm="optiinfra", error="invalid_request"');
    expect(((await basic.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it("gives 403 to a customer's key on another customer's data, for reads and for triggers", async () => {
    const read = await api.request('GET', '/api/v1/collect/history/acme', { key: beta });
    expect(read.status).toBe(403);
    expect(read.body).toEqual({
      error: { code: 'forbidden', message: 'This API key may not access that customer.' },
    });
    const trigger = await api.request('POST', '/api/v1/collect/trigger', {
      key: beta,
      body: { customer_id: 'acme', provider: 'local' },
    });
    expect(trigger.status).toBe(403);
  });

  it('lets /health through without a key and reports ClickHouse and migrations', async () => {
    const res = await api.request('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      clickhouse: { reachable: true, transport: 'embedded' },
      migrations: { current: true, pending: [] },
    });
  });

  it('only admin keys create keys; a revoked key stops working', async () => {
    const denied = await api.request('POST', '/api/v1/keys', { key: acme, body: { customer_id: 'acme' } });
    expect(denied.status).toBe(403);
    const created = await api.request('POST', '/api/v1/keys', { key: admin, body: { customer_id: 'gamma' } });
    expect(created.status).toBe(201);
    expect(created.body.customer_id).toBe('gamma');
    expect(created.body.key).toMatch(/^oik_[a-f0-9]{16}_[A-Za-z0-9_-]{43}$/);
    const stored = await rows(
      api.runtime.store,
      'SELECT key_hash FROM api_keys FINAL WHERE key_id = {id:String}',
      {
        id: created.body.key_id,
      },
    );
    expect(JSON.stringify(stored)).not.toContain(created.body.key.split('_')[2]);
    expect(
      (await api.request('GET', '/api/v1/collect/history/gamma', { key: created.body.key })).status,
    ).toBe(200);
    const revoked = await api.request('DELETE', `/api/v1/keys/${created.body.key_id}`, { key: admin });
    expect(revoked.body).toEqual({ key_id: created.body.key_id, revoked: true });
    // RFC 6750: a revoked token is invalid_token, a 401 (403 is for a valid key without rights).
    const after = await api.request('GET', '/api/v1/collect/history/gamma', { key: created.body.key });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it("does not let a customer revoke another customer's key", async () => {
    const other = await api.request('POST', '/api/v1/keys', { key: admin, body: { customer_id: 'delta' } });
    const res = await api.request('DELETE', `/api/v1/keys/${other.body.key_id}`, { key: acme });
    expect(res.status).toBe(403);
    expect((await api.request('GET', '/api/v1/collect/history/delta', { key: other.body.key })).status).toBe(
      200,
    );
  });
});

describe('bad input', () => {
  it.each([
    ['malformed JSON', '{"customer_id": "acme",', 'request body is not valid JSON'],
    ['a missing provider', '{"customer_id":"acme"}', 'body provider'],
    ['an unknown field', '{"customer_id":"acme","provider":"local","extra":1}', 'body'],
    [
      'a bad data type',
      '{"customer_id":"acme","provider":"local","data_types":["bills"]}',
      'body data_types.0',
    ],
    ['a bad customer id', '{"customer_id":"acme corp","provider":"local"}', 'body customer_id'],
    ['an empty body', '', 'request body is required'],
  ])('rejects %s with 400 and the error shape', async (_name, rawBody, message) => {
    const res = await api.request('POST', '/api/v1/collect/trigger', { key: admin, rawBody });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
    expect(res.body.error.message).toContain(message);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('rejects malformed path and query parameters with 400', async () => {
    const path = await api.request('GET', `/api/v1/collect/history/${encodeURIComponent('acme;drop')}`, {
      key: admin,
    });
    expect(path.status).toBe(400);
    expect(path.body.error.message).toContain('path parameter customer_id');
    const limit = await api.request('GET', '/api/v1/collect/history/acme?limit=-3', { key: admin });
    expect(limit.status).toBe(400);
    expect(limit.body.error.message).toContain('query parameter limit');
    const status = await api.request('GET', '/api/v1/collect/status/not%20a%20task', { key: admin });
    expect(status.status).toBe(400);
  });

  it('answers 404 with a clear message for an unknown provider', async () => {
    const res = await api.request('POST', '/api/v1/collect/trigger', {
      key: acme,
      body: { customer_id: 'acme', provider: 'nimbus' },
    });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(/^Unknown provider "nimbus"/);
    const hist = await api.request('GET', '/api/v1/collect/history/acme?provider=nimbus', { key: acme });
    expect(hist.status).toBe(404);
  });

  it('answers 404 when the customer has no connection for the provider', async () => {
    const res = await api.request('POST', '/api/v1/collect/trigger', {
      key: beta,
      body: { customer_id: 'beta', provider: 'local' },
    });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe('Customer "beta" has no enabled local connection.');
  });

  it('answers 404 for paths outside the route table', async () => {
    expect((await api.request('GET', '/api/v1/nothing', { key: admin })).status).toBe(404);
  });
});

describe('collection through the API', () => {
  it('queues an async collection (202) whose status ends succeeded with rows in ClickHouse', async () => {
    const res = await api.request('POST', '/api/v1/collect/trigger', {
      key: acme,
      body: {
        customer_id: 'acme',
        provider: 'local',
        data_types: ['performance', 'resource'],
        async_mode: true,
      },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued', async_mode: true });
    expect(typeof res.body.started_at).toBe('string');
    const taskId = res.body.task_id as string;
    await api.queue.drain();
    const status = await api.request('GET', `/api/v1/collect/status/${taskId}`, { key: acme });
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('succeeded');
    const points = await rows<{ n: number }>(
      api.runtime.store,
      'SELECT count() AS n FROM performance_points FINAL WHERE customer_id = {c:String} AND task_id = {t:String}',
      { c: 'acme', t: taskId },
    );
    expect(Number(points[0]?.n)).toBe(status.body.rows_collected.performance);
    expect(status.body.rows_collected.performance).toBeGreaterThanOrEqual(4);
    expect(status.body.rows_collected.resource).toBe(1);
    // Another customer cannot see the task.
    expect((await api.request('GET', `/api/v1/collect/status/${taskId}`, { key: beta })).status).toBe(404);
  });

  it('runs a sync collection and returns the finished run, visible in history with filters', async () => {
    const res = await api.request('POST', '/api/v1/collect/trigger', {
      key: acme,
      body: { customer_id: 'acme', provider: 'local', data_types: ['cost'], async_mode: false },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'succeeded',
      provider: 'local',
      async_mode: false,
      trigger: 'manual',
    });
    const hist = await api.request(
      'GET',
      '/api/v1/collect/history/acme?status=succeeded&data_type=cost&limit=5',
      { key: acme },
    );
    expect(hist.status).toBe(200);
    expect(hist.body.runs.map((r: { task_id: string }) => r.task_id)).toContain(res.body.task_id);
    expect(hist.body.runs.every((r: { data_types: string[] }) => r.data_types.includes('cost'))).toBe(true);
  });

  it('lists collectors with what the caller has configured', async () => {
    const res = await api.request('GET', '/api/v1/collectors', { key: acme });
    expect(res.status).toBe(200);
    const local = res.body.providers.find((p: { id: string }) => p.id === 'local');
    expect(local).toMatchObject({ configured: true, data_types: ['performance', 'resource', 'cost'] });
    const forBeta = await api.request('GET', '/api/v1/collectors', { key: beta });
    expect(forBeta.body.providers.find((p: { id: string }) => p.id === 'local').configured).toBe(false);
  });
});

describe('route table', () => {
  it('serves every route of the table (no route falls through to 404)', async () => {
    for (const route of ROUTES) {
      const path = route.path.replace(/\{[^}]+\}/g, 'x');
      const res = await api.request(route.method, path, { key: admin });
      // The router's own 404 is API Gateway's {"message":"Not Found"}; a handler's 404 has our error shape.
      expect(res.body?.message, `${route.method} ${route.path}`).not.toBe('Not Found');
      expect(res.status, `${route.method} ${route.path}`).toBeLessThan(500);
    }
  });
});

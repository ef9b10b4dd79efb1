import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderAuthError, ProviderConfigError, ProviderRateLimitError } from '../../../lib/errors';
import { createAdapterContext } from '../../../lib/providers/adapters';
import {
  MAX_RUN_CACHES,
  RESPONSE_TTL_MS,
  ResponseCache,
  runResponseCache,
} from '../../../lib/providers/adapters/http-cache';
import type { ProviderAdapter } from '../../../lib/providers/adapters/types';
import { type FakeServer, startFakeServer } from '../../helpers/fake-server';
import { collectContext } from './helpers';

/** The smallest adapter: it only needs a base URL and a key. */
const probe: ProviderAdapter = {
  id: 'probe',
  displayName: 'Probe',
  category: 'general_compute',
  defaultBaseUrl: '',
  secretNames: ['api_key'],
  async test() {},
};

let server: FakeServer;
beforeAll(async () => {
  server = await startFakeServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.handle((req) => ({ body: { path: req.path, n: server.requests.length } }));
});

const ctxFor = (taskId: string) =>
  createAdapterContext(
    collectContext({ provider: 'probe', secrets: { api_key: 'k-123456' }, taskId }),
    { base_url: server.url },
    probe,
  );

describe('CachedHttp (run-scoped, 5-minute TTL)', () => {
  it('answers a second identical GET of the same run from the cache, across data types', async () => {
    const first = await ctxFor('task-a').http.getJson<{ n: number }>(`${server.url}/v1/things?page=1`);
    const again = await ctxFor('task-a').http.getJson<{ n: number }>(`${server.url}/v1/things?page=1`);
    expect(again).toEqual(first);
    expect(server.requests).toHaveLength(1);
  });

  it('asks again for another URL and in a new run', async () => {
    const ctx = ctxFor('task-b');
    await ctx.http.getJson(`${server.url}/v1/things?page=1`);
    await ctx.http.getJson(`${server.url}/v1/things?page=2`);
    await ctxFor('task-c').http.getJson(`${server.url}/v1/things?page=1`);
    expect(server.requests.map((r) => r.url)).toEqual([
      '/v1/things?page=1',
      '/v1/things?page=2',
      '/v1/things?page=1',
    ]);
  });

  it('shares one request between concurrent identical calls', async () => {
    server.handle(() => ({ body: { ok: true }, delayMs: 30 }));
    const ctx = ctxFor('task-d');
    await Promise.all([ctx.http.getJson(`${server.url}/slow`), ctx.http.getJson(`${server.url}/slow`)]);
    expect(server.requests).toHaveLength(1);
  });

  it('retries throttling (429 with Retry-After) and caches only the success', async () => {
    server.handle(() =>
      server.requests.length === 1
        ? { status: 429, headers: { 'retry-after': '0' }, body: { message: 'slow down' } }
        : { body: { ok: true } },
    );
    const ctx = ctxFor('task-e');
    expect(await ctx.http.getJson(`${server.url}/limited`)).toEqual({ ok: true });
    expect(await ctx.http.getJson(`${server.url}/limited`)).toEqual({ ok: true });
    expect(server.requests).toHaveLength(2);
  });

  it('does not cache a failure: the next call asks again', async () => {
    server.handle(() =>
      server.requests.length === 1 ? { status: 401, body: { message: 'bad key' } } : { body: { ok: 1 } },
    );
    const ctx = ctxFor('task-f');
    await expect(ctx.http.getJson(`${server.url}/me`)).rejects.toBeInstanceOf(ProviderAuthError);
    expect(await ctx.http.getJson(`${server.url}/me`)).toEqual({ ok: 1 });
    expect(server.requests).toHaveLength(2);
  });

  it('caches POSTs only when marked cacheable, keyed by body', async () => {
    const ctx = ctxFor('task-g');
    await ctx.http.postJson(`${server.url}/graphql`, { query: 'a' }, { cacheable: true });
    await ctx.http.postJson(`${server.url}/graphql`, { query: 'a' }, { cacheable: true });
    await ctx.http.postJson(`${server.url}/graphql`, { query: 'b' }, { cacheable: true });
    await ctx.http.postJson(`${server.url}/graphql`, { query: 'a' });
    expect(server.requests.map((r) => r.body)).toEqual(['{"query":"a"}', '{"query":"b"}', '{"query":"a"}']);
  });

  it('runs check() inside the retry loop: a retryable error in a 200 body is retried', async () => {
    server.handle(() => ({
      body: server.requests.length === 1 ? { errors: [{ message: 'throttled' }] } : { data: 1 },
    }));
    const ctx = ctxFor('task-h');
    const check = (d: unknown) => {
      if ((d as { errors?: unknown }).errors) throw new ProviderRateLimitError('probe', 'throttled', 0);
    };
    expect(await ctx.http.postJson(`${server.url}/graphql`, { q: 1 }, { cacheable: true, check })).toEqual({
      data: 1,
    });
    expect(server.requests).toHaveLength(2);
  });

  it('computes header functions for every attempt (signed requests)', async () => {
    server.handle(() => (server.requests.length === 1 ? { status: 503 } : { body: {} }));
    let n = 0;
    await ctxFor('task-i').http.getJson(`${server.url}/signed`, {
      headers: () => ({ 'x-attempt': String(++n) }),
    });
    expect(server.requests.map((r) => r.headers['x-attempt'])).toEqual(['1', '2']);
  });

  it('refuses to build a context without the secrets or base URL the adapter needs', () => {
    expect(() =>
      createAdapterContext(
        collectContext({ provider: 'probe', secrets: {} }),
        { base_url: server.url },
        probe,
      ),
    ).toThrow(
      new ProviderConfigError('probe', 'connection "main" has no secret "api_key" (Probe needs: api_key)'),
    );
    expect(() =>
      createAdapterContext(collectContext({ provider: 'probe', secrets: { api_key: 'x' } }), {}, probe),
    ).toThrow(/api.base_url is required for Probe/);
  });
});

describe('ResponseCache', () => {
  it('forgets entries after five minutes', async () => {
    let now = 1_000_000;
    const cache = new ResponseCache({ clock: () => now });
    let loads = 0;
    const load = async () => ++loads;
    await cache.getOrLoad('k', load).value;
    now += RESPONSE_TTL_MS - 1;
    expect(cache.getOrLoad('k', load).hit).toBe(true);
    now += 1;
    expect(cache.getOrLoad('k', load).hit).toBe(false);
    expect(loads).toBe(2);
  });

  it('holds the caches of the most recent runs only (least recently used out first)', () => {
    const now = 5_000_000;
    const first = runResponseCache('lru-0', now);
    const kept = runResponseCache('lru-1', now);
    for (let i = 2; i <= MAX_RUN_CACHES; i++) {
      runResponseCache(`lru-${i}`, now);
      if (i === 100) runResponseCache('lru-1', now);
    }
    expect(runResponseCache('lru-1', now)).toBe(kept);
    expect(runResponseCache('lru-0', now)).not.toBe(first);
  });

  it('drops a run cache once its time is up', () => {
    const start = 9_000_000;
    const old = runResponseCache('ttl-old', start);
    runResponseCache('ttl-other', start + RESPONSE_TTL_MS);
    expect(runResponseCache('ttl-old', start + RESPONSE_TTL_MS)).not.toBe(old);
  });
});

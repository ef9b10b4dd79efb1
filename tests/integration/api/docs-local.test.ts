import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalApi, startLocalApi } from '../../helpers/local-api';

/** `npm start` serves the API description and its docs page without a key. */
let api: LocalApi;
beforeAll(async () => {
  api = await startLocalApi();
});
afterAll(async () => api?.close());

describe('the docs over the local server', () => {
  it('GET /openapi.json without a key: the document, as JSON', async () => {
    const res = await fetch(`${api.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v2/costs/{customer_id}/{provider}/total');
  });

  it('GET /docs without a key: the swagger-ui page pointing at /openapi.json', async () => {
    const res = await fetch(`${api.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('SwaggerUIBundle({');
    expect(html).toContain("new URL('openapi.json'");
  });

  it('a keyed route still needs its key', async () => {
    const res = await fetch(`${api.url}/api/v2/costs/acme/all/total`);
    expect(res.status).toBe(401);
  });
});

import SwaggerParser from '@apidevtools/swagger-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HANDLERS } from '../../../lib/api/handlers';
import { ROUTES } from '../../../lib/api/routes';
import { parseConfig } from '../../../lib/config/schema';
import { createRegistry, PROVIDERS } from '../../../lib/providers/registry';
import { createRuntime, type Runtime } from '../../../lib/runtime';
import { routeCaller } from '../../helpers/route-call';
import { silentLogger, testStore } from '../../helpers/store';

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON
type Json = any;

let runtime: Runtime;
const call = routeCaller(ROUTES, HANDLERS, () => runtime, 'oa-c');
let doc: Json;

beforeAll(async () => {
  runtime = await createRuntime(parseConfig({}), {
    mode: 'lambda',
    env: {},
    store: await testStore(),
    logger: silentLogger(),
    registry: createRegistry([...PROVIDERS]),
    connections: [],
  });
  const res = await call('openapi', { auth: null });
  expect(res.status).toBe(200);
  doc = res.body;
});

/** What a route must declare, said the way the fix reads (docs/DEVELOPING.md "Declaring a route's schemas"). */
const HOW =
  'declare it on the route in lib/api/routes/<agent>.ts: `summary`, `tag`, `params` (the zod schema passed to req.path), `query` (to req.query), `body` (to req.body) and `responses: { <status>: <zod schema of the body> }` (add one in lib/api/responses.ts)';

describe('GET /openapi.json', () => {
  it('is public and a valid OpenAPI 3.1 document (swagger-parser)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
  });

  it('has the bearer scheme, the error shape, and a tag per agent', () => {
    expect(doc.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
    expect(doc.tags.map((t: Json) => t.name).sort()).toEqual(
      [
        'applications',
        'connections',
        'costs',
        'docs',
        'performance',
        'platform',
        'recommendations',
        'resources',
      ].sort(),
    );
  });

  it('describes every route of the table: operation, parameters, body, responses', () => {
    const missing: string[] = [];
    for (const r of ROUTES) {
      const where = `${r.method} ${r.path} (${r.name})`;
      const op = doc.paths[r.path]?.[r.method.toLowerCase()];
      if (!op) {
        missing.push(`${where}: not in the document`);
        continue;
      }
      if (!r.summary || !r.tag) missing.push(`${where}: no summary/tag — ${HOW}`);
      if (!r.responses || Object.keys(r.responses).length === 0) {
        missing.push(`${where}: no response schema — ${HOW}`);
      }
      const pathParams = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
      const declaredPath = Object.keys(r.params?.shape ?? {});
      for (const p of pathParams) {
        if (!declaredPath.includes(p))
          missing.push(`${where}: path parameter ${p} undeclared (params) — ${HOW}`);
      }
      if (r.method === 'GET' && !r.query && /^\/api\/v2\/\w+\/\{customer_id\}\/\{provider\}\//.test(r.path)) {
        missing.push(`${where}: no query schema (z.strictObject({}) if it takes none) — ${HOW}`);
      }
      if ((r.method === 'POST' || r.method === 'PUT') && !r.body)
        missing.push(`${where}: no body schema — ${HOW}`);
      const documented = new Set((op.parameters ?? []).map((p: Json) => `${p.in}:${p.name}`));
      for (const p of Object.keys(r.params?.shape ?? {})) {
        if (!documented.has(`path:${p}`))
          missing.push(`${where}: path parameter ${p} missing from the document`);
      }
      for (const q of Object.keys(r.query?.shape ?? {})) {
        if (!documented.has(`query:${q}`))
          missing.push(`${where}: query parameter ${q} missing from the document`);
      }
      for (const status of Object.keys(r.responses ?? {})) {
        if (!op.responses[status]?.content)
          missing.push(`${where}: response ${status} missing from the document`);
      }
      if (r.body && !op.requestBody) missing.push(`${where}: request body missing from the document`);
      for (const status of ['400', '500']) {
        if (op.responses[status]?.content['application/json'].schema.$ref !== '#/components/schemas/Error') {
          missing.push(`${where}: error response ${status} missing`);
        }
      }
      expect(op.security).toEqual(r.auth === 'key' ? [{ bearer: [] }] : []);
    }
    expect(missing, missing.join('\n')).toEqual([]);
  });

  it('documents the query vocabulary with descriptions and examples, and marks aliases deprecated', () => {
    const params = doc.paths['/api/v2/costs/{customer_id}/{provider}/trends'].get.parameters as Json[];
    const byName = Object.fromEntries(params.map((p) => [p.name, p]));
    expect(byName.days).toMatchObject({ in: 'query', required: false, example: '7' });
    expect(byName.granularity.schema.enum).toEqual(['day', 'week', 'month']);
    expect(byName.group_by).toMatchObject({ deprecated: true });
    const perf = doc.paths['/api/v2/performance/{customer_id}/{provider}/trends'].get.parameters as Json[];
    expect(perf.find((p) => p.name === 'step')).toMatchObject({ deprecated: true });
  });
});

describe('GET /docs', () => {
  it('is a public HTML page with swagger-ui inlined from the package (no CDN)', async () => {
    const handler = HANDLERS.docs;
    expect(handler).toBeDefined();
    const res = await (await import('../../../lib/http/handler')).createHttpHandler(
      handler as NonNullable<typeof handler>,
      async () => runtime,
    )(
      (await import('../../helpers/api-event')).buildApiEvent({
        method: 'GET',
        path: '/docs',
        route: '/docs',
      }),
      (await import('../../helpers/api-event')).lambdaContext(),
    );
    const page = res as { statusCode: number; headers: Record<string, string>; body: string };
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('SwaggerUIBundle({');
    expect(page.body).toContain('openapi.json');
    expect(page.body).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
    expect(page.body.length).toBeGreaterThan(500_000);
  });

  it('both documentation routes are public in the route table', () => {
    for (const name of ['openapi', 'docs']) {
      expect(ROUTES.find((r) => r.name === name)?.auth).toBe('none');
    }
  });
});

describe('documented response schemas hold for real answers', () => {
  it('the OpenAPI answer itself matches its declared schema', () => {
    const route = ROUTES.find((r) => r.name === 'openapi');
    const schema = route?.responses?.[200] as z.ZodType;
    expect(schema.safeParse(doc).success).toBe(true);
    expect(z.toJSONSchema(schema)).toBeTruthy();
  });
});

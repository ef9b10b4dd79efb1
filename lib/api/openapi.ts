import { z } from 'zod';
import type { RouteSpec } from '../http/types';
import { ErrorSchema } from './responses';

/**
 * The OpenAPI 3.1 document of the route table (GET /openapi.json): paths, parameters,
 * bodies and responses come from the same zod schemas the handlers validate with
 * (RouteSpec.params/query/body/responses), through zod's own JSON Schema output.
 * Schemas with a `.meta({ id })` become `components.schemas` entries.
 */

type Json = Record<string, unknown>;

const TAGS: Record<string, string> = {
  platform: 'Health, collection runs across data types, collectors and API keys.',
  costs: 'Billed and effective cost (FOCUS 1.2 columns), per provider or all.',
  performance: 'Utilisation metrics: series, trends, statistics per resource.',
  resources: 'Inventory snapshots and their changes.',
  applications: 'LLM application samples and their judged quality.',
  recommendations:
    'Where money is wasted, in dollars: idle, oversized, orphaned; unit economics of LLM apps.',
  connections:
    'The provider catalog for forms, and customers connecting, testing and disconnecting providers.',
  docs: 'This document and its docs page.',
};

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted: queued',
  400: 'Bad request: the message names the parameter at fault',
  401: 'No valid API key',
  403: 'The key may not access this customer',
  404: 'Not found (an unknown provider, task or resource)',
  413: 'Request body too large',
  500: 'Internal error (no detail)',
  503: 'Degraded',
};

/** One schema as JSON Schema; `$defs` (schemas with an id) are moved into `defs`. */
function toSchema(schema: z.ZodType, io: 'input' | 'output', defs: Json): Json {
  const generated = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' });
  // Named schemas ($defs) live in components.schemas, where the document's $refs point.
  const out = JSON.parse(JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
  const { $schema: _, $defs, ...rest } = out;
  Object.assign(defs, $defs as Json | undefined);
  return rest;
}

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query', defs: Json): Json[] {
  if (!schema) return [];
  const js = toSchema(schema, 'input', defs) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, prop]) => {
    const { description, deprecated, examples, example, ...rest } = prop as Json;
    return {
      name,
      in: where,
      required: where === 'path' || (js.required ?? []).includes(name),
      ...(description ? { description } : {}),
      ...(deprecated ? { deprecated } : {}),
      ...(example !== undefined ? { example } : Array.isArray(examples) ? { example: examples[0] } : {}),
      schema: rest,
    };
  });
}

/** The OpenAPI 3.1 document for `routes`. */
export function openApiDocument(routes: readonly RouteSpec[], opts: { version?: string } = {}): Json {
  const defs: Json = {};
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const responses: Json = {};
    for (const [status, schema] of Object.entries(r.responses ?? {})) {
      responses[status] = {
        description: STATUS_TEXT[Number(status)] ?? 'OK',
        content: r.produces
          ? Object.fromEntries(
              r.produces.map((ct) => [
                ct,
                {
                  schema: ct.startsWith('text/') ? { type: 'string' } : { type: 'string', format: 'binary' },
                },
              ]),
            )
          : { 'application/json': { schema: toSchema(schema as z.ZodType, 'output', defs) } },
      };
    }
    const errors = r.auth === 'key' ? [400, 401, 403, 404, 500] : [400, 500];
    for (const status of errors) {
      responses[status] = {
        description: STATUS_TEXT[status],
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    const op: Json = {
      operationId: r.name,
      summary: r.summary ?? r.name,
      tags: [r.tag ?? 'platform'],
      security: r.auth === 'key' ? [{ bearer: [] }] : [],
      parameters: [...parameters(r.params, 'path', defs), ...parameters(r.query, 'query', defs)],
      responses,
    };
    if (r.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: toSchema(r.body, 'input', defs) } },
      };
    }
    paths[r.path] ??= {};
    (paths[r.path] as Record<string, Json>)[r.method.toLowerCase()] = op;
  }
  toSchema(ErrorSchema, 'output', defs); // registers components.schemas.Error
  const usedTags = [...new Set(routes.map((r) => r.tag ?? 'platform'))];
  return {
    openapi: '3.1.0',
    info: {
      title: 'OptiInfra API',
      version: opts.version ?? '0.1.0',
      description:
        'Multi-cloud cost, performance, inventory and LLM-quality monitoring. Reads that cover time take `days` or `start` (+ `end`), `[start, end)` in UTC, and echo `period`; bucketed reads take `granularity`. Errors are `{"error":{"code","message"}}`.',
    },
    tags: usedTags.map((name) => ({ name, description: TAGS[name] ?? name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `npm run create-key`.' },
      },
      schemas: defs,
    },
  };
}

/** The docs page: swagger-ui (from the swagger-ui-dist package, inlined) over /openapi.json. */
export function docsPage(assets: { css: string; js: string }): string {
  const safe = (s: string) => s.replace(/<\/script/gi, '<\\/script');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OptiInfra API</title>
<style>${assets.css}</style>
</head>
<body>
<div id="docs"></div>
<script>${safe(assets.js)}</script>
<script>
window.ui = SwaggerUIBundle({ url: new URL('openapi.json', location.href.replace(/docs\\/?$/, '')).href, dom_id: '#docs', deepLinking: true, persistAuthorization: true });
</script>
</body>
</html>`;
}

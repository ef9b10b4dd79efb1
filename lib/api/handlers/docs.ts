import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { RouteHandler } from '../../http/handler';
import type { Runtime } from '../../runtime';
import { docsPage, openApiDocument } from '../openapi';
import { ROUTES } from '../routes';

let doc: unknown;
let page: string | undefined;

/** GET /openapi.json (no auth) — the OpenAPI 3.1 document of the route table. */
export const openApiJson: RouteHandler<Runtime> = async () => {
  doc ??= openApiDocument(ROUTES);
  return { body: doc, headers: { 'cache-control': 'public, max-age=300' } };
};

/**
 * GET /docs (no auth) — swagger-ui over /openapi.json, its script and styles inlined from
 * the swagger-ui-dist package (no CDN; the stack installs the package beside the handler).
 */
export const docs: RouteHandler<Runtime> = async () => {
  if (!page) {
    const require = createRequire(import.meta.url);
    const read = (f: string) => readFileSync(require.resolve(`swagger-ui-dist/${f}`), 'utf8');
    page = docsPage({ css: read('swagger-ui.css'), js: read('swagger-ui-bundle.js') });
  }
  return {
    body: page,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=300' },
  };
};

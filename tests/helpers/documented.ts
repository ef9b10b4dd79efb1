import { z } from 'zod';
import { ErrorSchema } from '../../lib/api/responses';
import { ROUTES } from '../../lib/api/routes';

/**
 * Checks a real answer against what GET /openapi.json says about it: the route's
 * `responses[status]` schema, or the error shape for a 4xx/5xx. The route callers of the
 * handler tests run it on every answer, so each read route's documented schema is proved
 * on data in embedded ClickHouse. Throws (failing the test) on a mismatch.
 */
export function checkDocumented(routeKey: string, status: number, body: unknown): void {
  const route = ROUTES.find((r) => `${r.method} ${r.path}` === routeKey);
  if (!route) return; // a route of a test's own (not in the table)
  const schema = status >= 400 ? ErrorSchema : route.responses?.[status as 200];
  if (!schema) {
    throw new Error(
      `${routeKey} answered ${status}, which its route does not document: add responses: { ${status}: <zod schema> } in lib/api/routes`,
    );
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new Error(
      `${routeKey} ${status}: the answer does not match its documented schema (lib/api/responses.ts):\n${z.prettifyError(parsed.error)}`,
    );
  }
}

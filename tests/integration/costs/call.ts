import type { Context } from 'aws-lambda';
import type { ApiEvent, ApiResult, AuthContext } from '../../../lib/http/types';
import { buildApiEvent, lambdaContext } from '../../helpers/api-event';
import { checkDocumented } from '../../helpers/documented';

/** Path parameters of `path` under an API Gateway route template, or null when it does not match. */
export function matchPath(template: string, path: string): Record<string, string> | null {
  const t = template.split('/');
  const p = path.split('/');
  if (t.length !== p.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const seg = t[i] as string;
    const actual = p[i] as string;
    const name = /^\{(.+)\}$/.exec(seg)?.[1];
    if (name) params[name] = decodeURIComponent(actual);
    else if (seg !== actual) return null;
  }
  return params;
}

export interface CallInit {
  /** The route key as in the route table, e.g. 'GET /api/v2/costs/{customer_id}/{provider}/total'. */
  route: string;
  /** The concrete path; its path parameters are read off it by the route's template. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** The authorizer's context (key_id filled in); null for a request without a key. */
  auth: (Omit<AuthContext, 'key_id' | 'is_admin'> & { is_admin?: boolean }) | null;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
export interface CallResult<B = any> {
  status: number;
  headers: Record<string, string>;
  body: B;
}

/** Calls a middy-wrapped handler with the event API Gateway would send for `init`, and parses the JSON answer. */
export async function callRoute(
  handler: (event: ApiEvent, context: Context) => Promise<ApiResult>,
  init: CallInit,
): Promise<CallResult> {
  const [method, template] = init.route.split(' ') as [string, string];
  const pathParameters = matchPath(template, init.path);
  if (!pathParameters) throw new Error(`path ${init.path} does not match route ${init.route}`);
  const event = buildApiEvent({
    method,
    path: init.path,
    routeKey: init.route,
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    ...(init.query ? { query: init.query } : {}),
    ...(init.body === undefined ? {} : { body: init.body }),
    ...(init.auth ? { headers: { authorization: 'Bearer test-key' } } : {}),
    auth: init.auth ? { key_id: '0123456789abcdef', is_admin: false, ...init.auth } : null,
  });
  const result = await handler(event, lambdaContext());
  const body = result.body ? JSON.parse(result.body) : undefined;
  checkDocumented(init.route, result.statusCode ?? 200, body);
  return {
    status: result.statusCode ?? 200,
    headers: (result.headers ?? {}) as Record<string, string>,
    body,
  };
}

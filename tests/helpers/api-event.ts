import type { Context } from 'aws-lambda';
import type { ApiEvent, ApiResult, AuthContext } from '../../lib/http/types';

/**
 * API Gateway HTTP API (payload format 2.0) events for handler tests, shaped as the
 * gateway sends them after a Lambda authorizer (simple responses) allowed the call:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */

export interface ApiEventInit {
  /** The route key as in the route table, e.g. 'GET /api/v2/costs/{customer_id}/{provider}/total'. */
  route: string;
  /** The concrete path; path parameters are read off it by the route's template. */
  path: string;
  /** Query string values; an array is a repeated key (the gateway joins them with commas). */
  query?: Record<string, string | string[]>;
  /** JSON-able body (serialised) or raw text. */
  body?: unknown;
  /** The authorizer's context; null for no key (public routes). Default: a key of customer `acme`. */
  auth?: Partial<AuthContext> | null;
  headers?: Record<string, string>;
}

/** Path parameters of `path` under a route template, or null when it does not match. */
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

let counter = 0;

export function apiEvent(init: ApiEventInit): ApiEvent {
  const [method, template] = init.route.split(' ') as [string, string];
  const pathParameters = matchPath(template, init.path);
  if (!pathParameters) throw new Error(`path ${init.path} does not match route ${init.route}`);
  const search = new URLSearchParams();
  const queryStringParameters: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.query ?? {})) {
    const values = Array.isArray(v) ? v : [v];
    for (const value of values) search.append(k, value);
    queryStringParameters[k] = values.join(',');
  }
  const auth = init.auth === undefined ? { customer_id: 'acme' } : init.auth;
  const now = new Date();
  const requestId = `req-${process.pid}-${++counter}`;
  return {
    version: '2.0',
    routeKey: init.route,
    rawPath: init.path,
    rawQueryString: search.toString(),
    headers: {
      'content-type': 'application/json',
      host: 'api.example.com',
      ...(auth ? { authorization: 'Bearer test-key' } : {}),
      ...init.headers,
    },
    ...(Object.keys(queryStringParameters).length ? { queryStringParameters } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1234567',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path: init.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'vitest' },
      requestId,
      routeKey: init.route,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: {
        lambda: auth
          ? {
              customer_id: auth.customer_id ?? '',
              is_admin: auth.is_admin ?? false,
              key_id: auth.key_id ?? '0123456789abcdef',
            }
          : undefined,
      },
    },
  } as ApiEvent;
}

/** A Lambda context with what middy and our handlers read. */
export function lambdaContext(requestId = `ctx-${++counter}`): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'optiinfra-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:optiinfra-test',
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/optiinfra-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
export interface ApiResponse<B = any> {
  status: number;
  headers: Record<string, string>;
  body: B;
}

/** Calls a wrapped handler with an event and parses its JSON response. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
export async function invoke<B = any>(
  handler: (event: ApiEvent, context: Context) => Promise<ApiResult>,
  init: ApiEventInit,
): Promise<ApiResponse<B>> {
  const result = await handler(apiEvent(init), lambdaContext());
  return {
    status: result.statusCode ?? 200,
    headers: (result.headers ?? {}) as Record<string, string>,
    body: result.body ? JSON.parse(result.body) : undefined,
  };
}

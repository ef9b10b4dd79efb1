import type { Context } from 'aws-lambda';
import type { ApiEvent, AuthContext } from '../../lib/http/types';

export interface ApiEventInput {
  method: string;
  /** The concrete path, e.g. /api/v2/performance/acme/aws/summary (percent-encode as a client would). */
  path: string;
  /** Route template for `routeKey`, e.g. /api/v2/performance/{customer_id}/{provider}/summary. */
  route?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** What the Lambda authorizer passes on; absent means no key (public route). */
  auth?: Partial<AuthContext> & { customer_id?: string };
}

/**
 * An API Gateway HTTP API (payload format 2.0) event as the authorizer-fronted API sends
 * it: decoded path and query parameters, raw query string, JSON body as a string,
 * `requestContext.authorizer.lambda` with the key's customer.
 */
export function buildApiEvent(input: ApiEventInput): ApiEvent {
  const query = input.query ?? {};
  const rawQueryString = new URLSearchParams(query).toString();
  const auth = input.auth
    ? {
        lambda: {
          customer_id: input.auth.customer_id ?? '',
          is_admin: input.auth.is_admin ?? false,
          key_id: input.auth.key_id ?? '0123456789abcdef',
        },
      }
    : undefined;
  return {
    version: '2.0',
    routeKey: `${input.method} ${input.route ?? input.path}`,
    rawPath: input.path,
    rawQueryString,
    headers: { 'content-type': 'application/json', host: 'api.example.com', 'user-agent': 'vitest' },
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    ...(input.body !== undefined
      ? { body: typeof input.body === 'string' ? input.body : JSON.stringify(input.body) }
      : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1234567',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: input.method,
        path: input.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.10',
        userAgent: 'vitest',
      },
      requestId: `req-${Math.random().toString(36).slice(2, 10)}`,
      routeKey: `${input.method} ${input.route ?? input.path}`,
      stage: '$default',
      time: '20/Nov/2026:12:00:00 +0000',
      timeEpoch: Date.parse('2026-11-20T12:00:00Z'),
      ...(auth ? { authorizer: auth } : {}),
    },
  } as ApiEvent;
}

/** The bits of a Lambda context our handlers read. */
export function lambdaContext(): Context {
  return {
    awsRequestId: 'lambda-req-1',
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
    memoryLimitInMB: '1024',
    logGroupName: '/aws/lambda/test',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

import type { Context } from 'aws-lambda';
import type { ApiEvent, AuthContext } from '../../lib/http/types';

export interface ApiEventInput {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The route's path template, e.g. /api/v2/applications/{customer_id}/samples. */
  path: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are. */
  body?: unknown;
  /** What the Lambda authorizer would pass; absent: no key. */
  auth?: AuthContext;
}

/** An API Gateway HTTP API (payload 2.0) event, as the gateway sends it to a route's Lambda. */
export function buildApiEvent(input: ApiEventInput): ApiEvent {
  const rawPath = input.path.replace(/\{(\w+)\}/g, (_m, k: string) =>
    encodeURIComponent(input.pathParameters?.[k] ?? ''),
  );
  const rawQueryString = new URLSearchParams(input.query ?? {}).toString();
  const body =
    input.body === undefined
      ? undefined
      : typeof input.body === 'string'
        ? input.body
        : JSON.stringify(input.body);
  return {
    version: '2.0',
    routeKey: `${input.method} ${input.path}`,
    rawPath,
    rawQueryString,
    headers: { 'content-type': 'application/json', host: 'api.test' },
    ...(input.query ? { queryStringParameters: input.query } : {}),
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.test',
      domainPrefix: 'api',
      http: {
        method: input.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'vitest',
      },
      requestId: `req-${Math.random().toString(16).slice(2)}`,
      routeKey: `${input.method} ${input.path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      authorizer: input.auth ? { lambda: input.auth } : { lambda: undefined },
    },
  } as ApiEvent;
}

/** A minimal Lambda context for invoking a handler directly. */
export function lambdaContext(): Context {
  return {
    awsRequestId: `ctx-${Math.random().toString(16).slice(2)}`,
    functionName: 'test',
    getRemainingTimeInMillis: () => 30_000,
  } as unknown as Context;
}

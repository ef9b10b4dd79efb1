import type { Context } from 'aws-lambda';
import type { ApiEvent, AuthContext } from '../../lib/http/types';

export interface ApiEventInput {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The route's path template (/api/v1/collect/status/{task_id}); parameters are filled in for rawPath. */
  path?: string;
  routeKey?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are. */
  body?: unknown;
  headers?: Record<string, string>;
  /** What the Lambda authorizer would pass; absent or null: no key. */
  auth?: AuthContext | null;
}

/**
 * An API Gateway HTTP API (payload 2.0) event as the gateway sends it after the Lambda
 * authorizer ran, for calling middy-wrapped handlers directly.
 */
export function buildApiEvent(opts: ApiEventInput): ApiEvent {
  const method = opts.method ?? 'GET';
  const template = opts.path ?? '/';
  const path = template.replace(/\{([^}]+)\}/g, (whole, name: string) =>
    opts.pathParameters?.[name] !== undefined ? encodeURIComponent(opts.pathParameters[name] as string) : whole,
  );
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  return {
    version: '2.0',
    routeKey: opts.routeKey ?? `${method} ${template}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(opts.query ?? {}).toString(),
    headers: { 'content-type': 'application/json', ...opts.headers },
    ...(opts.query ? { queryStringParameters: opts.query } : {}),
    ...(opts.pathParameters ? { pathParameters: opts.pathParameters } : {}),
    requestContext: {
      accountId: 'test',
      apiId: 'test',
      domainName: 'test',
      domainPrefix: 'test',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: opts.routeKey ?? `${method} ${template}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      authorizer: opts.auth ? { lambda: opts.auth } : (undefined as never),
    },
    body,
    isBase64Encoded: false,
  } as ApiEvent;
}

export function lambdaContext(): Context {
  return {
    awsRequestId: `ctx-${Math.random().toString(36).slice(2)}`,
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
    memoryLimitInMB: '1024',
    logGroupName: 'test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

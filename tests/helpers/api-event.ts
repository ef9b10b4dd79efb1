import type { Context } from 'aws-lambda';
import type { ApiEvent, AuthContext } from '../../lib/http/types';

export interface ApiEventInput {
  method?: string;
  /** The route's path template (/api/v1/collect/status/{task_id}); parameters are filled in for rawPath. */
  path?: string;
  routeKey?: string;
  /** Route template for `routeKey` when `path` is the concrete path. */
  route?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are. */
  body?: unknown;
  headers?: Record<string, string>;
  /** What the Lambda authorizer would pass (missing fields: a customer key); absent or null: no key. */
  auth?: Partial<AuthContext> | null;
}

/**
 * An API Gateway HTTP API (payload 2.0) event as the gateway sends it after the Lambda
 * authorizer ran, for calling middy-wrapped handlers directly.
 */
export function buildApiEvent(opts: ApiEventInput): ApiEvent {
  const method = opts.method ?? 'GET';
  const template = opts.path ?? '/';
  const path = template.replace(/\{([^}]+)\}/g, (whole, name: string) =>
    opts.pathParameters?.[name] !== undefined
      ? encodeURIComponent(opts.pathParameters[name] as string)
      : whole,
  );
  const routeKey = opts.routeKey ?? `${method} ${opts.route ?? template}`;
  const auth: AuthContext | null = opts.auth
    ? {
        customer_id: opts.auth.customer_id ?? '',
        is_admin: opts.auth.is_admin ?? false,
        key_id: opts.auth.key_id ?? '0123456789abcdef',
      }
    : null;
  const body =
    opts.body === undefined
      ? undefined
      : typeof opts.body === 'string'
        ? opts.body
        : JSON.stringify(opts.body);
  return {
    version: '2.0',
    routeKey,
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
      routeKey,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      authorizer: auth ? { lambda: auth } : (undefined as never),
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

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Context } from 'aws-lambda';
import { authorize, unauthorizedFor } from '../auth/keys';
import { createHttpHandler, type RouteHandler, resultStream } from '../http/handler';
import type { ApiEvent, ApiResult, RouteSpec } from '../http/types';
import type { Runtime } from '../runtime';
import { serveWeb, type WebBuild } from './web';

/** API Gateway's own payload limit; bigger bodies never reach a Lambda. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

interface CompiledRoute {
  spec: RouteSpec;
  pattern: RegExp;
  params: string[];
  invoke: (event: ApiEvent, context: Context) => Promise<ApiResult>;
}

function compile(spec: RouteSpec, handler: RouteHandler<Runtime>, runtime: Runtime): CompiledRoute {
  const params: string[] = [];
  const source = spec.path
    .split('/')
    .map((seg) => {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(m[1] as string);
      return '([^/]+)';
    })
    .join('/');
  const wrapped = createHttpHandler(handler, async () => runtime, { streamBodies: true });
  return {
    spec,
    pattern: new RegExp(`^${source}/?$`),
    params,
    invoke: (event, context) => wrapped(event, context) as Promise<ApiResult>,
  };
}

/** Builds the API Gateway HTTP API (payload 2.0) event for a request. */
export function toApiEvent(args: {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
  route: RouteSpec;
  pathParameters: Record<string, string>;
  requestId: string;
  sourceIp: string;
}): ApiEvent {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(args.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string> = {};
  for (const key of new Set(args.url.searchParams.keys()))
    query[key] = args.url.searchParams.getAll(key).join(',');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${args.route.method} ${args.route.path}`,
    rawPath: args.url.pathname,
    rawQueryString: args.url.search.replace(/^\?/, ''),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(args.route.path.includes('{') ? { pathParameters: args.pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: args.method,
        path: args.url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: args.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: args.requestId,
      routeKey: `${args.route.method} ${args.route.path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: undefined as never,
    },
    body: args.body === '' ? undefined : args.body,
    isBase64Encoded: false,
  } as ApiEvent;
}

function lambdaContext(requestId: string, timeoutSeconds: number): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    awsRequestId: requestId,
    functionName: 'optiinfra-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:optiinfra-local',
    memoryLimitInMB: '1024',
    logGroupName: 'local',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>) {
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * Serves the route table the way API Gateway does: the same route matching, the same
 * authorizer (RFC 6750: 401 with `WWW-Authenticate: Bearer` for missing, malformed or unknown keys), the
 * same v2 event shape, the same middy-wrapped handlers.
 */
export function createLocalServer(opts: {
  runtime: Runtime;
  routes: readonly RouteSpec[];
  handlers: Record<string, RouteHandler<Runtime>>;
  /** The web console, served at `/` outside the API's paths (lib/local/web.ts). */
  web?: WebBuild;
}): Server {
  const { runtime } = opts;
  const compiled = opts.routes.map((spec) => {
    const handler = opts.handlers[spec.name];
    if (!handler)
      throw new Error(`route ${spec.method} ${spec.path} names handler "${spec.name}" which does not exist`);
    return compile(spec, handler, runtime);
  });

  return createServer(async (req, res) => {
    const started = Date.now();
    const requestId = randomUUID();
    const base = { 'x-request-id': requestId };
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    let status = 500;
    try {
      const match = compiled
        .map((r) => ({ r, m: r.spec.method === method ? r.pattern.exec(url.pathname) : null }))
        .find((x) => x.m !== null);
      if (!match?.m) {
        if (opts.web && serveWeb(req, res, url, opts.web)) {
          status = res.statusCode;
          return;
        }
        status = 404;
        return send(res, 404, JSON.stringify({ message: 'Not Found' }), {
          'content-type': 'application/json',
          ...base,
        });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_REQUEST_BYTES) {
          status = 413;
          return send(res, 413, JSON.stringify({ message: 'Request Entity Too Large' }), {
            'content-type': 'application/json',
            ...base,
          });
        }
        chunks.push(chunk as Buffer);
      }
      const { r, m } = match;
      const pathParameters: Record<string, string> = {};
      r.params.forEach((name, i) => {
        const raw = m[i + 1] as string;
        try {
          pathParameters[name] = decodeURIComponent(raw);
        } catch {
          pathParameters[name] = raw;
        }
      });
      const event = toApiEvent({
        method,
        url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        route: r.spec,
        pathParameters,
        requestId,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      });
      if (r.spec.auth === 'key') {
        // RFC 6750: missing, malformed or unknown credentials are a 401 with a Bearer challenge.
        const decision = await authorize(runtime.store, event.headers.authorization);
        if (!decision.isAuthorized || !decision.context) {
          status = 401;
          const err = unauthorizedFor(decision.error);
          return send(res, 401, JSON.stringify({ error: { code: err.code, message: err.message } }), {
            'content-type': 'application/json',
            ...err.headers,
            ...base,
          });
        }
        (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: decision.context };
      }
      const result = await r.invoke(event, lambdaContext(requestId, r.spec.timeoutSeconds ?? 30));
      status = result.statusCode ?? 200;
      const headers: Record<string, string> = { ...base };
      for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
      const stream = resultStream(result);
      if (stream) {
        // Streamed bodies (exports) go out chunk by chunk; a failure mid-way cuts the connection.
        res.writeHead(status, headers);
        await pipeline(stream, res).catch((err) => {
          runtime.logger.error('stream failed', { request_id: requestId, error: (err as Error).message });
          res.destroy();
        });
        return;
      }
      const body = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
      send(res, status, body, headers);
    } catch (err) {
      runtime.logger.error('local server error', { request_id: requestId, error: (err as Error).message });
      status = 500;
      send(
        res,
        500,
        JSON.stringify({ error: { code: 'internal_error', message: 'Internal server error.' } }),
        {
          'content-type': 'application/json',
          ...base,
        },
      );
    } finally {
      runtime.logger.debug('http', {
        request_id: requestId,
        method,
        path: url.pathname,
        status,
        ms: Date.now() - started,
      });
    }
  });
}

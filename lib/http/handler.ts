import type { Readable } from 'node:stream';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { Context } from 'aws-lambda';
import { unauthorizedFor } from '../auth/keys';
import { HttpError } from '../errors';
import type { Logger } from '../logger';
import { redactPatterns } from '../redact';
import { type ApiRequest, buildRequest } from './request';
import type { ApiEvent, ApiResult } from './types';

export interface HandlerResult {
  status?: number;
  /** JSON-able; ignored when `stream` is set. */
  body: unknown;
  headers?: Record<string, string>;
  /** A body too large to hold (an export): streamed by the local server, buffered up to a cap in Lambda. */
  stream?: Readable;
}

/**
 * What one buffered (Lambda) response may carry of a streamed body. A Lambda behind API
 * Gateway answers with at most 6 MB, and binary bodies travel base64-encoded (4/3 larger),
 * so 4 MiB of bytes is the most that always fits. Bigger bodies are a 413 that says what
 * to do instead; the local server and the CLI stream without a limit.
 */
export const MAX_BUFFERED_STREAM_BYTES = 4 * 1024 * 1024;

const streams = new WeakMap<ApiResult, Readable>();

/** The body stream of a result made with `streamBodies` (the local server pipes it). */
export function resultStream(result: ApiResult): Readable | undefined {
  return streams.get(result);
}

async function bufferStream(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) {
      stream.destroy();
      throw new HttpError(
        413,
        'response_too_large',
        `The response is larger than ${max} bytes, the most an API Gateway + Lambda response can carry. Narrow the period or the filters, or run \`npx optiinfra export\` against the same ClickHouse (it streams without a limit).`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A route's logic: validated input in, a JSON-able body out. No SQL or SDK calls here. */
export type RouteHandler<R> = (req: ApiRequest<R>) => Promise<HandlerResult>;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * Turns thrown errors into `{ "error": { "code", "message" } }`. HttpErrors keep their
 * status and message; anything else is logged (redacted) and becomes a bare 500 — never a
 * stack trace or an internal message. Leaves a response another middleware already set.
 */
function errorResponses(logger: Logger): middy.MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: async (request) => {
      if (request.response !== undefined && request.response !== null) return;
      const err = request.error;
      if (err instanceof HttpError) {
        request.response = json(err.status, errorBody(err.code, err.message), err.headers);
        return;
      }
      const status = (err as { statusCode?: number } | null)?.statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        // middy's own errors (e.g. unprocessable headers) are client errors too.
        request.response = json(status, errorBody('bad_request', 'The request could not be processed.'));
        return;
      }
      logger.error('unhandled error', {
        request_id: request.context?.awsRequestId,
        error: redactPatterns(String((err as Error)?.stack ?? err)),
      });
      request.response = json(500, errorBody('internal_error', 'Internal server error.'));
    },
  };
}

/**
 * Wraps a route handler for API Gateway HTTP API (payload 2.0): header normalisation,
 * a request-scoped logger with the request id, validation helpers, JSON error shape.
 * `getRuntime` is awaited on each call (memoised by the caller) so the module can be
 * imported without side effects.
 *
 * @example
 * export const handler = createHttpHandler(collectStatus, getRuntime);
 */
export function createHttpHandler<R extends { logger: Logger }>(
  route: RouteHandler<R>,
  getRuntime: () => Promise<R>,
  opts: { streamBodies?: boolean } = {},
) {
  let baseLogger: Logger | undefined;
  const fallbackLogger = {
    error: (msg: string, extra: unknown) =>
      console.error(JSON.stringify({ level: 'ERROR', message: msg, ...(extra as object) })),
  } as unknown as Logger;
  const inner = async (event: ApiEvent, context: Context): Promise<ApiResult> => {
    const runtime = await getRuntime();
    baseLogger = runtime.logger;
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    const logger = runtime.logger.createChild({ persistentKeys: { request_id: requestId } });
    // The authorizer lets a request with bad credentials through marked, so that the answer
    // is RFC 6750's 401 with a challenge (an HTTP API authorizer's denial is a bare 403).
    const authError = (event.requestContext?.authorizer?.lambda as { auth_error?: string } | undefined)
      ?.auth_error;
    if (authError) throw unauthorizedFor(authError);
    const req = buildRequest(event, runtime, logger, requestId);
    const result = await route(req);
    const status = result.status ?? 200;
    logger.info('request', { route: event.routeKey, status });
    if (result.stream) {
      const headers = { ...result.headers };
      if (opts.streamBodies) {
        const streamed: ApiResult = { statusCode: status, headers, body: '' };
        streams.set(streamed, result.stream);
        return streamed;
      }
      const bytes = await bufferStream(result.stream, MAX_BUFFERED_STREAM_BYTES);
      return { statusCode: status, headers, body: bytes.toString('base64'), isBase64Encoded: true };
    }
    // A page (the docs) is sent as it is; everything else is JSON.
    if (typeof result.body === 'string' && result.headers?.['content-type']?.startsWith('text/')) {
      return { statusCode: status, headers: result.headers, body: result.body };
    }
    return json(status, result.body, result.headers);
  };
  return middy<ApiEvent, ApiResult>()
    .use(httpHeaderNormalizer())
    .use({
      onError: (request) => errorResponses(baseLogger ?? fallbackLogger).onError?.(request),
    })
    .handler(inner);
}
